"""Benchmark the fast conv and max-pool layers against the naive ones and torch.

    python bench/conv.py [--threads N] [--dtype float64|float32] [--repeats R]

Times forward and backward passes, median of R repeats (fewer for the slow
naive layers), for the shapes of the cs231n notebook, with:

- naive:  reference.layers (conv_forward_naive, max_pool_forward_naive, ...)
- cython: reference.fast_layers with the compiled kernels (if compiled)
- numpy:  reference.fast_layers with the numpy fallback kernels
- torch:  torch.nn.functional.conv2d / max_pool2d, backward through autograd
          (the column is left out, with a note, when torch is not installed)

BLAS (numpy) and torch run with the same number of threads (--threads, by
default every CPU this process may use); the Cython kernels are
single-threaded. Ratios: naive/fast is the speed-up of the fast layer (the
compiled one when available) over the naive one; fast/torch is how many times
slower than torch it is (below 1: faster).
"""

import argparse
import os
import sys


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="float64 is the dtype of the cs231n notebook's checks",
    )
    parser.add_argument("--repeats", type=int, default=15)
    return parser.parse_args()


ARGS = _parse_args()
# BLAS reads these when it loads, so they must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from reference import fast_layers, layers  # noqa: E402

try:
    import torch
    import torch.nn.functional as tF
except ImportError:  # pragma: no cover - depends on the environment
    torch = None


def median_time(fn, repeats, budget_s=20.0):
    """Median wall time of fn() in seconds over `repeats` runs (fewer if slow)."""
    times = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s and len(times) >= 3:
            break
    return statistics.median(times)


def time_pair(forward, backward, repeats):
    """Median times of forward() and of backward(cache) (cache from a forward)."""
    t_fwd = median_time(forward, repeats)
    cache = forward()
    t_bwd = median_time(lambda: backward(cache), repeats)
    return t_fwd, t_bwd


def torch_pair(op, inputs, dout, repeats):
    """Median forward and backward (autograd) times of op(*inputs) in torch."""
    tensors = [torch.from_numpy(a).requires_grad_(True) for a in inputs]
    grad = torch.from_numpy(dout)

    def forward():
        with torch.no_grad():
            return op(*tensors)

    def backward_once():
        for t in tensors:
            t.grad = None
        out = op(*tensors)
        t0 = time.perf_counter()
        out.backward(grad)
        return time.perf_counter() - t0

    t_fwd = median_time(forward, repeats)
    backward_once()  # warm-up
    t_bwd = statistics.median(backward_once() for _ in range(repeats))
    return t_fwd, t_bwd


def conv_case(x, w, b, conv_param, repeats):
    """{column: (forward s, backward s)} for one convolution."""
    row = {}
    out, _ = layers.conv_forward_naive(x, w, b, conv_param)
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    row["naive"] = time_pair(
        lambda: layers.conv_forward_naive(x, w, b, conv_param)[1],
        lambda c: layers.conv_backward_naive(dout, c),
        max(3, repeats // 5),
    )
    for backend in ("cython", "numpy"):
        if backend not in fast_layers.BACKENDS:
            continue
        row[backend] = time_pair(
            lambda backend=backend: fast_layers.conv_forward_fast(x, w, b, conv_param, backend=backend)[1],
            lambda c: fast_layers.conv_backward_fast(dout, c),
            repeats,
        )
    if torch is not None:

        def op(x_, w_, b_):
            return tF.conv2d(x_, w_, b_, stride=conv_param["stride"], padding=conv_param["pad"])

        row["torch"] = torch_pair(op, (x, w, b), dout, repeats)
    return row


def pool_case(x, pool_param, repeats):
    """{column: (forward s, backward s)} for one max pooling."""
    row = {}
    out, _ = layers.max_pool_forward_naive(x, pool_param)
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    row["naive"] = time_pair(
        lambda: layers.max_pool_forward_naive(x, pool_param)[1],
        lambda c: layers.max_pool_backward_naive(dout, c),
        max(3, repeats // 5),
    )
    for backend in ("cython", "numpy"):
        if backend not in fast_layers.BACKENDS:
            continue
        row[backend] = time_pair(
            lambda backend=backend: fast_layers.max_pool_forward_fast(x, pool_param, backend=backend)[1],
            lambda c: fast_layers.max_pool_backward_fast(dout, c),
            repeats,
        )
    if torch is not None:
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        op = lambda x_: tF.max_pool2d(x_, (ph, pw), stride=s)  # noqa: E731
        row["torch"] = torch_pair(op, (x,), dout, repeats)
    return row


def cases(dtype):
    rng = np.random.default_rng(0)
    randn = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    yield (
        "conv x 100x3x31x31, w 25x3x3x3, stride 2, pad 1",
        lambda r: conv_case(randn(100, 3, 31, 31), randn(25, 3, 3, 3), randn(25), {"stride": 2, "pad": 1}, r),
    )
    yield (
        "conv x 64x64x16x16, w 64x64x3x3, stride 1, pad 1",
        lambda r: conv_case(randn(64, 64, 16, 16), randn(64, 64, 3, 3), randn(64), {"stride": 1, "pad": 1}, r),
    )
    yield (
        "pool x 100x3x32x32, 2x2, stride 2",
        lambda r: pool_case(randn(100, 3, 32, 32), {"pool_height": 2, "pool_width": 2, "stride": 2}, r),
    )
    yield (
        "pool x 100x3x32x32, 3x3, stride 2 (overlap)",
        lambda r: pool_case(randn(100, 3, 32, 32), {"pool_height": 3, "pool_width": 3, "stride": 2}, r),
    )


def main():
    if torch is not None:
        torch.set_num_threads(ARGS.threads)
    fast = "cython" if "cython" in fast_layers.BACKENDS else "numpy"
    print(
        f"dtype {ARGS.dtype}; threads: {ARGS.threads} (BLAS via *_NUM_THREADS"
        + (
            f", torch.set_num_threads -> torch.get_num_threads() = {torch.get_num_threads()})"
            if torch is not None
            else ")"
        )
    )
    print(
        f"fast layers: backends {sorted(fast_layers.BACKENDS)}, ratios use '{fast}'; "
        f"times in ms, median of up to {ARGS.repeats} runs"
    )
    if hasattr(os, "getloadavg"):
        print(
            f"CPUs usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}; "
            "load average at start: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        )
    if torch is None:
        print("torch is not installed: the torch columns are left out")
    cols = ["naive", "cython", "numpy"] + (["torch"] if torch is not None else [])
    header = f"{'case':<48} {'pass':<4}" + "".join(f"{c:>10}" for c in cols)
    header += f"{'naive/fast':>12}" + (f"{'fast/torch':>12}" if torch is not None else "")
    print(header)
    print("-" * len(header))
    for name, run in cases(np.dtype(ARGS.dtype)):
        row = run(ARGS.repeats)
        for k, pass_name in enumerate(("fwd", "bwd")):
            line = f"{name if k == 0 else '':<48} {pass_name:<4}"
            for c in cols:
                line += f"{row[c][k] * 1e3:>10.3f}" if c in row else f"{'-':>10}"
            line += f"{row['naive'][k] / row[fast][k]:>11.1f}x"
            if torch is not None:
                line += f"{row[fast][k] / row['torch'][k]:>11.2f}x"
            print(line)


if __name__ == "__main__":
    main()
