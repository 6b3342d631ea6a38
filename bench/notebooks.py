"""Wall time of each assignment notebook, fast and full mode, and the size of the HTML report.

Usage: python bench/notebooks.py [--mode fast|full|both] [--implementation reference]
                                 [--timeout 600] [NOTEBOOK ...]

Each notebook of notebooks/ (collect_submission.ipynb excepted) runs top to
bottom in a fresh kernel through ``grader.notebooks.execute``, on the synthetic
data set (CIFAR10_DIR unset and an empty cache folder, so a downloaded CIFAR-10
is not used). Then the report ``collect`` would write is rendered from the
check results and the notebooks executed in fast mode (from the full-mode run
with ``--mode full``), and its size is printed, in all and per notebook.
Target: each notebook <= 60 s in fast mode on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SKIPPED = {"collect_submission.ipynb"}
FAST_TARGET_S = 60.0


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="file names under notebooks/ (default: all)")
    parser.add_argument("--mode", choices=["fast", "full", "both"], default="both")
    parser.add_argument("--implementation", default="reference")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per cell")
    args = parser.parse_args()

    from grader import check, notebooks
    from grader.render import html

    folder = ROOT / "notebooks"
    if args.notebooks:
        paths = [folder / n for n in args.notebooks]
    else:
        paths = [
            p for p in sorted(folder.glob("*.ipynb")) + sorted(folder.glob("tp2/*.ipynb")) if p.name not in SKIPPED
        ]
    modes = ["fast", "full"] if args.mode == "both" else [args.mode]
    os.environ.pop("CIFAR10_DIR", None)
    cache = tempfile.mkdtemp(prefix="a2kit-bench-cache-")
    env = {"XDG_CACHE_HOME": cache}

    print(
        f"notebooks against {args.implementation}, synthetic data; {os.cpu_count()} cores; "
        f"per-cell limit {args.timeout:g} s"
    )
    header = f"{'notebook':<32}" + "".join(f" {m + ' s':>9}" for m in modes) + "  code cells  target (fast <= 60 s)"
    print(header)
    executed = {}
    totals = dict.fromkeys(modes, 0.0)
    for path in paths:
        row, status, cells = f"{path.relative_to(folder).as_posix():<32}", "", "-"
        for mode in modes:
            start = time.perf_counter()
            try:
                nb = notebooks.execute(
                    path, implementation=args.implementation, fast=(mode == "fast"), timeout=args.timeout, env=env
                )
            except notebooks.NotebookError as exc:
                row += f" {'failed':>9}"
                status = f"{status} {exc}".strip()
                continue
            seconds = time.perf_counter() - start
            totals[mode] += seconds
            row += f" {seconds:>9.1f}"
            cells = str(sum(c.cell_type == "code" for c in nb.cells))
            executed.setdefault(path.name, nb)
            if mode == "fast":
                status = "ok" if seconds <= FAST_TARGET_S else "MISSED"
        print(f"{row}  {cells:>10}  {status}", flush=True)
    print(f"{'total':<32}" + "".join(f" {totals[m]:>9.1f}" for m in modes))

    results = check.run(None, implementation=args.implementation)
    sections = [html.notebook_section(nb, name) for name, nb in executed.items()]
    page = html.render_report(results, title="Assignment 2: submission report (bench)", sections=sections)
    empty = html.render_report(results, title="Assignment 2: submission report (bench)")
    print()
    print(
        f"HTML report ({modes[0]} mode notebooks): {_kib(len(page.encode()))} in all; "
        f"checks only {_kib(len(empty.encode()))}"
    )
    for s in sections:
        images = str(s.body).count("data:image/")
        print(f"  {s.title:<30} {_kib(len(str(s.body).encode())):>12}  {images} images")


if __name__ == "__main__":
    main()
