"""cs231n editions: detection, not-applicable checks, the API adapter, NumPy aliases, the student's helpers.

The edition submissions are the reference written in each edition's API
(its ``FullyConnectedNet`` keywords, its dropout meaning), built here; each
correct one scores full marks as its edition, each buggy one loses points on
the check its bug breaks.
"""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path

import numpy as np
import pytest

from grader import editions, grading
from grader import rubric as rubric_mod
from tests.grader import subjects

ROOT = subjects.ROOT

_SIG = {
    "2017": (
        "dropout=0, use_batchnorm=False",
        "dropout_keep_ratio=1 - dropout, normalization='batchnorm' if use_batchnorm else None",
    ),
    "2018-2019": ("dropout=1, normalization=None", "dropout_keep_ratio=dropout, normalization=normalization"),
    "2021-2024": None,
}
_SIG["2020"] = _SIG["2018-2019"]  # the same API; 2020 is told by its relative imports or its notebooks
_SIG["2025"] = _SIG["2021-2024"]  # the same API; 2025 is told by its RNN captioning in PyTorch
#: The notebooks beside cs231n/ where they tell the edition (the others: FullyConnectedNets, PyTorch, TensorFlow).
_NOTEBOOKS = {
    "2020": ("FullyConnectedNets.ipynb", "PyTorch.ipynb"),
    "2025": ("BatchNormalization.ipynb", "PyTorch.ipynb", "RNN_Captioning_pytorch.ipynb"),
}


def edition_package(dest: Path, edition: str, bug: bool = False) -> Path:
    """The reference's package written as ``edition``'s work (optionally with a bug of that edition)."""
    pkg = subjects.copy_package(ROOT / "reference", dest)
    fc = pkg / "classifiers" / "fc_net.py"
    if _SIG[edition]:
        sig, call = _SIG[edition]
        if bug and edition in ("2018-2019", "2020"):  # the dropout= keyword taken and ignored
            call = call.replace("dropout_keep_ratio=dropout", "dropout_keep_ratio=1")
        text = fc.read_text().replace("class FullyConnectedNet(", "class _FCN(")
        text = text.replace("class FullyConnectedNet:", "class _FCN:")
        text += (
            "\n\nclass FullyConnectedNet(_FCN):\n"
            f"    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, {sig}, reg=0.0,\n"
            "                 weight_scale=1e-2, dtype=np.float32, seed=None):\n"
            f"        super().__init__(hidden_dims, input_dim=input_dim, num_classes=num_classes, {call},\n"
            "                         reg=reg, weight_scale=weight_scale, dtype=dtype, seed=seed)\n"
        )
        fc.write_text(text)
    elif bug:  # 2021-2024 and 2025: dropout_keep_ratio ignored
        subjects.edit_file(
            fc,
            append="_FCN = FullyConnectedNet\n\n\nclass FullyConnectedNet(_FCN):\n"
            "    def __init__(self, *a, dropout_keep_ratio=1, **kw):\n        super().__init__(*a, **kw)\n",
        )
    if edition == "2025":  # Assignment 2 gained RNN captioning, in PyTorch
        (pkg / "rnn_layers_pytorch.py").write_text('"""RNN layers in PyTorch (2025\'s Assignment 2)."""\n')
    if edition == "2017":
        layers = pkg / "layers.py"
        text = layers.read_text().replace("def dropout_forward(", "def dropout_keep_forward(")
        if not bug:  # 2017: p is the probability of dropping a unit
            text += (
                "\n\ndef dropout_forward(x, dropout_param):\n    param = dict(dropout_param)\n"
                "    param['p'] = 1 - param['p']\n    return dropout_keep_forward(x, param)\n"
            )
        else:  # the bug: p read as the keep probability, as from 2018
            text += "\n\ndropout_forward = dropout_keep_forward\n"
        layers.write_text(text)
        fc.write_text(fc.read_text() + "\nfrom ..layers import dropout_keep_forward as dropout_forward  # noqa\n")
    if edition in ("2017", "2018-2019"):  # their starter code imports the package absolutely; 2020's relatively
        for path in (fc, pkg / "classifiers" / "cnn.py"):
            path.write_text(path.read_text().replace("from ..", "from cs231n."))
    return pkg


def _zip(tmp_path: Path, edition: str, bug: bool = False) -> Path:
    pkg = edition_package(tmp_path / f"pkg-{edition}-{bug}", edition, bug)
    notebooks = _NOTEBOOKS.get(edition, ("FullyConnectedNets.ipynb", "PyTorch.ipynb", "TensorFlow.ipynb"))
    beside = dict.fromkeys(notebooks, json.dumps(subjects.code_notebook([])).encode())
    return subjects.cs231n_zip(tmp_path / f"{edition}{'-bug' if bug else ''}.zip", pkg, beside=beside)


# -- declarations --------------------------------------------------------------


def test_lookup_takes_names_and_years_and_refuses_others():
    assert editions.lookup(2019).name == "2018-2019" and editions.lookup("2023").name == "2021-2024"
    assert editions.lookup("2017").name == "2017" and editions.lookup("2025").name == "2025"
    with pytest.raises(editions.EditionError, match="2016"):
        editions.lookup(2016)


@pytest.mark.parametrize("edition", ["2017", "2018-2019", "2020", "2021-2024"])
def test_detect_tells_the_edition_from_the_code(tmp_path, edition):
    """From the code alone (no notebooks): 2020 by its relative imports, with TensorFlow.ipynb beside or not."""
    pkg = edition_package(tmp_path / "p", edition)
    assert editions.detect(pkg)[0].name == edition


def test_detect_falls_back_and_says_so(tmp_path):
    found, why = editions.detect(tmp_path)
    assert found.name == editions.DEFAULT and "could be told" in why


def test_not_applicable_checks_leave_each_question_its_weight():
    rub = rubric_mod.load(ROOT / "rubrics" / "a2_2019.yaml")
    out, dropped = editions.apply_to_rubric(rub, editions.EDITIONS["2021-2024"])
    assert set(dropped) == {"svm_loss", *editions._TWO_LAYER}
    q1 = out.question("q1")
    assert q1.points == 20 and abs(sum(c.points for c in q1.checks) - 20) < 1e-9
    assert not {c.id for c in q1.checks} & set(dropped) and out.max_total == rub.max_total
    out17, dropped17 = editions.apply_to_rubric(rub, editions.EDITIONS["2017"])
    assert (
        "spatial_groupnorm_forward" in dropped17 and abs(sum(c.points for c in out17.question("q4").checks) - 30) < 1e-9
    )


def test_the_adapter_speaks_each_editions_keywords():
    seen = {}

    def net(*a, **kw):
        seen.update(kw)

    def dropout_forward(x, param):
        seen["p"] = param["p"]

    impl = types.SimpleNamespace(
        fc_net=types.SimpleNamespace(FullyConnectedNet=net),
        layers=types.SimpleNamespace(dropout_forward=dropout_forward),
    )
    assert editions.adapt(impl, editions.EDITIONS["2021-2024"]) is impl
    old = editions.adapt(impl, editions.EDITIONS["2017"])
    old.fc_net.FullyConnectedNet([3], dropout_keep_ratio=0.75, normalization="batchnorm")
    old.layers.dropout_forward(None, {"p": 0.25})
    assert seen == {"dropout": 0.25, "use_batchnorm": True, "p": 0.75}
    seen.clear()
    editions.adapt(impl, editions.EDITIONS["2018-2019"]).fc_net.FullyConnectedNet([3], dropout_keep_ratio=0.75)
    assert seen == {"dropout": 0.75}


def test_numpy_aliases_are_restored(monkeypatch):
    monkeypatch.delattr(np, "int", raising=False)
    assert "int" not in np.__dict__
    assert "int" in editions.restore_numpy_aliases() and np.int is int  # noqa: NPY001


def test_the_rubric_field_names_a_known_edition(tmp_path):
    text = (ROOT / "rubrics" / "a2_2019.yaml").read_text()
    (tmp_path / "r.yaml").write_text("edition: 2019\n" + text)
    assert rubric_mod.load(tmp_path / "r.yaml").edition == "2018-2019"
    (tmp_path / "bad.yaml").write_text("edition: 1999\n" + text)
    with pytest.raises(rubric_mod.RubricError, match="edition"):
        rubric_mod.load(tmp_path / "bad.yaml")


# -- graded in the sandbox -------------------------------------------------------


def _q123(rub):
    return dataclasses.replace(rub, questions=tuple(q for q in rub.questions if q.id in ("q1", "q2", "q3")))


@pytest.fixture(scope="module")
def setup():
    rub = _q123(rubric_mod.load(ROOT / "rubrics" / "a2_2019.yaml"))
    root = ROOT
    hidden = grading.hidden_for(grading.resolve_secret("editions-test"), root, rub)
    return rub, hidden


@pytest.mark.parametrize("edition", ["2017", "2018-2019", "2020", "2021-2024", "2025"])
def test_correct_work_of_each_edition_scores_full_marks(tmp_path, setup, edition):
    rub, hidden = setup
    graded = grading.grade_submission(_zip(tmp_path, edition), "s", rubric=rub, hidden=hidden, release_root=ROOT)
    data = json.loads(graded.files[grading.RESULTS])
    failed = [(t["name"], t["output"]) for t in data["tests"] if t["score"] < t["max_score"]]
    assert graded.row.status == "graded" and not failed, failed
    assert data["a2kit"]["edition"] == edition and graded.row.total == graded.row.max_total == 60
    names = " ".join(t["name"] for t in data["tests"])
    assert ("svm_loss" in names) == (edition not in ("2021-2024", "2025"))


@pytest.mark.parametrize(
    "edition,check",
    [
        ("2017", "dropout_forward_train"),
        ("2018-2019", "fc_net_dropout"),
        ("2020", "fc_net_dropout"),
        ("2021-2024", "fc_net_dropout"),
        ("2025", "fc_net_dropout"),
    ],
)
def test_a_bug_of_each_edition_loses_its_check(tmp_path, setup, edition, check):
    rub, hidden = setup
    rub = dataclasses.replace(rub, questions=tuple(q for q in rub.questions if q.id == "q3"))
    graded = grading.grade_submission(
        _zip(tmp_path, edition, bug=True), "s", rubric=rub, hidden=hidden, release_root=ROOT
    )
    data = json.loads(graded.files[grading.RESULTS])
    lost = {t["name"].split()[1].rstrip(":") for t in data["tests"] if t["score"] < t["max_score"]}
    assert lost == {check} and data["a2kit"]["edition"] == edition


def test_edition_forced_by_the_rubric_wins_over_detection(tmp_path, setup):
    rub, hidden = setup
    rub = dataclasses.replace(rub, questions=(rub.question("q1"),), edition="2021-2024")
    graded = grading.grade_submission(_zip(tmp_path, "2018-2019"), "s", rubric=rub, hidden=hidden, release_root=ROOT)
    data = json.loads(graded.files[grading.RESULTS])
    assert data["a2kit"]["edition"] == "2021-2024" and "svm_loss" not in json.dumps(data["tests"])
    assert graded.row.max_total == 20 and graded.row.total == 20


def test_the_students_own_layer_utils_is_used(tmp_path, setup):
    """A sandwich layer of the student's own, with its own signature, in layer_utils.py, used by its fc_net."""
    rub, hidden = setup
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "layer_utils.py", append="def my_affine_relu(x, w, b, extra):\n    return affine_relu_forward(x, w, b)\n"
    )
    subjects.edit_file(pkg / "classifiers" / "fc_net.py", append="from ..layer_utils import my_affine_relu  # noqa\n")
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    rub = dataclasses.replace(rub, questions=(rub.question("q1"),))
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
    assert graded.row.total == 20, json.loads(graded.files[grading.RESULTS])["tests"]


def _only(rub, ids, **kw):
    """``rub`` reduced to the checks ``ids`` (one point each) in their questions."""
    questions = []
    for q in rub.questions:
        checks = tuple(dataclasses.replace(c, points=1.0) for c in q.checks if c.id in ids)
        if checks:
            questions.append(dataclasses.replace(q, checks=checks, points=float(len(checks))))
    return dataclasses.replace(rub, questions=tuple(questions), **kw)


def test_a_raising_or_none_returning_function_is_a_failed_check_and_the_row_graded(tmp_path, setup):
    rub, hidden = setup
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "layers.py", function="affine_backward", source="def affine_backward(dout, cache):\n    pass\n"
    )
    subjects.edit_file(
        pkg / "layers.py",
        function="relu_forward",
        source="def relu_forward(x):\n    raise ValueError('bad shape\\nsecond line')\n",
    )
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    rub = _only(rub, {"affine_forward", "affine_backward", "relu_forward"})
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
    tests = {t["name"].split()[1].rstrip(":"): t for t in json.loads(graded.files[grading.RESULTS])["tests"]}
    assert graded.row.status == "graded" and graded.row.total == 1, graded.row
    assert "returned None" in tests["affine_backward"]["output"]
    out = tests["relu_forward"]["output"]
    line = 1 + (pkg / "layers.py").read_text().splitlines().index("    raise ValueError('bad shape\\nsecond line')")
    report = graded.files[grading.REPORT]
    assert "ValueError: bad shape" in out and "second line" not in out + report
    assert f"cs231n/layers.py:{line} in relu_forward" in report and "/tmp/" not in report and "a2kit-" not in out


@pytest.mark.parametrize("compat", [True, False])
def test_old_numpy_aliases_are_restored_when_asked(tmp_path, setup, compat):
    rub, hidden = setup
    pkg = edition_package(tmp_path / "p", "2017")
    subjects.edit_file(
        pkg / "layers.py",
        append="_old_relu = relu_forward\n\n\ndef relu_forward(x):\n"
        "    assert np.int(3) == 3 and np.float(1) == 1.0\n    return _old_relu(x)\n",
    )
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    rub = _only(rub, {"relu_forward"}, numpy_compat=compat)
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
    data = json.loads(graded.files[grading.RESULTS])
    assert graded.row.total == (1 if compat else 0), data["tests"]
    assert ("aliases" in data["a2kit"]["notes"][0]) == compat
    if not compat:
        report = graded.files[grading.REPORT]
        assert "has no attribute &#39;int&#39;" in report and "numpy.org" not in report, report


def test_a_model_appending_to_hidden_dims_does_not_break_the_grader(tmp_path, setup):
    """Real work appends num_classes to the caller's hidden_dims; the grader passes copies, so it scores in full."""
    rub, hidden = setup
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "classifiers" / "fc_net.py",
        append=(
            "_FCN = FullyConnectedNet\n\n\nclass FullyConnectedNet(_FCN):\n"
            "    def __init__(self, hidden_dims, *a, **kw):\n"
            "        super().__init__(list(hidden_dims), *a, **kw)\n        hidden_dims.append(7)\n"
        ),
    )
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    rub = _only(rub, {"fc_net_batchnorm_loss", "fc_net_batchnorm_grads", "fc_net_loss", "fc_net_dropout"})
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
    assert graded.row.total == graded.row.max_total == 4, json.loads(graded.files[grading.RESULTS])["tests"]


@pytest.mark.parametrize("strict", [False, True])
def test_keepdims_shapes_get_full_points_with_a_warning_unless_strict(tmp_path, setup, strict):
    rub, hidden = setup
    pkg = edition_package(tmp_path / "p", "2021-2024")
    subjects.edit_file(
        pkg / "layers.py",
        append="_old_bwd = batchnorm_backward\n\n\ndef batchnorm_backward(dout, cache):\n"
        "    dx, dgamma, dbeta = _old_bwd(dout, cache)\n    return dx, dgamma[None, :], dbeta[None, :]\n",
    )
    zipped = subjects.cs231n_zip(tmp_path / "s.zip", pkg)
    rub = _only(rub, {"batchnorm_backward"}, strict_shapes=strict)
    graded = grading.grade_submission(zipped, "s", rubric=rub, hidden=hidden, release_root=ROOT)
    notes = json.loads(graded.files[grading.RESULTS])["a2kit"]["notes"]
    assert graded.row.total == (0 if strict else 1) and any("shape warning" in n for n in notes) != strict, notes
