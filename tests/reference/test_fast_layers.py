"""Tests of reference/fast_layers.py and its kernels (im2col.py, im2col_cython.pyx).

The fast layers must compute what the naive layers of reference/layers.py
compute, with both kernel backends: the compiled Cython one (skipped, with the
reason, when it was not built) and the numpy fallback.

Tolerances:
- convolution, float64: elementwise cs231n relative error < 1e-9 (observed
  <= 3e-13). Fast and naive layers sum the same products in different orders.
- convolution, float32: the error relative to the array's scale
  (``scaled_error``) < 1e-5. Each output or gradient entry is a float32 sum of
  up to C*HH*WW (forward, dx) or N*H'*W' (dw, db) products, rounded with
  eps = 6e-8 per addition, in a different order on each side, so differences of
  a few 1e-7 of the scale are expected (observed <= 6e-7). The elementwise
  relative error is no measure here: it reaches 8e-5 on entries that nearly
  cancel to zero.
- max pooling: exact (np.array_equal) in both dtypes, ties and overlapping
  windows included. Both sides pick the same element and add the same numbers
  in the same order (windows in row-major order).
- Cython and numpy kernels: exact, for every kernel.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reference import fast_layers as FL
from reference import layers as L
from reference.im2col import (
    col2im_numpy,
    im2col_numpy,
    max_pool_backward_numpy,
    max_pool_forward_numpy,
)

from .helpers import rel_error, scaled_error

ROOT = Path(__file__).resolve().parents[2]

#: Convolution tolerances (see the module docstring).
CONV_REL_FLOAT64 = 1e-9
CONV_SCALED_FLOAT32 = 1e-5

HAVE_CYTHON = "cython" in FL.BACKENDS
BACKENDS = [
    "numpy",
    pytest.param(
        "cython",
        marks=pytest.mark.skipif(
            not HAVE_CYTHON, reason="Cython kernels not compiled (pip install -e . with a C compiler)"
        ),
    ),
]
DTYPES = [np.float32, np.float64]


def _conv_cases():
    """(x shape, w shape, stride, pad) for every stride 1-3 and pad 0-3, with
    square and non-square filters and inputs; each tiles the padded input."""
    filters = [(3, 3), (2, 3), (1, 1), (3, 1), (4, 2), (5, 5)]
    outs = [(1, 2), (2, 3), (3, 1), (4, 4)]
    cases = []
    k = 0
    for stride in (1, 2, 3):
        for pad in (0, 1, 2, 3):
            HH, WW = filters[k % len(filters)]
            Ho, Wo = outs[k % len(outs)]
            # H = stride * (H' - 1) + HH - 2 * pad, raised until it is >= 1.
            while stride * (Ho - 1) + HH - 2 * pad < 1:
                Ho += 1
            while stride * (Wo - 1) + WW - 2 * pad < 1:
                Wo += 1
            H = stride * (Ho - 1) + HH - 2 * pad
            W = stride * (Wo - 1) + WW - 2 * pad
            N, C, F = 2 + k % 2, 1 + k % 3, 2 + k % 3
            cases.append(((N, C, H, W), (F, C, HH, WW), stride, pad))
            k += 1
    # The cs231n notebook's shape (smaller batch) and a filter as large as the padded input.
    cases.append(((3, 3, 31, 31), (4, 3, 3, 3), 2, 1))
    cases.append(((2, 2, 4, 3), (3, 2, 6, 5), 1, 1))
    return cases


CONV_CASES = _conv_cases()

#: (x shape, pool_height, pool_width, stride)
POOL_CASES = [
    ((2, 3, 8, 8), 2, 2, 2),  # side by side, tiling (reshape method)
    ((2, 3, 9, 7), 2, 2, 2),  # side by side, leftover row and column
    ((2, 3, 8, 8), 3, 3, 2),  # overlapping, leftover row and column
    ((2, 3, 9, 9), 3, 3, 2),  # overlapping, tiling
    ((2, 2, 7, 8), 3, 2, 1),  # overlapping, non-square window, stride 1
    ((2, 2, 7, 8), 2, 3, 3),  # gaps between windows (stride > window)
    ((2, 2, 6, 6), 1, 1, 1),  # identity
    ((2, 2, 6, 7), 3, 3, 3),  # side by side, 3x3, leftover columns
    ((2, 2, 5, 5), 5, 5, 1),  # one window covering the image
    ((1, 3, 10, 9), 4, 4, 2),  # large overlap, leftovers
    ((2, 2, 5, 8), 2, 4, 2),  # overlap along the width only
]


def _ids(cases):
    return [f"x{'x'.join(map(str, c[0]))}-" + "-".join(map(str, c[1:])) for c in cases]


def _conv_ids(cases):
    return [f"x{'x'.join(map(str, x))}-w{'x'.join(map(str, w))}-s{s}-p{p}" for x, w, s, p in cases]


@pytest.fixture
def rng():
    return np.random.default_rng(231)


def assert_conv_close(fast, naive, dtype, what):
    assert fast.dtype == naive.dtype == dtype, f"{what}: dtype {fast.dtype}, naive {naive.dtype}"
    assert fast.shape == naive.shape, f"{what}: shape {fast.shape}, naive {naive.shape}"
    if dtype == np.float64:
        err = rel_error(fast, naive)
        assert err < CONV_REL_FLOAT64, f"{what}: relative error {err:.2e}"
    else:
        err = scaled_error(fast, naive)
        assert err < CONV_SCALED_FLOAT32, f"{what}: scaled error {err:.2e}"


def assert_identical(fast, naive, what):
    assert fast.dtype == naive.dtype, f"{what}: dtype {fast.dtype}, naive {naive.dtype}"
    assert fast.shape == naive.shape, f"{what}: shape {fast.shape}, naive {naive.shape}"
    if not np.array_equal(fast, naive, equal_nan=True):
        bad = np.argwhere(~((fast == naive) | (np.isnan(fast) & np.isnan(naive))))
        raise AssertionError(
            f"{what}: {len(bad)} entries differ, first at {tuple(bad[0])}: "
            f"{fast[tuple(bad[0])]!r} vs {naive[tuple(bad[0])]!r}"
        )


# ---------------------------------------------------------------------------
# Fast == naive
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=_conv_ids(CONV_CASES))
def test_conv_matches_naive(rng, backend, dtype, x_shape, w_shape, stride, pad):
    """Do the fast conv's output and gradients equal the naive layer's?"""
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    conv_param = {"stride": stride, "pad": pad}
    out_n, cache_n = L.conv_forward_naive(x, w, b, conv_param)
    out_f, cache_f = FL.conv_forward_fast(x, w, b, conv_param, backend=backend)
    assert_conv_close(out_f, out_n, dtype, "out")
    dout = rng.standard_normal(out_n.shape).astype(dtype)
    for name, g_f, g_n in zip(
        ("dx", "dw", "db"), FL.conv_backward_fast(dout, cache_f), L.conv_backward_naive(dout, cache_n), strict=False
    ):
        assert_conv_close(g_f, g_n, dtype, name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("values", ["ties", "distinct"])
@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES, ids=_ids(POOL_CASES))
def test_max_pool_matches_naive_exactly(rng, backend, dtype, values, x_shape, ph, pw, stride):
    """Are the fast max pool's output and gradient identical to the naive layer's,
    ties (first maximum in row-major order) and overlapping windows included?"""
    if values == "ties":  # small integers: most windows hold their max twice or more
        x = rng.integers(-2, 3, size=x_shape).astype(dtype)
    else:
        x = rng.standard_normal(x_shape).astype(dtype)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_n, cache_n = L.max_pool_forward_naive(x, pool_param)
    out_f, cache_f = FL.max_pool_forward_fast(x, pool_param, backend=backend)
    assert_identical(out_f, out_n, "out")
    # Non-integer upstream gradients: overlapping windows' sums depend on the order.
    dout = rng.standard_normal(out_n.shape).astype(dtype)
    assert_identical(FL.max_pool_backward_fast(dout, cache_f), L.max_pool_backward_naive(dout, cache_n), "dx")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES[:5], ids=_ids(POOL_CASES[:5]))
def test_max_pool_general_method_matches_naive(rng, backend, x_shape, ph, pw, stride):
    """Does the general (im2col) pooling method also handle windows side by side?"""
    x = rng.integers(-2, 3, size=x_shape).astype(np.float64)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_n, cache_n = L.max_pool_forward_naive(x, pool_param)
    out_f, cache_f = FL.max_pool_forward_im2col(x, pool_param, backend=backend)
    assert_identical(out_f, out_n, "out")
    dout = rng.standard_normal(out_n.shape)
    assert_identical(FL.max_pool_backward_im2col(dout, cache_f), L.max_pool_backward_naive(dout, cache_n), "dx")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pool", [(2, 2, 2), (3, 3, 2)])
def test_max_pool_nan_matches_naive(rng, backend, pool):
    """Does a NaN win its windows, as in np.max / np.argmax?"""
    x = rng.integers(-2, 3, size=(2, 2, 7, 7)).astype(np.float64)
    x[0, 0, 1, 1] = x[1, 1, 4, 3] = x[1, 1, 4, 4] = np.nan
    pool_param = dict(zip(("pool_height", "pool_width", "stride"), pool, strict=True))
    out_n, cache_n = L.max_pool_forward_naive(x, pool_param)
    out_f, cache_f = FL.max_pool_forward_fast(x, pool_param, backend=backend)
    assert_identical(out_f, out_n, "out")
    dout = rng.standard_normal(out_n.shape)
    assert_identical(FL.max_pool_backward_fast(dout, cache_f), L.max_pool_backward_naive(dout, cache_n), "dx")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("chunk_bytes", [1, 3000, 1 << 30])
def test_conv_batch_chunks(rng, monkeypatch, backend, chunk_bytes):
    """Is the result the same when the batch is unfolded one image, a few
    images (with a shorter last chunk) or all images at a time?"""
    monkeypatch.setattr(FL, "_CHUNK_BYTES", chunk_bytes)
    x = rng.standard_normal((7, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    conv_param = {"stride": 1, "pad": 1}
    out_n, cache_n = L.conv_forward_naive(x, w, b, conv_param)
    out_f, cache_f = FL.conv_forward_fast(x, w, b, conv_param, backend=backend)
    assert rel_error(out_f, out_n) < CONV_REL_FLOAT64
    dout = rng.standard_normal(out_n.shape)
    for g_f, g_n in zip(FL.conv_backward_fast(dout, cache_f), L.conv_backward_naive(dout, cache_n), strict=True):
        assert rel_error(g_f, g_n) < CONV_REL_FLOAT64


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_contiguous_inputs(rng, backend):
    """Do transposed (non-contiguous) inputs give the same results?"""
    xt = rng.standard_normal((5, 5, 3, 2)).transpose(3, 2, 1, 0)  # (2, 3, 5, 5)
    w = rng.standard_normal((3, 3, 3, 4)).transpose(3, 2, 1, 0)  # (4, 3, 3, 3)
    b = rng.standard_normal(8)[::2]
    for x_ in (xt, xt[:, :, ::-1, 1:]):
        out_f, cache_f = FL.conv_forward_fast(x_, w, b, {"stride": 1, "pad": 1}, backend=backend)
        out_n, _ = L.conv_forward_naive(x_, w, b, {"stride": 1, "pad": 1})
        assert rel_error(out_f, out_n) < CONV_REL_FLOAT64
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 1}
        assert_identical(
            FL.max_pool_forward_fast(x_, pool_param, backend=backend)[0],
            L.max_pool_forward_naive(x_, pool_param)[0],
            "out",
        )


# ---------------------------------------------------------------------------
# Dtypes, layouts and errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_is_preserved(rng, backend, dtype):
    """Do float32 inputs give float32 outputs and gradients (and float64 float64)?"""
    x = rng.standard_normal((2, 3, 6, 6)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    out, cache = FL.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1}, backend=backend)
    dx, dw, db = FL.conv_backward_fast(np.ones_like(out), cache)
    assert [a.dtype for a in (out, dx, dw, db)] == [dtype] * 4
    assert out.flags.c_contiguous
    for pool in ((2, 2, 2), (3, 3, 1)):
        pool_param = dict(zip(("pool_height", "pool_width", "stride"), pool, strict=True))
        out, cache = FL.max_pool_forward_fast(x, pool_param, backend=backend)
        dx = FL.max_pool_backward_fast(np.ones_like(out), cache)
        assert (out.dtype, dx.dtype) == (dtype, dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "x_shape, w_shape, pad, stride",
    [
        ((1, 1, 6, 6), (1, 1, 3, 3), 0, 2),  # (6 - 3) % 2 != 0
        ((1, 1, 5, 6), (1, 1, 3, 3), 1, 2),  # the width does not tile: (6 + 2 - 3) % 2
        ((1, 1, 8, 8), (1, 1, 2, 2), 0, 4),  # (8 - 2) % 4 != 0
    ],
)
def test_conv_illegal_stride_raises(backend, x_shape, w_shape, pad, stride):
    """Is a stride that does not tile the padded input a ValueError naming conv_param['stride']?"""
    x, w, b = np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0])
    with pytest.raises(ValueError, match=r"conv_param\['stride'\]"):
        FL.conv_forward_fast(x, w, b, {"stride": stride, "pad": pad}, backend=backend)


def test_pool_window_larger_than_input_raises():
    """Is a pooling window taller than the input a ValueError?"""
    with pytest.raises(ValueError, match="pool_height"):
        FL.max_pool_forward_fast(np.zeros((1, 1, 2, 4)), {"pool_height": 3, "pool_width": 2, "stride": 1})


def test_unknown_backend_raises():
    """Is an unknown backend name a ValueError listing the available ones?"""
    with pytest.raises(ValueError, match="numpy"):
        FL.conv_forward_fast(
            np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 0}, backend="fortran"
        )


# ---------------------------------------------------------------------------
# The kernels themselves
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=_conv_ids(CONV_CASES))
def test_col2im_is_the_adjoint_of_im2col(rng, x_shape, w_shape, stride, pad):
    """Is <im2col(x), c> == <x, col2im(c)> (the property the conv backward relies on)?"""
    _, _, HH, WW = w_shape
    x = rng.standard_normal(x_shape)
    cols = im2col_numpy(x, HH, WW, pad, stride)
    c = rng.standard_normal(cols.shape)
    lhs = np.sum(cols * c)
    rhs = np.sum(x * col2im_numpy(c, x_shape, HH, WW, pad, stride))
    assert abs(lhs - rhs) <= 1e-12 * (np.sum(np.abs(cols * c)) + 1)


@pytest.mark.skipif(not HAVE_CYTHON, reason="Cython kernels not compiled (pip install -e . with a C compiler)")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=_conv_ids(CONV_CASES))
def test_cython_conv_kernels_equal_numpy(rng, dtype, x_shape, w_shape, stride, pad):
    """Do the compiled im2col and col2im give exactly the numpy kernels' arrays?"""
    from reference.im2col_cython import col2im_cython, im2col_cython

    _, _, HH, WW = w_shape
    x = rng.standard_normal(x_shape).astype(dtype)
    cols = im2col_cython(x, HH, WW, pad, stride)
    assert_identical(cols, im2col_numpy(x, HH, WW, pad, stride), "cols")
    c = rng.standard_normal(cols.shape).astype(dtype)
    assert_identical(
        col2im_cython(c, x_shape, HH, WW, pad, stride), col2im_numpy(c, x_shape, HH, WW, pad, stride), "col2im"
    )
    # Writing into a given buffer: every element is overwritten.
    buf = np.full(cols.shape, np.nan, dtype=dtype)
    assert im2col_cython(x, HH, WW, pad, stride, out=buf) is buf
    assert_identical(buf, cols, "cols (out=)")
    img = np.full(x_shape, np.nan, dtype=dtype)
    col2im_cython(c, x_shape, HH, WW, pad, stride, out=img)
    assert_identical(img, col2im_numpy(c, x_shape, HH, WW, pad, stride), "col2im (out=)")


@pytest.mark.skipif(not HAVE_CYTHON, reason="Cython kernels not compiled (pip install -e . with a C compiler)")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES, ids=_ids(POOL_CASES))
def test_cython_pool_kernels_equal_numpy(rng, dtype, x_shape, ph, pw, stride):
    """Do the compiled pooling kernels give exactly the numpy kernels' maxima,
    argmax indices and gradients?"""
    from reference.im2col_cython import max_pool_backward_cython, max_pool_forward_cython

    x = rng.integers(-2, 3, size=x_shape).astype(dtype)
    out_c, arg_c = max_pool_forward_cython(x, ph, pw, stride)
    out_n, arg_n = max_pool_forward_numpy(x, ph, pw, stride)
    assert_identical(out_c, out_n, "out")
    assert_identical(arg_c, arg_n, "argmax")
    dout = rng.standard_normal(out_c.shape).astype(dtype)
    assert_identical(
        max_pool_backward_cython(dout, arg_c, x_shape, ph, pw, stride),
        max_pool_backward_numpy(dout, arg_n, x_shape, ph, pw, stride),
        "dx",
    )


# ---------------------------------------------------------------------------
# Backend selection at import
# ---------------------------------------------------------------------------


def _import_fast_layers(env_extra, block_cython, stale_cython=False):
    """Import reference.fast_layers in a fresh interpreter; return (BACKEND, warning messages)."""
    script = textwrap.dedent(f"""\
        import sys, types, warnings
        if {block_cython!r}:
            sys.modules["reference.im2col_cython"] = None  # the import now raises ImportError
        if {stale_cython!r}:  # a module built from an older .pyx: right names, old version
            stale = types.ModuleType("reference.im2col_cython")
            for name in ("im2col_cython", "col2im_cython", "max_pool_forward_cython", "max_pool_backward_cython"):
                setattr(stale, name, lambda *a, **k: None)
            stale.KERNEL_VERSION = 0
            sys.modules["reference.im2col_cython"] = stale
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import reference.fast_layers as fl
        print(fl.BACKEND)
        for w in caught:
            print("WARNING", w.category.__name__, w.message)
        """)
    env = {k: v for k, v in os.environ.items() if k != "A2KIT_FORCE_NUMPY"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    return lines[0], [line for line in lines[1:] if line.startswith("WARNING")]


def test_missing_kernels_fall_back_to_numpy_with_one_warning():
    """Without the compiled kernels, is the numpy backend used, with exactly one warning?"""
    backend, warned = _import_fast_layers({}, block_cython=True)
    assert backend == "numpy"
    assert len(warned) == 1, warned
    assert "Cython kernels not compiled" in warned[0] and "using the numpy fallback" in warned[0]
    assert "pip install -e ." in warned[0]


def test_stale_compiled_kernels_are_not_used():
    """Is a compiled module from an older im2col_cython.pyx refused, with the one warning?"""
    backend, warned = _import_fast_layers({}, block_cython=False, stale_cython=True)
    assert backend == "numpy"
    assert len(warned) == 1 and "older im2col_cython.pyx" in warned[0]


def test_force_numpy_selects_the_fallback_silently():
    """Does A2KIT_FORCE_NUMPY=1 select the numpy backend without a warning?"""
    backend, warned = _import_fast_layers({"A2KIT_FORCE_NUMPY": "1"}, block_cython=False)
    assert (backend, warned) == ("numpy", [])


@pytest.mark.skipif(not HAVE_CYTHON, reason="Cython kernels not compiled (pip install -e . with a C compiler)")
def test_compiled_kernels_are_the_default():
    """When the kernels are compiled, are they used by default, silently?"""
    backend, warned = _import_fast_layers({}, block_cython=False)
    assert (backend, warned) == ("cython", [])


# ---------------------------------------------------------------------------
# Against PyTorch
# ---------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("backend", BACKENDS)
def test_against_torch(rng, backend):
    """Do the fast layers agree with torch's conv2d and max_pool2d and their
    autograd gradients (float64: conv to 1e-9, pooling exactly)?"""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the torch-oracle test is skipped")
    tF = torch.nn.functional

    for x_shape, w_shape, stride, pad in CONV_CASES:
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        out, cache = FL.conv_forward_fast(x, w, b, {"stride": stride, "pad": pad}, backend=backend)
        dout = rng.standard_normal(out.shape)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        out_t = tF.conv2d(xt, wt, bt, stride=stride, padding=pad)
        out_t.backward(torch.from_numpy(dout))
        assert rel_error(out, out_t.detach().numpy()) < CONV_REL_FLOAT64
        for g, t in zip(FL.conv_backward_fast(dout, cache), (xt, wt, bt), strict=True):
            assert rel_error(g, t.grad.numpy()) < CONV_REL_FLOAT64

    for x_shape, ph, pw, stride in POOL_CASES:
        x = rng.integers(-2, 3, size=x_shape).astype(np.float64)
        out, cache = FL.max_pool_forward_fast(
            x, {"pool_height": ph, "pool_width": pw, "stride": stride}, backend=backend
        )
        dout = rng.standard_normal(out.shape)
        xt = torch.tensor(x, requires_grad=True)
        out_t = tF.max_pool2d(xt, (ph, pw), stride=stride)
        out_t.backward(torch.from_numpy(dout))
        assert_identical(out, out_t.detach().numpy(), "out")
        assert_identical(FL.max_pool_backward_fast(dout, cache), xt.grad.numpy(), "dx")
