"""The command line's grammar: every verb, its arguments and their help; ``grader.cli`` carries them out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _prog() -> str:
    """How the user called us: ``a2grader`` (the console script) or ``python -m grader``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "a2grader" if name == "a2grader" else "python -m grader"


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="Checks, packaging and grading for the Assignment 2 kit.",
    )
    parser.add_argument("--version", action="version", version=f"a2kit {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    p = sub.add_parser("check", help="run the public checks of the named questions (students)")
    p.add_argument("questions", nargs="*", metavar="QUESTION", help="question ids (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument(
        "--implementation",
        default="student",
        help="package to check (default: student; `reference` for instructors)",
    )

    p = sub.add_parser("collect", help="verify the notebooks, run every check, write the submission zip and report")
    p.add_argument("--root", help="project root holding student/ and notebooks/ (default: this project)")
    p.add_argument("--out", help="folder for a2_code_submission.zip and a2_report.html (default: the root)")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml of the root)")
    p.add_argument(
        "--skip-notebooks", action="store_true", help="do not refuse on notebook problems (they become warnings)"
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write the executed notebooks as a2_inline_submission.pdf (needs Chromium)",
    )

    p = sub.add_parser("fixtures", help="regenerate the public fixtures from reference/ (maintainers)")
    p.add_argument("--check", action="store_true", help="fail (exit 1) if the committed fixtures are stale")

    p = sub.add_parser("stubs", help="regenerate student/ from reference/ (maintainers)")
    p.add_argument("--check", action="store_true", help="fail (exit 1) if student/ differs from a fresh generation")
    p.add_argument("--root", help="project root holding reference/ and student/")

    p = sub.add_parser("grade", help="grade submissions (zips or folders) with hidden inputs (instructors)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="zip or folder; a folder of them grades each")
    p.add_argument("--out", required=True, help="output folder: gradebook.csv and <id>/results.json, report.html")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument(
        "--seed", help="secret of the hidden inputs (default: $A2KIT_SECRET, else .a2kit-secret in the project root)"
    )
    p.add_argument("--force", action="store_true", help="regrade submissions that already have a results.json")
    p.add_argument("--workers", type=int, help="submissions graded at once (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on this Dask distributed scheduler (tcp://host:port)")
    p.add_argument(
        "--execute-notebooks",
        action="store_true",
        help="also execute each submission's notebooks in the sandbox (report only)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write DIR/<id>/a2_inline_submission.pdf of the notebooks (needs Chromium)",
    )
    p.add_argument(
        "--edition",
        metavar="YEAR",
        help="grade cs231n-layout work as this edition (2017, 2018-2019, 2020, 2021-2024, 2025 or a year; "
        "default: detected from the code)",
    )
    p.add_argument(
        "--numpy-compat",
        action="store_true",
        default=None,
        help="restore NumPy's removed aliases (np.int, np.float, ...) in the sandbox "
        "(default: for editions before 2021)",
    )
    p.add_argument(
        "--submitted-at",
        metavar="FILE.csv",
        help="submission times (columns submission,submitted_at) for the rubric's late policy",
    )

    p = sub.add_parser(
        "export", help="a Gradescope autograder bundle, or grades for Canvas, Moodle or a CSV (instructors)"
    )
    p.add_argument("target", choices=["gradescope", "canvas", "moodle", "csv"])
    p.add_argument(
        "--out", required=True, help="gradescope: folder for autograder.zip; otherwise the CSV file to write"
    )
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument("--seed", help="gradescope: secret of the hidden inputs (default: as for grade)")
    p.add_argument("--graded", metavar="DIR", help="canvas/moodle/csv: the folder grade wrote (its gradebook.csv)")
    p.add_argument("--roster", metavar="FILE", help="canvas/moodle/csv: roster CSV (student_id, name, email)")

    p = sub.add_parser("similarity", help="pairs of submissions whose student-written code is alike (instructors)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="zip or folder; a folder of them compares each")
    p.add_argument("--out", required=True, help="folder for similarity.csv and similarity.html")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="pairs at or above this similarity are shown side by side (default 0.5)",
    )

    p = sub.add_parser("release", help="write the student handout (instructors): no reference/, no hidden data")
    p.add_argument("--out", required=True, help="folder for the handout: outside the project, absent or empty")
    p.add_argument("--root", help="project root holding reference/ and student/ (default: this project)")
    p.add_argument("--force", action="store_true", help="replace the content of a non-empty --out")
    p.add_argument(
        "--rubric",
        help="the rubric whose questions the handout README lists, e.g. rubrics/tp2.yaml for TP2's own README "
        "(default: the project's rubric.yaml)",
    )

    p = sub.add_parser("data", help="download CIFAR-10 or write the synthetic set")
    p.add_argument("dataset", choices=["cifar10", "synthetic"])
    p.add_argument("--dest", help="target folder (default: the cache folder data_utils reads)")
    p.add_argument("--url", help="download from this URL or local archive instead (cifar10)")
    p.add_argument("--md5", help="expected MD5 of the archive at --url ('none' skips the check)")
    p.add_argument("--force", action="store_true", help="download again even if present; overwrite (synthetic)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic set (synthetic)")
    for verb in sub.choices.values():  # every verb speaks the same languages
        verb.add_argument(
            "--lang",
            metavar="LANG",
            default=None,
            help="language of messages and reports: en or es (default: $A2KIT_LANG, the rubric's, the locale, en)",
        )
    return parser
