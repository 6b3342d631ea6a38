"""Safe submission ids and spreadsheet-safe cells.

A submission's id names its folder in the output folder, its gradebook row and
its reports, and comes from a file name the student chose. ``safe_id`` makes
it a bounded, printable, NFC-normalised name: no control, format (bidi
overrides, zero-width characters), separator or private-use characters, no
newline, no path separator, not starting with a dot; ``unique`` makes it
distinct (case-insensitively, with the names the output folder reserves) from
the ids already taken. The original name is kept beside it (``results.json``'s
``a2kit.original_name``).

``cell`` neutralises a CSV cell as OWASP recommends for CSV injection: a text
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading single quote, so that no spreadsheet reads it as a formula.
"""

from __future__ import annotations

import unicodedata

#: The longest id (characters).
MAX_LEN = 80
_DROP = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_id(name: str) -> str:
    """``name`` as a safe id ('' when nothing printable is left)."""
    text = unicodedata.normalize("NFC", str(name))
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in _DROP:
            continue
        if ch in "/\\" or (cat == "Zs" and ch != " "):
            ch = "_" if ch in "/\\" else " "
        out.append(ch)
    sid = " ".join("".join(out).split())  # no leading, trailing or repeated spaces
    sid = sid.lstrip(".")
    return sid[:MAX_LEN].rstrip()


def unique(sid: str, taken: set[str], reserved: tuple[str, ...] = ()) -> str:
    """``sid``, or ``sid-2``, ``sid-3``...: the first in neither ``taken`` nor ``reserved`` (casefolded); adds it."""
    folded = {t.casefold() for t in taken} | {r.casefold() for r in reserved}
    base = sid or "submission"
    candidate, n = base, 2
    while candidate.casefold() in folded:
        candidate, n = f"{base[: MAX_LEN - 8]}-{n}", n + 1
    taken.add(candidate)
    return candidate


def cell(value) -> str:
    """A CSV cell that no spreadsheet evaluates: text starting with = + - @ tab or CR gets a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text
