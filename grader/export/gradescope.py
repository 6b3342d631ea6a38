"""``python -m grader export gradescope --out DIR``: a Gradescope autograder bundle.

Gradescope's autograder specification: the instructor uploads ``autograder.zip``,
unpacked into ``/autograder/source``; ``setup.sh`` (at the zip's root) runs once
to build the image; ``run_autograder`` (at the zip's root) runs for each
submission, whose files lie in ``/autograder/submission``, with
``/autograder/submission_metadata.json`` beside it (``created_at``: the
submission time), and must write ``/autograder/results/results.json``.

The bundle holds the kit (``grader/``, ``reference/``, ``student/``, the rubrics
and the packaging files; no build artefacts), the rubric in use
(``a2kit_rubric.yaml``), the secret of the hidden inputs (``.a2kit-secret``, mode
0600) and ``a2kit_autograder.json`` (which rubric, whether the torch extra is
needed). The secret and ``reference/`` stay in ``/autograder/source``, which the
sandbox never shows the submission (it sees only its own assembled copy).

``run_autograder`` calls ``python -m grader.export.gradescope run --root ROOT``
(``ROOT`` = ``$A2KIT_AUTOGRADER_ROOT``, default ``/autograder``), which grades
exactly as ``grade`` does (``grader.grading.grade_submission``: same unpacking, sandbox,
hidden checks, visibility and late policy), puts the public cases first as
visible 0-point tests (the feedback a student gets at once; the score is the
hidden checks'), and always writes a valid
results.json: a crash of the submission is a graded outcome, a crash of the
grader becomes a 0-point file with the reason; if Python itself cannot start,
the shell script writes that file.
"""
from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
import zipfile
from pathlib import Path

from ..atomic import atomic_write
from ..i18n import _
from ..paths import project_root

BUNDLE = "autograder.zip"
CONFIG = "a2kit_autograder.json"
RUBRIC = "a2kit_rubric.yaml"
SECRET = ".a2kit-secret"
ROOT_ENV = "A2KIT_AUTOGRADER_ROOT"
#: What of the project travels in the bundle.
TREES = ("grader", "reference", "student", "rubrics")
FILES = ("rubric.yaml", "pyproject.toml", "setup.py", "README.md", "LICENSE")
#: The system packages setup.sh installs (Gradescope's image is Ubuntu), and nothing else.
APT_PACKAGES = ("python3", "python3-venv", "python3-pip", "python3-dev", "build-essential", "bubblewrap")
METADATA_CAP = 1 << 20  # bytes read of submission_metadata.json
SUBMISSION_ID = "submission"

SETUP_SH = """#!/usr/bin/env bash
# a2kit on Gradescope: runs once, in /autograder/source, to build the image.
# Installs the system packages below, then the kit (from this folder) into /autograder/venv.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends {apt}
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
/autograder/venv/bin/python -m pip install --quiet {index}-e "/autograder/source{extra}"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# a2kit on Gradescope: grades /autograder/submission into /autograder/results/results.json.
ROOT="${{A2KIT_AUTOGRADER_ROOT:-/autograder}}"
PY="${{A2KIT_PYTHON:-$ROOT/venv/bin/python}}"
[ -x "$PY" ] || PY=python3
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT/source" && "$PY" -m grader.export.gradescope run --root "$ROOT"
if [ ! -s "$ROOT/results/results.json" ]; then
    cat > "$ROOT/results/results.json" <<'JSON'
{fallback}
JSON
fi
exit 0
"""


class ExportError(ValueError):
    """Bad input to the export (one line, exit 2)."""


def _fallback(message: str, seconds: float = 0.0) -> dict:
    return {
        "score": 0.0,
        "execution_time": int(round(seconds)),
        "output": message,
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _bundle_files(root: Path) -> list[tuple[Path, str]]:
    from ..release import SKIPPED_DIRS, SKIPPED_SUFFIXES

    out = []
    for name in FILES:
        if (root / name).is_file():
            out.append((root / name, name))
    for tree in TREES:
        base = root / tree
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
            for f in sorted(filenames):
                p = Path(dirpath, f)
                if f.startswith(".") or p.suffix in SKIPPED_SUFFIXES or not p.is_file() or p.is_symlink():
                    continue
                out.append((p, p.relative_to(root).as_posix()))
    return out


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build(out: Path, *, rubric_path: Path | None = None, secret: str, root: Path | None = None) -> Path:
    """Write ``out/autograder.zip``; return its path (atomically: a temporary file renamed)."""
    from .. import rubric as rubric_mod

    root = Path(root or project_root())
    rubric_path = Path(rubric_path) if rubric_path else root / "rubric.yaml"
    rub = rubric_mod.load(rubric_path, require_all_checks=False)  # validated here, not on Gradescope
    torch = any(q.id == "q5" for q in rub.questions)
    config = {"rubric": RUBRIC, "torch": torch, "assignment": rub.assignment}
    fallback = json.dumps(_fallback("The autograder could not start Python; please tell the course staff."))
    setup = SETUP_SH.format(
        apt=" ".join(APT_PACKAGES),
        index="--extra-index-url https://download.pytorch.org/whl/cpu " if torch else "",
        extra="[torch]" if torch else "",
    )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(_("{out}: not a folder").format(out=out))
    out.mkdir(parents=True, exist_ok=True)
    target = out / BUNDLE

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            _add(zf, "setup.sh", setup.encode(), 0o755)
            _add(zf, "run_autograder", RUN_AUTOGRADER.format(fallback=fallback).encode(), 0o755)
            _add(zf, CONFIG, (json.dumps(config, indent=2) + "\n").encode(), 0o644)
            _add(zf, RUBRIC, rubric_path.read_bytes(), 0o644)
            _add(zf, SECRET, (secret + "\n").encode(), 0o600)
            for path, name in _bundle_files(root):
                if name in ("setup.sh", "run_autograder", CONFIG, RUBRIC, SECRET):
                    continue
                _add(zf, name, path.read_bytes(), 0o755 if os.access(path, os.X_OK) else 0o644)

    atomic_write(target, write)
    return target


def _pick_submission(folder: Path) -> Path:
    """The folder itself, or the one zip it holds when it holds nothing else (Gradescope keeps uploads as sent)."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    zips = [p for p in entries if p.is_file() and p.suffix.lower() == ".zip"]
    if len(zips) == 1 and len(entries) == 1:
        return zips[0]
    return folder


def _submitted_at(root: Path):
    """``created_at`` of submission_metadata.json, or None (absent, unreadable, malformed)."""
    import datetime as dt

    try:
        with open(root / "submission_metadata.json", "rb") as f:
            meta = json.loads(f.read(METADATA_CAP))
        raw = str(meta["created_at"])
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        return when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def public_tests(submission: Path, rub, source: Path) -> list[dict]:
    """The public cases (those ``check`` runs) as visible, 0-point tests: the feedback a student gets at once.

    The score comes only from the hidden checks; a failure here is silent (the hidden grading stands).
    """
    import dataclasses

    from .. import grading

    try:
        visible = dataclasses.replace(rub, questions=tuple(
            dataclasses.replace(q, checks=tuple(dataclasses.replace(c, visibility="visible") for c in q.checks))
            for q in rub.questions), late=None)
        public = grading.HiddenFixtures("public", source, public=True)
        graded = grading.grade_submission(submission, SUBMISSION_ID, rubric=visible, hidden=public, release_root=source)
        tests = json.loads(graded.files[grading.RESULTS])["tests"]
    except Exception:  # noqa: BLE001 - the public feedback is a courtesy
        return []
    for t in tests:
        qid, rest = t["name"].split(" ", 1)
        t.update(name=f"{qid} {rest.split(':', 1)[0]} (public case):{rest.split(':', 1)[1] if ':' in rest else ''}",
                 number=f"0.{t['number']}", score=0.0, max_score=0.0, tags=t["tags"] + ["public"])
    return tests


def run(root: Path) -> dict:
    """Grade ``root/submission`` with the bundle in ``root/source``; write and return results.json's object."""
    from ..atomic import atomic_write_text

    started = time.monotonic()
    root = Path(root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        from .. import grading
        from .. import rubric as rubric_mod

        source = Path(__file__).resolve().parents[2]
        config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
        rub = rubric_mod.load(source / config["rubric"], require_all_checks=False)
        secret = (source / SECRET).read_text().strip()
        hidden = grading.hidden_for(secret, source, rub)
        submission = _pick_submission(root / "submission")
        graded = grading.grade_submission(
            submission, SUBMISSION_ID, rubric=rub, hidden=hidden, release_root=source, submitted_at=_submitted_at(root)
        )
        data = json.loads(graded.files[grading.RESULTS])
        if graded.row.status == "error":
            data["output"] = _("This submission could not be graded: {why}").format(why=graded.row.message)
        else:
            data["tests"] = public_tests(submission, rub, source) + data["tests"]
    except BaseException as exc:  # noqa: BLE001 - results.json is written whatever happens
        data = _fallback(
            _("The autograder could not grade this submission ({error}); please tell the course staff.").format(
                error=f"{exc.__class__.__name__}: {str(exc)[:300]}"
            ),
            time.monotonic() - started,
        )
    atomic_write_text(results, json.dumps(data, indent=2) + "\n")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.export.gradescope")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run", help="grade the submission of a Gradescope container")
    p.add_argument("--root", default=os.environ.get(ROOT_ENV, "/autograder"))
    args = parser.parse_args(argv)
    data = run(Path(args.root))
    print(data.get("output", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
