"""The causes found grading real cs231n solutions, each reproduced by our own small submission.

Each test grades a submission written here (the reference in an edition's API,
with one function rewritten the way real work of that edition writes it) and
asserts the fair score. A cause whose fix lands outside ``grader/editions.py`` was first
marked ``xfail(strict=True)`` with the file to fix, then unmarked when the fix landed.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

from grader import editions, grading, q5_notebook
from grader import rubric as rubric_mod
from tests.grader import subjects
from tests.grader.test_editions import edition_package

ROOT = subjects.ROOT


def _only(rub, ids):
    questions = []
    for q in rub.questions:
        checks = tuple(dataclasses.replace(c, points=1.0, hidden_cases=1) for c in q.checks if c.id in ids)
        if checks:
            questions.append(dataclasses.replace(q, checks=checks, points=float(len(checks))))
    return dataclasses.replace(rub, questions=tuple(questions))


def _grade(tmp_path, pkg, ids):
    rub = _only(rubric_mod.load(ROOT / "rubric.yaml"), set(ids))
    hidden = grading.hidden_for(grading.resolve_secret("editions-real"), ROOT, rub)
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)  # edition detected
    data = json.loads(graded.files[grading.RESULTS])
    return graded, [(t["name"], t["output"]) for t in data["tests"] if t["score"] < t["max_score"]]


def test_np_lib_pad_is_restored_for_old_work(tmp_path):
    """Does 2018-2019 work that pads with np.lib.pad (removed in NumPy 2) keep its conv points?"""
    pkg = edition_package(tmp_path / "p", "2018-2019")
    subjects.edit_file(
        pkg / "layers.py",
        append="_conv_fwd = conv_forward_naive\n\n\ndef conv_forward_naive(x, w, b, conv_param):\n"
        "    np.lib.pad(x[:1], 0, mode='constant')  # the 2018 idiom\n    return _conv_fwd(x, w, b, conv_param)\n",
    )
    graded, failed = _grade(tmp_path, pkg, {"conv_forward_naive"})
    assert graded.row.status == "graded" and not failed, failed


def test_np_lib_pad_alias_is_np_pad():
    """Is np.lib.pad put back as np.pad (in a fresh interpreter, so this process's NumPy is untouched)?"""
    code = (
        "import numpy as np; from grader import editions\neditions.restore_numpy_aliases(); print(np.lib.pad is np.pad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_2017_has_no_q5_at_stake():
    """2017's PyTorch.ipynb predates flatten/two_layer_fc/train_part34: is Q5 not applicable, and Q1-Q4 kept?"""
    rub = rubric_mod.load(ROOT / "rubric.yaml")
    kept, dropped = editions.apply_to_rubric(rub, editions.lookup("2017"))
    assert "q5" not in [q.id for q in kept.questions] and "torch_flatten" in dropped
    assert [q.id for q in kept.questions] == [q.id for q in rub.questions if q.id != "q5"]


def test_keepdims_running_stats_with_right_values_score(tmp_path):
    """Running mean and variance kept as (1, D) (x.mean(axis=0, keepdims=True)), values right: full points?"""
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "layers.py",
        append="_bn_fwd = batchnorm_forward\n\n\ndef batchnorm_forward(x, gamma, beta, bn_param):\n"
        "    out, cache = _bn_fwd(x, gamma, beta, bn_param)\n"
        "    for k in ('running_mean', 'running_var'):\n"
        "        bn_param[k] = np.asarray(bn_param[k]).reshape(1, -1)\n"
        "    return out, cache\n",
    )
    graded, failed = _grade(tmp_path, pkg, {"batchnorm_running_stats"})
    assert graded.row.total == graded.row.max_total, failed


def test_pooling_that_asserts_its_precondition_keeps_its_points(tmp_path):
    """max_pool_forward_naive asserting cs231n's documented precondition: full points?"""
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "layers.py",
        append="_pool_fwd = max_pool_forward_naive\n\n\ndef max_pool_forward_naive(x, pool_param):\n"
        "    H, W = x.shape[2:]\n    s = pool_param['stride']\n"
        "    assert (H - pool_param['pool_height']) % s == 0 and (W - pool_param['pool_width']) % s == 0\n"
        "    return _pool_fwd(x, pool_param)\n",
    )
    graded, failed = _grade(tmp_path, pkg, {"max_pool_forward_naive"})
    assert not failed, failed


def test_q5_module_imports_when_a_kept_assignment_names_a_dropped_one(tmp_path):
    """PyTorch.ipynb's Part II cell (conv_w1 = random_weight(...); params = [conv_w1, ...]): does the module import?"""
    nb = tmp_path / "PyTorch.ipynb"
    nb.write_text(
        json.dumps(
            subjects.code_notebook(
                [
                    "import torch\n",
                    "def random_weight(shape):\n    return torch.zeros(shape)\n",
                    "channel_1 = 32\nconv_w1 = random_weight((channel_1, 3, 5, 5))\nparams = [conv_w1]\n",
                ]
            )
        )
    )
    source = q5_notebook.extract(nb).source
    exec(compile(source, "pytorch_models.py", "exec"), {"__name__": "pytorch_models"})  # noqa: S102 - our own code


def test_cnn_reading_w_from_the_fast_conv_cache_keeps_its_points(tmp_path):
    """ThreeLayerConvNet taking W1 from conv_forward_fast's cache, as cs231n's cache order allows: full points?"""
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "classifiers" / "cnn.py",
        append="from ..fast_layers import conv_forward_fast as _fast\n_TLC = ThreeLayerConvNet\n\n\n"
        "class ThreeLayerConvNet(_TLC):\n    def loss(self, X, y=None):\n"
        "        W1, b1 = self.params['W1'], self.params['b1']\n"
        "        _, cache = _fast(X, W1, b1, {'stride': 1, 'pad': (W1.shape[2] - 1) // 2})\n"
        "        np.sum(cache[1] * W1)  # cs231n's cache: (x, w, b, conv_param, x_cols)\n"
        "        return super().loss(X, y)\n",
    )
    graded, failed = _grade(tmp_path, pkg, {"convnet_loss"})
    assert not failed, failed


def test_np_reshape_with_newshape_keeps_its_points_in_every_edition(tmp_path):
    """2020 work that flattens with np.reshape(x, newshape=...) (the keyword NumPy 2.4 removed): does it keep
    the points of every check through affine_forward (28 points of one real 2020 solution)?"""
    for edition in ("2018-2019", "2021-2024"):
        pkg = edition_package(tmp_path / edition, edition)
        subjects.edit_file(
            pkg / "layers.py",
            append="_affine_fwd = affine_forward\n\n\ndef affine_forward(x, w, b):\n"
            "    x2 = np.reshape(x, newshape=(x.shape[0], -1))  # the 2020 idiom\n"
            "    return _affine_fwd(x2.reshape(x.shape), w, b)\n",
        )
        graded, failed = _grade(tmp_path / edition, pkg, {"affine_forward", "fc_net_loss"})
        assert graded.row.status == "graded" and not failed, (edition, failed)


def test_2017_adam_with_the_starters_t_default_of_1_keeps_its_points(tmp_path):
    """2017's starter code set config.setdefault('t', 1) in adam (later editions: 0). A 2017 solution that
    increments t first, as its notebook expected, lost adam on the hidden draws with a fresh config: does it
    keep it now, and does the same code still fail as 2018-2019 work (where the default is the student's)?"""
    for edition, fair in (("2017", True), ("2018-2019", False)):
        pkg = edition_package(tmp_path / edition, edition)
        text = (pkg / "optim.py").read_text()
        assert text.count('config.setdefault("t", 0)') == 1
        (pkg / "optim.py").write_text(text.replace('config.setdefault("t", 0)', 'config.setdefault("t", 1)'))
        rub = _only(rubric_mod.load(ROOT / "rubric.yaml"), {"adam"})
        rub = dataclasses.replace(rub, edition=edition)
        rub = dataclasses.replace(
            rub,
            questions=tuple(
                dataclasses.replace(q, checks=tuple(dataclasses.replace(c, hidden_cases=8) for c in q.checks))
                for q in rub.questions
            ),
        )
        hidden = grading.hidden_for(grading.resolve_secret("editions-real"), ROOT, rub)
        zipped = subjects.cs231n_zip(tmp_path / f"{edition}.zip", pkg)
        graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
        assert (graded.row.total == 1) == fair, (edition, graded.row)
