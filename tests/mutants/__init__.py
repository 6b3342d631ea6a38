"""The mutant corpus: realistic student bugs, each a textual edit of the reference.

A ``Mutant`` names the bug, the file it edits (relative to the package), the
exact reference text it replaces (which must occur exactly once, so a change to
the reference that makes a mutant stale fails loudly), the buggy text, and the
check ids that must lose points. Every other question must keep full marks.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str  # the bug, in a few words (used as the test id)
    file: str  # e.g. "layers.py" or "classifiers/fc_net.py"
    old: str  # reference text, occurs exactly once in the file
    new: str  # the buggy text
    breaks: tuple[str, ...]  # check ids that must fail
    diagnosis: str | None = None  # a substring the diagnosis of the first broken check must contain
    rubric: str | None = None  # the rubric that scores it, relative to the project root (None: rubric.yaml)
    edge: tuple[str, ...] = ()  # checks that only hidden draws catch (the public case misses the bug)


def build_package(mutant: Mutant, dest: Path, package: str = "mutant") -> Path:
    """Copy reference/ to dest/package and apply the mutant's edit."""
    target = dest / package
    shutil.copytree(ROOT / "reference", target, ignore=shutil.ignore_patterns("__pycache__", "*.c"))
    path = target / mutant.file
    text = path.read_text()
    count = text.count(mutant.old)
    if count != 1:
        raise AssertionError(f"mutant {mutant.name!r}: the text to replace occurs {count} times in {mutant.file}")
    path.write_text(text.replace(mutant.old, mutant.new))
    return target


@dataclasses.dataclass(frozen=True)
class Alternative:
    """A correct solution written another way: textual edits of the reference that must lose nothing."""

    name: str
    edits: tuple[tuple[str, str, str], ...]  # (file, reference text occurring once, replacement)


def build_alternative(alt: Alternative, dest: Path) -> None:
    """Copy reference/ to dest/mutant and apply every edit (each must match exactly once)."""
    (file, old, new), *rest = alt.edits
    target = build_package(Mutant(alt.name, file, old, new, breaks=()), dest)
    for file, old, new in rest:
        path = target / file
        text = path.read_text()
        assert text.count(old) == 1, f"{alt.name}: the text to replace occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new))


def all_mutants() -> list[Mutant]:
    import importlib.util

    from . import a2_edges, q1, q2, q3, q4, q5, tp2

    out = (
        list(q1.MUTANTS)
        + list(q3.MUTANTS)
        + list(q2.MUTANTS)
        + list(q4.MUTANTS)
        + list(a2_edges.MUTANTS)
        + list(tp2.MUTANTS)
    )
    # Q5's bugs show only where torch is installed (without it every Q5 check
    # says "not implemented"; tests/grader/checks/test_q5.py covers that case).
    if importlib.util.find_spec("torch") is not None:
        out += list(q5.MUTANTS)
    names = [m.name for m in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise AssertionError(f"duplicate mutant names: {sorted(dupes)}")
    return out
