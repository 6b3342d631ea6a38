"""The output folder of ``grade`` is the gradebook: merged rows and rerun decisions.

Its rows (``Row``) and two jobs, both for ``grader.grading.grade``:

* **Every submission graded into DIR stays in the gradebook.** ``on_disk(out)``
  finds every ``DIR/<id>/results.json``; ``merged(out, current, rubric)`` is
  the rows of those files with this run's rows in their place, sorted by
  submission id (a stable order whichever subset a command named). A later run
  never drops a row, and a batch killed midway leaves every finished row on
  disk for the next run.
* **Reruns by content.** ``fingerprint`` hashes what a grade depends on: the
  submission's bytes (``content``), the rubric as loaded (``rubric``: points,
  tolerances, timeouts, not the path it was read from), the grader's version
  (``grader``) and the secret (``secret``: a salted SHA-256, never the secret
  itself). They are recorded in ``results.json`` (``a2kit.hashes``);
  ``decide`` compares them with the current ones: unchanged graded work is
  skipped, an ``error`` row is retried, anything changed is regraded and the
  reason says what changed; ``force`` regrades all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .i18n import N_, _

if TYPE_CHECKING:  # pragma: no cover
    from .rubric import Rubric

RESULTS = "results.json"

STATUSES = ("graded", "partial", "error")


@dataclasses.dataclass
class Row:
    """One line of the gradebook."""

    submission: str
    status: str  # graded | partial | error
    scores: dict[str, float]
    total: float
    max_total: float
    message: str = ""
    skipped: bool = False  # True when rebuilt from an existing results.json
    why: str = ""  # what this run did: graded / unchanged / regraded because X (``merged`` below)
    late: dict | None = None  # grader.late's record when a late policy applied (gradebook's late columns)


#: Folders never part of a submission's content (the same junk ``grader.unpack`` skips).
_JUNK = frozenset({"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".hg", ".svn", "cifar-10-batches-py"})
#: The fingerprint's parts, in the order a reason names them.
PARTS = ("content", "rubric", "grader", "secret")
_WHAT = {  # English: the console translates them (say_why)
    "content": N_("its content"),
    "rubric": N_("the rubric"),
    "grader": N_("the grader's version"),
    "secret": N_("the secret"),
}
_CONSOLE = (N_("graded"), N_("unchanged"), N_("error"), N_("partial"))  # what say_why shows as is
#: the other reasons a submission is graded again, as ``Decision.reason`` holds them
_REASONS = (
    N_("--force was given"),
    N_("its results.json was unreadable"),
    N_("it was an error"),
    N_("its results.json records no hashes"),
)


def content_hash(path: Path) -> str:
    """SHA-256 of a zip's bytes, or of a folder's files (relative path and bytes, junk folders skipped)."""
    path = Path(path)
    h = hashlib.sha256()
    if not path.is_dir():
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _JUNK)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(path).as_posix()
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
            if full.is_symlink():
                h.update(b"link:" + os.readlink(full).encode("utf-8", "surrogateescape"))
            else:
                try:
                    with open(full, "rb") as f:
                        for block in iter(lambda: f.read(1 << 20), b""):
                            h.update(block)
                except OSError as exc:  # unreadable: its name and the reason are the content
                    h.update(f"unreadable:{exc.errno}".encode())
            h.update(b"\0")
    return h.hexdigest()


def rubric_hash(rubric: Rubric) -> str:
    """SHA-256 of the rubric's content (questions, points, tolerances, timeouts), not of its path."""
    data = dataclasses.asdict(rubric)
    data.pop("path", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def secret_hash(secret: str) -> str:
    """A salted SHA-256 of the secret: says whether it changed, never what it is."""
    return hashlib.sha256(b"a2kit-secret-v1\0" + secret.encode()).hexdigest()


def fingerprint(submission: Path, rubric: Rubric, secret: str, *, rubric_digest: str | None = None) -> dict[str, str]:
    """What a grade depends on, hashed (recorded as ``a2kit.hashes`` in ``results.json``)."""
    return {
        "content": content_hash(submission),
        "rubric": rubric_digest or rubric_hash(rubric),
        "grader": __version__,
        "secret": secret_hash(secret),
    }


@dataclasses.dataclass(frozen=True)
class Decision:
    grade: bool
    reason: str  # "new", "unchanged", "forced", "error retried", "its content changed", ...

    @property
    def verb(self) -> str:
        """What the console says: graded / unchanged / regraded because X."""
        if not self.grade:
            return "unchanged"
        if self.reason == "new":
            return "graded"
        return f"regraded because {self.reason}"


def say_why(why: str) -> str:
    """``Row.why`` (English: graded / unchanged / regraded because X) in the current language, for the console."""
    if why in _CONSOLE:
        return _(why)
    reason = why.removeprefix("regraded because ")
    if reason == why:
        return _(why)
    if reason.endswith(" changed") and reason not in _REASONS:
        parts = reason[: -len(" changed")].split(" and ")
        reason = _("{what} changed").format(what=", ".join(_(p) for p in parts))
    else:
        reason = _(reason)
    return _("regraded because {reason}").format(reason=reason)


def decide(existing: Path, current: Mapping[str, str], *, force: bool = False) -> Decision:
    """Whether the submission whose results may be at ``existing`` must be graded, and why."""
    if not existing.is_file():
        return Decision(True, "new")
    if force:
        return Decision(True, "--force was given")
    try:
        meta = json.loads(existing.read_text(encoding="utf-8"))["a2kit"]
        status, recorded = meta["status"], meta.get("hashes") or {}
    except Exception:  # noqa: BLE001 - an unreadable results.json is regraded
        return Decision(True, "its results.json was unreadable")
    if status == "error":
        return Decision(True, "it was an error")
    changed = [_WHAT[p] for p in PARTS if recorded.get(p) != current.get(p)]
    if not recorded:
        return Decision(True, "its results.json records no hashes")
    if changed:
        return Decision(True, " and ".join(changed) + " changed")
    return Decision(False, "unchanged")


def with_hashes(results_text: str, hashes: Mapping[str, str]) -> str:
    """``results.json`` text with ``a2kit.hashes`` set."""
    data = json.loads(results_text)
    data.setdefault("a2kit", {})["hashes"] = dict(hashes)
    return json.dumps(data, indent=2) + "\n"


def on_disk(out: Path) -> list[str]:
    """The ids of every submission graded into ``out`` (a ``<id>/results.json``), sorted."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted(d.name for d in out.iterdir() if d.is_dir() and not d.is_symlink() and (d / RESULTS).is_file())


def merged(out: Path, current: Iterable[Row], rubric: Rubric, row_from_results) -> list[Row]:
    """Every row of ``out``: this run's rows, and those of the other ``results.json`` files, sorted by id."""
    rows = {r.submission: r for r in current}
    for sid in on_disk(out):
        if sid in rows:
            continue
        try:
            row = row_from_results(Path(out) / sid / RESULTS, rubric)
        except Exception:  # noqa: BLE001 - a file that is not ours (or damaged) is not a row
            continue
        row.submission = sid
        row.why = "unchanged"
        rows[sid] = row
    return [rows[k] for k in sorted(rows)]
