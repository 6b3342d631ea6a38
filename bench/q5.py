"""Q5 (PyTorch) timings on this CPU: `check q5`, and one epoch of the open-ended model.

Usage: python bench/q5.py [--repeats 3] [--implementation reference] [--images 5000] [--threads 1]

Prints three tables:

1. the wall time of ``python -m grader check q5`` (interpreter start, the
   worker importing torch, every Q5 check, rendering), median and spread of
   ``--repeats`` runs, the same for ``check q1`` and the ratio of the medians
   (target <= 3), and the time of a bare ``import torch`` for scale;
2. the seconds each Q5 check took inside the worker (one run);
3. one epoch of ``make_open_model()`` (float32, minibatches of 64, as in the
   notebook) on ``--images`` images of the synthetic CIFAR-shaped set of
   ``data_utils`` (seed 0) and the validation accuracy on 1000 more, then the
   same on the small set of the ``torch_open_model`` check (640 images,
   float64, minibatches of 32).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _wall(argv: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def _row(what: str, t: list[float]) -> str:
    return f"{what:<34} {statistics.median(t):>9.2f} {min(t):>7.2f} {max(t):>7.2f}"


def _epoch(torch, pm, X, y, X_val, y_val, batch: int, dtype) -> tuple[float, float]:
    """Seconds of one training epoch of the open model, and its validation accuracy."""
    torch.manual_seed(0)
    model, optimizer = pm.make_open_model(3, 10)
    model.to(dtype=dtype)
    X_t, y_t = torch.tensor(X, dtype=dtype), torch.from_numpy(y)
    start = time.perf_counter()
    for i in range(0, len(X), batch):
        model.train()
        loss = torch.nn.functional.cross_entropy(model(X_t[i : i + batch]), y_t[i : i + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        preds = model(torch.tensor(X_val, dtype=dtype)).argmax(dim=1).numpy()
    return seconds, float(np.mean(preds == y_val))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--implementation", default="reference")
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the epoch timings (the checks use 1)")
    args = parser.parse_args()
    env_note = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"

    print(f"1. wall time, {args.repeats} runs each ({env_note})")
    print(f"{'what':<34} {'median s':>9} {'min s':>7} {'max s':>7}")
    print(_row("python -c 'import torch'", _wall([sys.executable, "-c", "import torch"], args.repeats)))
    check_argv = [sys.executable, "-m", "grader", "check", "q5", "--implementation", args.implementation]
    q5_times = _wall(check_argv, args.repeats)
    print(_row(f"check q5 --implementation {args.implementation}", q5_times))
    q1_times = _wall(check_argv[:4] + ["q1"] + check_argv[5:], args.repeats)
    print(_row(f"check q1 --implementation {args.implementation}", q1_times))
    ratio = statistics.median(q5_times) / statistics.median(q1_times)
    print(f"check q5 / check q1 (medians): {ratio:.2f} (target <= 3)")

    from grader import check

    (result,) = check.run(["q5"], implementation=args.implementation)
    print(
        f"\n2. seconds per check inside the worker (one run; the first includes importing torch): "
        f"{result.points:g} / {result.max_points:g} points"
    )
    for c in result.checks:
        print(f"  {c.check_id:<34} {c.seconds:>7.2f}  {c.status.value}")
    print(f"  {'sum':<34} {sum(c.seconds for c in result.checks):>7.2f}")

    import torch

    from grader.checks import q5

    torch.set_num_threads(args.threads)
    pm = __import__(f"{args.implementation}.pytorch_models", fromlist=["make_open_model"])
    data_utils = __import__(f"{args.implementation}.data_utils", fromlist=["make_synthetic_cifar"])
    print(f"\n3. one epoch of make_open_model() on the CPU, {torch.get_num_threads()} torch thread(s)")
    print(f"{'data':<44} {'images':>6} {'epoch s':>8} {'ms/image':>9} {'val acc':>8}")
    X, y, X_val, y_val = data_utils.make_synthetic_cifar(args.images, 1000, seed=0, dtype=np.float32)
    mean = X.mean(axis=0)
    std = X.std(axis=(0, 1, 2))
    # as the notebook: centred, unit variance, channels first
    seconds, acc = _epoch(
        torch,
        pm,
        ((X - mean) / std).transpose(0, 3, 1, 2),
        y,
        ((X_val - mean) / std).transpose(0, 3, 1, 2),
        y_val,
        64,
        torch.float32,
    )
    print(
        f"{'data_utils synthetic set, float32, batch 64':<44} {args.images:>6} {seconds:>8.2f} "
        f"{1000 * seconds / args.images:>9.2f} {acc:>8.3f}"
    )
    rng = np.random.default_rng(0)
    prototypes = q5.synthetic_prototypes(rng)
    X, y = q5.synthetic_images(rng, q5.OPEN_TRAIN, prototypes)
    X_val, y_val = q5.synthetic_images(rng, q5.OPEN_VAL, prototypes)
    seconds, acc = _epoch(torch, pm, X, y, X_val, y_val, q5.OPEN_BATCH, torch.float64)
    print(
        f"{'torch_open_model set, float64, batch 32':<44} {q5.OPEN_TRAIN:>6} {seconds:>8.2f} "
        f"{1000 * seconds / q5.OPEN_TRAIN:>9.2f} {acc:>8.3f}"
    )


if __name__ == "__main__":
    main()
