"""Wall time of `python -m grader check qN`, per question and for all.

Usage: python bench/check.py [--repeats 5] [--implementation reference|student]

Prints a table: the median and the spread of N runs of the whole command
(interpreter start, child process, checks, rendering), the way a student
experiences it. Target: <= 2 s per question on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def time_command(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--implementation", default="reference")
    args = parser.parse_args()
    from grader import rubric

    questions = rubric.load().question_ids
    print(
        f"python -m grader check --implementation {args.implementation}; "
        f"{args.repeats} runs each; {os.cpu_count()} cores"
    )
    print(f"{'what':<8} {'median s':>9} {'min s':>7} {'max s':>7}  target")
    for q in questions + ["all"]:
        cmd = ["--implementation", args.implementation] + ([] if q == "all" else [q])
        t = time_command(cmd, args.repeats)
        target = "" if q == "all" else ("ok (<= 2 s)" if statistics.median(t) <= 2 else "MISSED (> 2 s)")
        print(f"{q:<8} {statistics.median(t):>9.2f} {min(t):>7.2f} {max(t):>7.2f}  {target}")


if __name__ == "__main__":
    main()
