"""Which submissions a batch grades, under which ids, and which of them it grades again.

``expand`` turns the paths given into submissions (a folder holding several
zips or folders and no package of its own stands for each of them); ``plan``
gives each a unique safe id and drops a path given twice; ``resume`` reads the
output folder and decides, from each ``results.json``'s ``a2kit.hashes``, what
is graded again (``grader.gradebook.decide``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from .. import gradebook as gradebook_mod
from .. import ids as ids_mod
from .. import rubric as rubric_mod
from .. import unpack as unpack_mod
from ..gradebook import Row
from .outputs import GRADEBOOK, RESULTS, SUMMARY, row_from_results


def submission_id(path: Path) -> str:
    """The submission's safe id (``grader.ids.safe_id``) from its file or folder name."""
    return ids_mod.safe_id(original_name(path))


def original_name(path: Path) -> str:
    """The file or folder name as given, without ``.zip``."""
    name = path.name
    return name[:-4] if name.lower().endswith(".zip") and not path.is_dir() else name


def _holds_package(d: Path) -> bool:
    return any(
        (d / pkg).is_dir() and any((d / pkg / m).is_file() for m in unpack_mod.MARKERS) for pkg in unpack_mod.PACKAGES
    )


def expand(submissions: Sequence[Path]) -> list[Path]:
    """Each path given, or for a folder of submissions (zips or folders, no package of its own), each of them."""
    out: list[Path] = []
    for p in map(Path, submissions):
        if p.is_dir() and not p.is_symlink() and not _holds_package(p):
            children = sorted(
                c
                for c in p.iterdir()
                if not c.name.startswith(".")
                and c.name not in unpack_mod.JUNK_DIRS
                and ((c.is_dir() and not c.is_symlink()) or (c.is_file() and c.suffix.lower() == ".zip"))
            )
            zips = [c for c in children if c.is_file()]
            if zips or len(children) >= 2:
                out.extend(children)
                continue
        out.append(p)
    return out


def plan(submissions: Sequence[Path]) -> list[tuple[Path, str]]:
    """(path, unique id) per submission, in the order given; the same path twice is graded once."""
    planned: list[tuple[Path, str]] = []
    seen: set[str] = set()
    paths: set[Path] = set()
    for sub in expand(submissions):
        real = Path(sub).resolve()
        if real in paths:
            continue
        paths.add(real)
        sid = ids_mod.unique(submission_id(sub), seen, (GRADEBOOK, SUMMARY))
        planned.append((sub, sid))
    return planned


@dataclasses.dataclass
class Resume:
    """What ``resume`` found in the output folder, one entry per planned submission."""

    rows: list[Row | None]
    """The row kept from a previous run (unchanged work), or None: to be graded."""
    hashes: list[dict[str, str]]
    """The submission's content hashes (``grader.gradebook.fingerprint``), written into its results.json."""
    why: list[str]
    """graded / unchanged / regraded because X, for the console."""

    @property
    def todo(self) -> list[int]:
        """The indices to grade, in plan order."""
        return [i for i, r in enumerate(self.rows) if r is None]


def resume(
    planned: Sequence[tuple[Path, str]], out: Path, rubric: rubric_mod.Rubric, secret: str, *, force: bool = False
) -> Resume:
    """Which planned submissions are graded again, and the kept rows of the others."""
    rubric_digest = gradebook_mod.rubric_hash(rubric)
    state = Resume([None] * len(planned), [], [])
    for i, (sub, sid) in enumerate(planned):
        try:
            fp = gradebook_mod.fingerprint(sub, rubric, secret, rubric_digest=rubric_digest)
        except OSError:  # unreadable: grading it says why, in its row
            fp = {}
        state.hashes.append(fp)
        existing = out / sid / RESULTS
        decision = gradebook_mod.decide(existing, fp, force=force)
        state.why.append(decision.verb)
        if decision.grade:
            continue
        try:
            row = row_from_results(existing, rubric)
        except Exception:  # noqa: BLE001 - an unreadable results.json is regraded
            state.why[i] = gradebook_mod.Decision(True, "its results.json was unreadable").verb
            continue
        row.submission, row.why = sid, decision.verb
        state.rows[i] = row
    return state


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
