"""Epochs per second of the TP2 networks, and the wall time of each TP2 notebook (reference).

    python bench/tp2.py [--repeats 3] [--threads 1] [--notebooks fast|full|both|none]

Networks (each row the best of ``--repeats`` runs; an epoch includes the
end-of-epoch evaluation that fills the history):

* exercise 3 without objects (``tp2_ex3.fit``): 3072 -> 100 sigmoid -> 10
  linear, MSE + L2, bs=128, on 1000 images of the synthetic CIFAR-shaped set;
* exercise 6: XOR with architectures (a) 2-2-1 tanh and (b) 2-1(+inputs)-1,
  4 examples, full batch, with the library;
* exercise 8: 3072 -> 100 sigmoid -> 100 sigmoid -> 10 linear, MSE + L2,
  bs=128, 1000 images, with the library.

Notebooks: ``grader.notebooks.execute_timed`` against the reference, in fast
mode (``A2KIT_FAST=1``) and/or full mode, synthetic data unless CIFAR10_DIR
points at CIFAR-10.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("ComputationalGraphs.ipynb", "XOR.ipynb", "TwoLayerCIFAR.ipynb")


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="runs per row; the best is kept (default 3)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument(
        "--notebooks",
        choices=["fast", "full", "both", "none"],
        default="fast",
        help="notebook modes timed (default fast)",
    )
    return p.parse_args()


def _networks(repeats: int) -> None:
    import numpy as np

    from reference import tp2_ex3
    from reference.data_utils import make_synthetic_cifar
    from reference.network import activations, losses, optimizers, regularizers
    from reference.network.layers import Concatenate, Dense, Input
    from reference.network.models import Network

    xor_x = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    xor_y = np.prod(xor_x, axis=1, keepdims=True)
    synthetic = make_synthetic_cifar(1000, 10, seed=0)
    images, labels = synthetic[0], synthetic[1]
    x = images.reshape(len(images), -1).astype(np.float64)
    x = (x - x.mean(axis=0)) / x.std()

    def xor(arch: str, epochs: int = 2000) -> float:
        net = Network(seed=0).add(Input(2))
        if arch == "a":
            net.add(Dense(2, activations.Tanh()))
        else:
            net.add(Dense(1, activations.Tanh())).add(Concatenate(2))
        net.add(Dense(1, activations.Tanh()))
        start = time.perf_counter()
        net.fit(xor_x, xor_y, epochs=epochs, loss=losses.MSE(), opt=optimizers.SGD(lr=0.01), name="XOR")
        return time.perf_counter() - start

    def ex3(epochs: int = 3) -> float:
        start = time.perf_counter()
        tp2_ex3.fit(x, labels, x[:100], labels[:100], epochs=epochs, lr=1e-2, reg=1e-4, batch_size=128)
        return time.perf_counter() - start

    def ex8(epochs: int = 3) -> float:
        net = Network(seed=0).add(Input(3072)).add(Dense(100, activations.Sigmoid()))
        net.add(Dense(100, activations.Sigmoid())).add(Dense(10))
        start = time.perf_counter()
        net.fit(
            x,
            labels,
            epochs=epochs,
            loss=losses.MSE(),
            opt=optimizers.SGD(lr=1e-2, bs=128),
            name="cifar",
            reg=regularizers.L2(1e-4),
        )
        return time.perf_counter() - start

    rows = [
        ("ex. 3 without objects 3072-100-10, 1000 images, bs=128", ex3, 3),
        ("ex. 6 XOR (a) 2-2-1 tanh, full batch", lambda: xor("a"), 2000),
        ("ex. 6 XOR (b) 2-1-1 + Concatenate, full batch", lambda: xor("b"), 2000),
        ("ex. 8 library 3072-100-100-10, 1000 images, bs=128", ex8, 3),
    ]
    print(f"{'network':<58} {'epochs':>7} {'seconds':>8} {'epochs/s':>10}")
    for name, run, epochs in rows:
        best = min(run() for _ in range(repeats))
        print(f"{name:<58} {epochs:>7d} {best:>8.3f} {epochs / best:>10.1f}", flush=True)


def _notebooks(modes: list[bool]) -> None:
    from grader import notebooks

    print(f"\n{'notebook':<28} {'mode':<5} {'seconds':>8}")
    for fast in modes:
        for name in NOTEBOOKS:
            _, seconds = notebooks.execute_timed(
                ROOT / "notebooks" / "tp2" / name, implementation="reference", fast=fast, timeout=3600
            )
            print(f"{name:<28} {'fast' if fast else 'full':<5} {seconds:>8.1f}", flush=True)


def main() -> int:
    args = _parse()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(ROOT))
    _networks(args.repeats)
    modes = {"fast": [True], "full": [False], "both": [True, False], "none": []}[args.notebooks]
    if modes:
        _notebooks(modes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
