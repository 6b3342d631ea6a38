"""``check --json``: the same data as the table, for machines."""
from __future__ import annotations

import json
import math
from collections.abc import Sequence

from ..results import QuestionResult


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def to_dict(results: Sequence[QuestionResult]) -> dict:
    return {
        "questions": [
            {
                "id": q.question,
                "title": q.title,
                "points": q.points,
                "max_points": q.max_points,
                "extra_credit": q.extra_credit,
                "checks": [
                    {
                        "id": c.check_id,
                        "title": c.title,
                        "status": c.status.value,
                        "points": c.points,
                        "max_points": c.max_points,
                        "error": _finite(c.error),
                        "tolerance": c.tolerance,
                        "message": c.message,
                        "location": c.location,
                        "seconds": round(c.seconds, 4),
                    }
                    for c in q.checks
                ],
            }
            for q in results
        ],
        "total": sum(q.points for q in results),
        "max_total": sum(q.max_points for q in results if not q.extra_credit),
    }


def render(results: Sequence[QuestionResult]) -> str:
    return json.dumps(to_dict(results), indent=2)
