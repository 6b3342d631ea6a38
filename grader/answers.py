"""The answer cells of inline questions in the notebooks (a leaf: no grader import).

The answer to an inline question is a *markdown* cell whose metadata holds
``{"a2kit": {"answer": "<question-id>"}}`` (``answer_metadata(qid)``), and whose
source in the handout is exactly ``ANSWER_PLACEHOLDER``. ``collect`` refuses a
notebook with an empty answer (``answer_is_empty``); the HTML report marks each
answer cell (``answer_id``). ``grader.notebook_api`` re-exports these names.
"""
from __future__ import annotations

from collections.abc import Sequence

#: The cell metadata namespace of a2kit, and the key under it naming an inline question.
METADATA_KEY = "a2kit"
ANSWER_KEY = "answer"
#: The exact source of an answer cell in the handout.
ANSWER_PLACEHOLDER = "**Your answer:** *fill this in*"
ANSWER_PREFIX = "**Your answer:**"


def answer_metadata(question_id: str) -> dict:
    """The metadata of the answer cell of inline question ``question_id``."""
    return {METADATA_KEY: {ANSWER_KEY: question_id}}


def answer_id(cell) -> str | None:
    """The inline question a markdown cell answers, or None (``cell``: a notebook cell mapping)."""
    if cell.get("cell_type") != "markdown":
        return None
    meta = cell.get("metadata", {}).get(METADATA_KEY)
    if not isinstance(meta, dict):
        return None
    qid = meta.get(ANSWER_KEY)
    return str(qid) if qid else None


def answer_is_empty(source: str | Sequence[str]) -> bool:
    """True when ``source``, without the placeholder and the ``**Your answer:**`` prefix, is blank."""
    text = source if isinstance(source, str) else "".join(source)
    text = text.replace(ANSWER_PLACEHOLDER, "").replace(ANSWER_PREFIX, "")
    return not text.strip()
