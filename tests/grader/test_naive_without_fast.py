"""The naive layers' checks run where the released fast layers compute nothing (issue 11, breach 6).

``grader.layout.without_fast_layers`` copies the assembled tree with
``fast_layers``, ``im2col`` and ``im2col_cython`` (source, extension, stale
bytecode) replaced by modules that import but raise when called; ``check``
and ``grade`` run every ``Check.naive`` check on that copy.
"""

from __future__ import annotations

import subprocess
import sys

from grader import check
from grader.checks import registry
from grader.layout import FAST_MODULES, without_fast_layers
from tests.grader.subjects import ROOT, copy_package, edit_file

NAIVE = ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive")

CALLS_FAST = """
from .fast_layers import conv_forward_fast, max_pool_forward_fast


def conv_forward_naive(x, w, b, conv_param):
    return conv_forward_fast(x, w, b, conv_param)


def max_pool_forward_naive(x, pool_param):
    return max_pool_forward_fast(x, pool_param)
"""


def test_the_naive_checks_are_the_four_naive_layers():
    assert tuple(c.id for c in registry.all_checks().values() if c.naive) == NAIVE


def test_the_copy_imports_but_its_fast_layers_compute_nothing(tmp_path):
    pkg = copy_package(ROOT / "reference", tmp_path / "tree" / "fakepkg")
    (pkg / "im2col_cython.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF not really")
    (pkg / "fast_layers.pyc").write_bytes(b"sourceless bytecode")
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "fast_layers.cpython-311.pyc").write_bytes(b"stale")
    copy = without_fast_layers(tmp_path / "tree", "fakepkg", tmp_path / "naive") / "fakepkg"
    left = sorted(p.name for p in copy.iterdir() if p.name.split(".")[0] in FAST_MODULES)
    assert left == [f"{stem}.py" for stem in sorted(FAST_MODULES)]
    assert not list(copy.rglob("__pycache__"))
    assert (pkg / "fast_layers.py").read_text() != (copy / "fast_layers.py").read_text()  # the original is intact
    code = (
        "import numpy as np\n"
        "from fakepkg import layer_utils, layers\n"  # layer_utils imports the fast layers: it still imports
        "x, w, b = np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1)\n"
        "print(layers.conv_forward_naive(x, w, b, {'stride': 1, 'pad': 1})[0].sum())\n"
        "from fakepkg.fast_layers import conv_forward_fast\n"
        "try:\n"
        "    conv_forward_fast(x, w, b, {'stride': 1, 'pad': 1})\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "naive", capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    total, message = out.stdout.splitlines()
    assert float(total) == 49.0
    assert message == (
        "fast_layers.conv_forward_fast is not available in a naive layer's check: a naive layer must compute "
        "its result itself, without the fast layers"
    )


def test_check_scores_nothing_for_naive_layers_that_call_the_fast_ones(tmp_path):
    pkg = copy_package(ROOT / "reference", tmp_path / "fakepkg")
    edit_file(pkg / "layers.py", append=CALLS_FAST)
    results = check.run_ids(list(NAIVE), implementation="fakepkg", root=tmp_path)
    status = {c.check_id: (c.passed, c.message) for q in results for c in q.checks}
    for cid in ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive"):
        assert not status[cid][0], cid
    assert "not available in a naive layer's check" in status["conv_forward_naive"][1]
    reference = check.run_ids(list(NAIVE), implementation="reference", root=ROOT)
    assert all(c.passed for q in reference for c in q.checks)
