"""Epochs per second of the TP2 network library (reference implementation).

    python bench/tp2.py [--repeats 3] [--threads 1]

Rows: XOR with architecture (a) 2-2-1 tanh and (b) with Concatenate (4
examples, full batch), and a two-hidden-layer net 3072-100-50-10 (ReLU, CCE,
BGD with bs=64) on 1000 images of the synthetic CIFAR-shaped set. Each row is
the best of ``--repeats`` runs; an epoch includes the end-of-epoch evaluation
that fills the history.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="runs per row; the best is kept (default 3)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    return p.parse_args()


def main() -> int:
    args = _parse()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np

    from reference.data_utils import make_synthetic_cifar
    from reference.network import losses, optimizers
    from reference.network.layers import Concatenate, Dense
    from reference.network.models import Network

    xor_x = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    xor_y = np.array([[-1.0], [1.0], [1.0], [-1.0]])

    def xor(concat: bool):
        net = Network(seed=0).add(Dense(2, "tanh", input_dim=2))
        if concat:
            net.add(Concatenate())
        return net.add(Dense(1, "tanh")), xor_x, xor_y, losses.MSE(), optimizers.BGD(lr=0.01), 2000

    synthetic = make_synthetic_cifar(1000, 10, seed=0)
    images, labels = synthetic[0], synthetic[1]
    cifar_x = images.reshape(len(images), -1).astype(np.float64)
    cifar_x = (cifar_x - cifar_x.mean(axis=0)) / cifar_x.std()

    def cifar():
        net = Network(seed=0).add(Dense(100, "relu", input_dim=3072)).add(Dense(50, "relu")).add(Dense(10))
        return net, cifar_x, labels, losses.CCE(), optimizers.BGD(lr=0.003, bs=64), 3

    rows = [
        ("XOR (a) 2-2-1 tanh, full batch", lambda: xor(False)),
        ("XOR (b) 2-2-1 + Concatenate", lambda: xor(True)),
        ("CIFAR-shaped 3072-100-50-10, 1000 images, bs=64", cifar),
    ]
    print(f"{'network':<50} {'epochs':>7} {'seconds':>8} {'epochs/s':>10}")
    for name, build in rows:
        best = float("inf")
        for _ in range(args.repeats):
            net, x, y, loss, opt, epochs = build()
            start = time.perf_counter()
            net.fit(x, y, epochs=epochs, loss=loss, opt=opt)
            best = min(best, time.perf_counter() - start)
        print(f"{name:<50} {epochs:>7d} {best:>8.3f} {epochs / best:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
