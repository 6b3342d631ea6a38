"""Grade local cs231n Assignment 2 solutions and print their deduction table (markdown).

Usage: python bench/real_editions.py DIR [DIR ...] [--out OUT] [--seed SECRET] [--edition YEAR]
                                     [--workers N] [--rubric FILE]

Each DIR is a solution folder in the cs231n layout (``cs231n/layers.py``,
``cs231n/classifiers/fc_net.py``, ... beside the notebooks), brought here by
whoever runs this (it downloads nothing and holds no third-party code). They
are graded with ``python -m grader grade`` in one batch, under a copy of the
rubric whose checks are all ``visible`` (so each failure's message keeps its
measured error and shapes), and the table has one row per deducted check:
submission, edition detected, status, total, check, points lost, and the
first line of the grader's message. The last column, ``verdict``, is left
for the person reading the code to fill in (real bug, or grader wrong).
A second table gives each submission's total and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def visible_rubric(src: Path, dest: Path) -> Path:
    """``src`` with a top-level ``visibility: visible`` (every check's message keeps its figures)."""
    text = src.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^visibility:.*\n", "", text)
    text = re.sub(r"(?m)^(version:.*\n)", r"\1visibility: visible\n", text, count=1)
    dest.write_text(text, encoding="utf-8")
    return dest


def grade(dirs: list[Path], out: Path, rubric: Path, seed: str, edition: str | None, workers: int) -> int:
    cmd = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        *map(str, dirs),
        "--out",
        str(out),
        "--rubric",
        str(rubric),
        "--seed",
        seed,
        "--workers",
        str(workers),
        "--force",
    ]
    if edition:
        cmd += ["--edition", edition]
    env = dict(os.environ)
    env.setdefault("A2KIT_SANDBOX", "bwrap")
    return subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False).returncode


def _cell(text: str, width: int = 110) -> str:
    line = " / ".join(s.strip() for s in str(text).splitlines() if s.strip() and s.strip() != "failed")
    line = line.replace("|", "\\|")
    return line if len(line) <= width else line[: width - 1] + "…"


def deductions(results: dict) -> list[tuple[str, float, str]]:
    rows = []
    for t in results.get("tests", ()):
        lost = float(t.get("max_score", 0)) - float(t.get("score", 0))
        if lost > 1e-9:
            check = t["name"].split(":")[0].split(" ", 1)[-1]
            rows.append((check, lost, t.get("output", "")))
    return rows


def table(out: Path) -> str:
    lines = [
        "| submission | edition | status | total | check | lost | grader's message | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    totals = ["| submission | edition | status | total / max | seconds |", "| --- | --- | --- | --- | --- |"]
    for res in sorted(out.glob("*/results.json")):
        data = json.loads(res.read_text(encoding="utf-8"))
        a = data.get("a2kit", {})
        name, ed, status = a.get("submission", res.parent.name), a.get("edition", "?"), a.get("status", "?")
        total, max_total = a.get("total", data.get("score", 0)), a.get("max_total", "?")
        totals.append(f"| {name} | {ed} | {status} | {total:g} / {max_total:g} | {a.get('seconds', '?')} |")
        for check, lost, message in deductions(data) or [("(none)", 0.0, "")]:
            lines.append(f"| {name} | {ed} | {status} | {total:g} | {check} | {lost:.2f} | {_cell(message)} | |")
    return "\n".join(lines) + "\n\n" + "\n".join(totals) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="cs231n-layout solution folders")
    ap.add_argument("--out", type=Path, default=None, help="grading output folder (default: a temporary one)")
    ap.add_argument("--seed", default="real-editions", help="secret of the hidden inputs")
    ap.add_argument("--edition", default=None, help="grade every folder as this edition (default: detected)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rubric", type=Path, default=ROOT / "rubric.yaml")
    args = ap.parse_args(argv)
    missing = [d for d in args.dirs if not d.is_dir()]
    if missing:
        print(f"error: not a folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="a2kit-real-") as tmp:
        out = args.out or Path(tmp) / "graded"
        rubric = visible_rubric(args.rubric, Path(tmp) / "rubric_visible.yaml")
        rc = grade([d.resolve() for d in args.dirs], out, rubric, args.seed, args.edition, args.workers)
        print(table(out))
    return 0 if rc in (0, 1) else rc


if __name__ == "__main__":
    raise SystemExit(main())
