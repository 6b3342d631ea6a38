"""Throughput of `python -m grader grade` on a mixed corpus: correct, buggy and hostile submissions.

Usage: python bench/grade.py [-n 200] [--workers N] [--timeout 5] [--questions q1,q2,q3,q4]
                             [--no-hostile] [--notebooks-n 4] [--skip-bwrap] [--keep DIR]

Makes N submissions in our layout (about half the reference, a third mutants of
the corpus in tests/mutants, the rest hostile: a loop at import, a loop in one
function, a memory bomb, sys.exit at import, os._exit in a function, a flood
of output, a syntax error, a fork bomb (with bubblewrap only: as root, outside
it, RLIMIT_NPROC does not bind), a file that is not a zip), grades them with
`grader.grading.grade` in a fresh process per configuration, and prints per
configuration: submissions per minute (wall clock of the whole batch),
p50/p95 seconds per submission (its own wall time, from results.json), and the
peak resident memory of a sandboxed worker (the largest the workers reported
in results.json; with resource limits alone, also ru_maxrss of RUSAGE_CHILDREN:
under bubblewrap the worker is not this process's waited-for descendant).
Configurations: code only with bubblewrap, code only with resource limits alone, and with
--execute-notebooks on the first
--notebooks-n submissions (0 skips it).

Every check's time limit is --timeout seconds (default 5; the rubric's are
20 to 60 s, sized for slow student code on a loaded machine; Q5's torch checks
keep theirs, since importing torch alone can take seconds): the hostile
submissions that loop cost a timeout per affected check, which would
otherwise dominate the figures. Target: >= 120 code-only submissions per
minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: name -> (file in the package, text inserted at the top of a function body or of the file, function or None)
HOSTILE = {
    "loop-at-import": ("layers.py", "while True:\n    pass\n", None),
    "loop-in-function": ("layers.py", "    while True:\n        pass\n", "affine_forward"),
    "memory-bomb": (
        "layers.py",
        "    _hog = []\n    while True:\n        _hog.append(bytearray(1 << 28))\n",
        "relu_forward",
    ),
    "exit-at-import": ("optim.py", "import sys\nsys.exit(0)\n", None),
    "os-exit": ("layers.py", "    import os\n    os._exit(0)\n", "softmax_loss"),
    "flood": ("layers.py", "    for _ in range(10 ** 6):\n        print('x' * 1000)\n", "svm_loss"),
    "syntax-error": ("classifiers/cnn.py", "def broken(:\n", None),
    "fork-bomb": ("layers.py", "    import os\n    while True:\n        os.fork()\n", "relu_backward"),
    "not-a-zip": ("", "", None),
}


def _insert(path: Path, text: str, function: str | None) -> None:
    """``text`` at the top of ``path``, or as the first lines of ``function``'s body."""
    src = path.read_text()
    if function is None:
        path.write_text(text + src)
        return
    head = src.index(f"def {function}(")
    body = src.index(":\n", head) + 2
    path.write_text(src[:body] + text + src[body:])


def make_corpus(dest: Path, n: int, *, bwrap: bool, hostile_share: bool = True) -> list[Path]:
    """N submissions under ``dest``; their kinds in a fixed, interleaved order."""
    from tests.mutants import Mutant, all_mutants, build_package

    mutants = [m for m in all_mutants() if m.rubric is None and not m.name.startswith("torch")]
    hostile = [h for h in HOSTILE if bwrap or h != "fork-bomb"]
    dest.mkdir(parents=True)
    paths = []
    for i in range(n):
        kinds = (
            ("correct", "buggy", "correct", "hostile", "buggy", "correct") if hostile_share else ("correct", "buggy")
        )
        kind = kinds[i % len(kinds)]
        sub = dest / f"s{i:04d}-{kind}"
        if kind == "hostile":
            name = hostile[(i // 6) % len(hostile)]
            sub = dest / f"s{i:04d}-{name}"
            if name == "not-a-zip":
                sub = sub.with_suffix(".zip")
                sub.write_bytes(b"this is not a zip\n")
                paths.append(sub)
                continue
        mutant: Mutant | None = mutants[(i // 6) % len(mutants)] if kind == "buggy" else None
        tmp = dest / ".build"
        if mutant is not None:
            build_package(mutant, tmp, package="student")
            shutil.move(str(tmp / "student"), str(sub / "student"))
        else:
            shutil.copytree(
                ROOT / "reference", sub / "student", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c")
            )
        shutil.copytree(ROOT / "notebooks", sub / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        if kind == "hostile":
            file, text, function = HOSTILE[name]
            _insert(sub / "student" / file, text, function)
        paths.append(sub)
    shutil.rmtree(dest / ".build", ignore_errors=True)
    return paths


def _rubric(timeout: float, questions: str | None):
    from grader import rubric

    rub = rubric.load()
    if questions:
        wanted = questions.split(",")
        rub = dataclasses.replace(rub, questions=tuple(q for q in rub.questions if q.id in wanted))
    questions = tuple(
        dataclasses.replace(
            q,
            checks=tuple(c if c.id.startswith("torch_") else dataclasses.replace(c, timeout=timeout) for c in q.checks),
        )
        for q in rub.questions
    )
    return dataclasses.replace(rub, questions=questions)


def run_one(args: argparse.Namespace) -> None:
    """One configuration, in this (fresh) process: prints one JSON line."""
    from grader import gradebook, grading

    os.environ["A2KIT_SANDBOX"] = args.sandbox
    subs = sorted(p for p in Path(args.corpus).iterdir() if not p.name.startswith("."))[: args.n]
    out = Path(args.out)
    rub = _rubric(args.timeout, args.questions)
    start = time.perf_counter()
    rows = grading.grade(
        subs,
        out,
        rubric=rub,
        seed="bench-secret",
        force=True,
        workers=args.workers,
        execute_notebooks=args.execute_notebooks,
    )
    wall = time.perf_counter() - start
    per, rss, kinds = [], [0.0], {}
    for r in rows:
        try:
            meta = json.loads((out / r.submission / "results.json").read_text())["a2kit"]
        except (OSError, KeyError, ValueError):
            continue
        per.append(meta["seconds"])
        rss.append(meta.get("peak_rss_mib", 0.0))
        kinds.setdefault(r.submission.split("-", 1)[1], []).append(meta["seconds"])
    statuses = {s: sum(1 for r in rows if r.status == s) for s in gradebook.STATUSES}
    print(
        json.dumps(
            {
                "n": len(rows),
                "wall": wall,
                "per": per,
                "statuses": statuses,
                "maxrss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "worker_rss_mib": max(rss),
                "kinds": {k: [len(v), sum(v)] for k, v in sorted(kinds.items())},
            }
        )
    )


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="default: the number of cores")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per check (default 5)")
    parser.add_argument(
        "--notebooks-n", type=int, default=4, help="submissions graded with --execute-notebooks (0: skip)"
    )
    parser.add_argument(
        "--questions", help="grade only these questions of rubric.yaml, e.g. q1,q2,q3,q4 (default: all)"
    )
    parser.add_argument("--no-hostile", action="store_true", help="only correct and buggy submissions")
    parser.add_argument("--skip-bwrap", action="store_true", help="only the resource-limits configuration")
    parser.add_argument("--keep", help="keep the corpus and outputs in this folder")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--execute-notebooks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args)
        return

    from grader import sandbox
    from grader.grading import default_workers

    bwrap_ok, why = sandbox.bwrap_status()
    workers = args.workers or default_workers()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="a2kit-bench-"))
    configs = []
    if bwrap_ok and not args.skip_bwrap:
        configs.append(("code only, bubblewrap", "bwrap", args.n, False))
    configs.append(("code only, limits only", "limits", args.n, False))
    if args.notebooks_n:
        configs.append(
            ("--execute-notebooks", "bwrap" if bwrap_ok and not args.skip_bwrap else "limits", args.notebooks_n, True)
        )
    print(
        f"bench/grade.py: {args.n} submissions, {workers} workers, {os.cpu_count()} cores, "
        f"check timeout {args.timeout:g} s, "
        f"questions {args.questions or 'all'}" + ("" if bwrap_ok else f"; bubblewrap unavailable ({why})")
    )
    try:
        corpora = {}
        for sandbox_mode in sorted({c[1] for c in configs}):
            corpora[sandbox_mode] = base / f"corpus-{sandbox_mode}"
            if not corpora[sandbox_mode].exists():
                make_corpus(
                    corpora[sandbox_mode], args.n, bwrap=sandbox_mode == "bwrap", hostile_share=not args.no_hostile
                )
        kinds = sorted(
            {p.name.split("-", 1)[1].removesuffix(".zip") for p in corpora[configs[0][1]].iterdir() if p.name[0] == "s"}
        )
        print(f"corpus kinds: {', '.join(kinds)}")
        print(
            f"{'configuration':<26} {'n':>4} {'wall s':>8} {'subs/min':>9} {'p50 s':>7} {'p95 s':>7} "
            f"{'worker RSS MiB':>14} {'child maxrss MiB':>16}  statuses"
        )
        for label, mode, n, notebooks in configs:
            out = base / f"out-{label.split(',')[0].replace(' ', '-').strip('-')}-{mode}"
            cmd = [
                sys.executable,
                __file__,
                "--one",
                "--corpus",
                str(corpora[mode]),
                "--out",
                str(out),
                "--sandbox",
                mode,
                "-n",
                str(n),
                "--workers",
                str(workers),
                "--timeout",
                str(args.timeout),
            ]
            if args.questions:
                cmd += ["--questions", args.questions]
            if notebooks:
                cmd.append("--execute-notebooks")
            done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
            if done.returncode != 0:
                print(f"{label:<26} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rate = r["n"] / r["wall"] * 60
            flag = "" if notebooks else ("  (target >= 120: ok)" if rate >= 120 else "  (target >= 120: MISSED)")
            statuses = ", ".join(f"{v} {k}" for k, v in r["statuses"].items() if v)
            print(
                f"{label:<26} {r['n']:>4} {r['wall']:>8.1f} {rate:>9.1f} {_quantile(r['per'], 0.5):>7.2f} "
                f"{_quantile(r['per'], 0.95):>7.2f} {r['worker_rss_mib']:>14.0f} "
                f"{r['maxrss_mib']:>16.0f}  {statuses}{flag}"
            )
            total = sum(t for _, t in r["kinds"].values()) or 1.0
            print(
                "    seconds per kind (mean; share of all grading time): "
                + ", ".join(f"{k} {t / n:.1f} ({100 * t / total:.0f}%)" for k, (n, t) in r["kinds"].items())
            )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
