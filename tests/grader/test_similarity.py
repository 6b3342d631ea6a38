"""``similarity``: a disguised copy is the top pair, independent work scores low, starter code nothing.

The material: the handout's ``student/`` with four functions of layers.py
filled in, written twice independently for these tests (STYLE_A vectorised,
STYLE_B with loops), and a copy of STYLE_A with every variable renamed, the
comments changed and two functions swapped in the file.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from grader import cli, similarity
from tests.grader.subjects import ROOT, copy_package, replace_function

pytest.importorskip("copydetect", reason="the similarity extra (copydetect) is not installed")

STYLE_A = {
    "softmax_loss": """
def softmax_loss(x, y):
    # shift for numerical stability
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    probs = np.exp(log_probs)
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx
""",
    "svm_loss": """
def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(n), y] = 0
    loss = np.sum(margins) / n
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(n), y] -= num_pos
    dx /= n
    return loss, dx
""",
    "max_pool_forward_naive": """
def max_pool_forward_naive(x, pool_param):
    n, c, h, w = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    out_h = 1 + (h - ph) // stride
    out_w = 1 + (w - pw) // stride
    out = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    cache = (x, pool_param)
    return out, cache
""",
    "dropout_forward": """
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
""",
}

STYLE_B = {
    "softmax_loss": """
def softmax_loss(x, y):
    total = 0.0
    grad = np.zeros_like(x)
    count = len(y)
    for row in range(count):
        scores = x[row] - x[row].max()
        e = np.exp(scores)
        p = e / e.sum()
        total += -np.log(p[y[row]])
        p[y[row]] = p[y[row]] - 1.0
        grad[row] = p
    return total / count, grad / count
""",
    "svm_loss": """
def svm_loss(x, y):
    count = len(y)
    total = 0.0
    grad = np.zeros_like(x)
    for row in range(count):
        for col in range(x.shape[1]):
            if col == y[row]:
                continue
            m = x[row, col] - x[row, y[row]] + 1
            if m > 0:
                total += m
                grad[row, col] += 1
                grad[row, y[row]] -= 1
    return total / count, grad / count
""",
    "max_pool_forward_naive": """
def max_pool_forward_naive(x, pool_param):
    s = pool_param.get("stride")
    hh = pool_param.get("pool_height")
    ww = pool_param.get("pool_width")
    rows = (x.shape[2] - hh) // s + 1
    cols = (x.shape[3] - ww) // s + 1
    res = np.empty(x.shape[:2] + (rows, cols))
    for a in range(x.shape[0]):
        for ch in range(x.shape[1]):
            for r in range(rows):
                for q in range(cols):
                    res[a, ch, r, q] = x[a, ch, r * s:r * s + hh, q * s:q * s + ww].max()
    return res, (x, pool_param)
""",
    "dropout_forward": """
def dropout_forward(x, dropout_param):
    keep = dropout_param["p"]
    rng_seed = dropout_param.get("seed")
    if rng_seed is not None:
        np.random.seed(rng_seed)
    if dropout_param["mode"] != "train":
        return x, (dropout_param, None)
    keep_mask = np.random.random_sample(x.shape) < keep
    scaled = np.where(keep_mask, x / keep, 0).astype(x.dtype)
    return scaled, (dropout_param, keep_mask / keep)
""",
}

RENAMES = {
    "shifted": "z",
    "log_probs": "lp",
    "probs": "pr",
    "correct": "right",
    "margins": "marg",
    "num_pos": "k",
    "window": "patch",
    "out_h": "oh",
    "out_w": "ow",
    "mask": "drop_mask",
    "loss": "value",
    "dx": "grad_x",
    r"\bn\b": "batch",
}


def disguise(source: str) -> str:
    for old, new in RENAMES.items():
        source = re.sub(old if old.startswith("\\b") else rf"\b{old}\b", new, source)
    source = re.sub(r"#.*", "# my own idea", source)
    return source


def submission(dest, functions: dict[str, str], *, swap: tuple[str, str] | None = None):
    copy_package(ROOT / "student", dest / "student")
    layers = dest / "student" / "layers.py"
    text = layers.read_text()
    if swap:  # put each of the two functions where the other one was
        a, b = swap
        text = replace_function(text, a, functions[b].replace(f"def {b}(", "def __swapped__("))
        text = replace_function(text, b, functions[a])
        text = text.replace("def __swapped__(", f"def {b}(")
        functions = {k: v for k, v in functions.items() if k not in swap}
    for name, source in functions.items():
        text = replace_function(text, name, source)
    layers.write_text(text)
    return dest


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("sim")
    subs = base / "subs"
    submission(subs / "alice", STYLE_A)
    submission(subs / "bob", {k: disguise(v) for k, v in STYLE_A.items()}, swap=("softmax_loss", "svm_loss"))
    submission(subs / "carol", STYLE_B)
    submission(subs / "dan", {})  # the handout untouched
    submission(subs / "eve", {})
    # an attempt at markup in a name and in the code
    submission(
        subs / "<i>mallory&",
        {
            "softmax_loss": STYLE_B["softmax_loss"].replace(
                "total = 0.0", "total = 0.0  # </pre><script>alert(1)</script>"
            )
        },
    )
    assert cli.main(["similarity", str(subs), "--out", str(base / "out")]) == 0
    rows = list(csv.DictReader(io.StringIO((base / "out" / "similarity.csv").read_text())))
    pairs = {frozenset((r["submission_a"], r["submission_b"])): float(r["similarity"]) for r in rows}
    return rows, pairs, (base / "out" / "similarity.html").read_text()


def test_the_disguised_copy_is_the_top_pair(report):
    rows, pairs, _ = report
    assert {rows[0]["submission_a"], rows[0]["submission_b"]} == {"alice", "bob"}
    assert pairs[frozenset(("alice", "bob"))] >= 0.6, rows[0]
    assert [float(r["similarity"]) for r in rows] == sorted((float(r["similarity"]) for r in rows), reverse=True)


def test_independent_solutions_score_low_and_starter_code_nothing(report):
    _, pairs, _ = report
    assert pairs[frozenset(("alice", "carol"))] < 0.25
    assert pairs[frozenset(("bob", "carol"))] < 0.25
    assert pairs[frozenset(("dan", "eve"))] == 0.0
    assert pairs[frozenset(("alice", "dan"))] == 0.0


def test_the_html_is_self_contained_escaped_and_marks_the_match(report):
    _, _, text = report
    assert "<script" not in text and "&lt;script&gt;" in text and "&lt;i&gt;mallory&amp;" in text
    assert "<mark>" in text and not re.search(r"(src|href)=", text)
    assert "alice &harr; bob" in text


def test_fewer_than_two_submissions_is_a_one_line_error(tmp_path, capsys):
    submission(tmp_path / "one", {})
    assert cli.main(["similarity", str(tmp_path / "one"), "--out", str(tmp_path / "o")]) == 2
    assert "at least two readable submissions" in capsys.readouterr().err


def test_similarity_never_touches_a_gradebook(tmp_path):
    submission(tmp_path / "a", STYLE_A)
    submission(tmp_path / "b", STYLE_B)
    out = tmp_path / "graded"
    out.mkdir()
    (out / "gradebook.csv").write_text("submission,status\n")
    similarity.run([tmp_path / "a", tmp_path / "b"], out)
    assert (out / "gradebook.csv").read_text() == "submission,status\n"
