"""Q5 graded from PyTorch.ipynb (grader/q5_notebook.py): three editions' notebooks, stubs, six bugs,
hostile cells, and the module winning over the notebook.

The notebooks are the tests' own (tests/grader/q5_notebooks.py). Scores of the
editions and bugs are computed in-process (one torch import for the file);
``grade`` end to end (sandbox, report notes, a hostile notebook) runs once.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader import grading, q5_notebook
from grader import rubric as rubric_mod
from grader.checks import q5
from grader.checks.base import Impl
from grader.fixtures import case_for, compute
from grader.paths import project_root
from tests.grader import q5_notebooks as nbs
from tests.grader.subjects import HAS_TORCH, code_notebook, copy_package, cs231n_zip

ROOT = project_root()
EDITIONS = ("2019", "2023", "a2kit")
pytestmark = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed; Q5 needs it")
SALTS = ("public", "secret-a", "secret-b")


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """A root holding one package per (edition, bug): only its generated pytorch_models.py."""
    root = tmp_path_factory.mktemp("q5nb")
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


def _impl(root: Path, edition: str, bug: str | None = None, stubs: bool = False) -> Impl:
    name = f"nb_{edition}_{bug or ('stub' if stubs else 'ok')}"
    pkg = root / name
    if not pkg.exists():
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        nb = nbs.write(root / f"{name}.ipynb", edition, bug, stubs=stubs)
        (pkg / "pytorch_models.py").write_text(q5_notebook.extract(nb).source)
    importlib.invalidate_caches()
    return Impl(name)


def _score(impl: Impl, check, salt: str):
    """(passed, detail) of ``check`` on the public case or a hidden one drawn with ``salt``."""
    hidden = salt != "public"
    case = case_for(check, salt=salt, hidden=hidden) if hidden else case_for(check)
    expected = compute(check, case, Impl("reference")).expected
    try:
        got = {k: np.asarray(v) for k, v in check.run(impl, case).items()}
    except NotImplementedError as exc:
        return False, f"not implemented: {exc}"
    except Exception as exc:  # noqa: BLE001 - an error loses the check's points
        return False, f"error: {type(exc).__name__}: {exc}"
    m = check.compare(got, expected, case, check.tolerance)
    return m.passed, m.detail


def test_extraction_takes_definitions_never_training_data_or_prints(tmp_path):
    nb = nbs.write(tmp_path / "PyTorch.ipynb", "2019")
    ex = q5_notebook.extract(nb)
    tree = ast.parse(ex.source)
    calls = [ast.unparse(n) for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    assert calls == []  # no top-level call: nothing trains, prints or downloads at import
    assert "download=True" not in ex.source and "\ntwo_layer_fc_test()" not in ex.source
    assert "train_part34(model, optimizer" not in ex.source.replace("def train_part34(model, optimizer", "")
    assert "dtype = torch.float32" in ex.source and "def random_weight" in ex.source
    note = ex.note("PyTorch.ipynb")
    assert note.startswith("Q5 graded from PyTorch.ipynb: code cells ") and "train (as train_part34)" in note


def test_gpu_settings_of_the_notebook_leave_the_grader_on_the_cpu(tmp_path):
    """A cell setting dtype = torch.cuda.FloatTensor and device = 'cuda:0': are both left out, the prelude's kept?"""
    nb = tmp_path / "PyTorch.ipynb"
    cell = "import torch\nUSE_GPU = True\ndtype = torch.cuda.FloatTensor\ndevice = 'cuda:0'\nprint_every = 50\n"
    nb.write_text(json.dumps(code_notebook([cell])))
    source = q5_notebook.extract(nb).source
    assert "cuda" not in source and "print_every = 50" in source and "USE_GPU = True" in source
    assert 'device = torch.device("cpu")' in source and "dtype = torch.float32" in source


def test_a_device_under_another_name_is_the_graders_cpu_device(tmp_path):
    """DEVICE = "cuda" if torch.cuda.is_available() and USE_GPU else "cpu" (real 2021-2024 work), read later by
    random_weight and train_part34: is DEVICE bound to the grader's CPU device at module level (not left out,
    which cost one real solution five Q5 checks with NameError: DEVICE), and does the module import?"""
    nb = tmp_path / "PyTorch.ipynb"
    cells = [
        "import torch\nimport numpy as np\nUSE_GPU = True\n"
        'DEVICE = "cuda" if torch.cuda.is_available() and USE_GPU else "cpu"\nDTYPE = torch.cuda.FloatTensor\n',
        "def random_weight(shape):\n"
        "    return torch.randn(shape, device=DEVICE, dtype=DTYPE) * np.sqrt(2. / shape[0])\n",
        "model = model.cuda()\nx = x.cuda()\n",
    ]
    nb.write_text(json.dumps(code_notebook(cells)))
    source = q5_notebook.extract(nb).source
    assert "DEVICE = device" in source and "DTYPE = dtype" in source and "cuda" not in source
    assert "x = device" not in source  # a tensor moved to the GPU is no device setting
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[torch]')")
    namespace: dict = {}
    exec(compile(source, "pytorch_models.py", "exec"), namespace)
    w = namespace["random_weight"]((4, 3))
    assert w.device.type == "cpu" and w.dtype == torch.float32


def test_open_model_saved_accuracy_is_reported_as_self_reported(tmp_path):
    nb = nbs.notebook("2023")
    (cell,) = [c for c in nb["cells"] if "epochs=10" in "".join(c["source"])]
    cell["outputs"] = [
        {
            "output_type": "stream",
            "name": "stdout",
            "text": ["Got 600 / 1000 correct (60.00)\n", "Got 712 / 1000 correct (71.20)\n"],
        }
    ]
    (tmp_path / "PyTorch.ipynb").write_text(json.dumps(nb))
    ex = q5_notebook.extract(tmp_path / "PyTorch.ipynb")
    assert ex.self_reported == pytest.approx(0.712)
    assert "71.2% validation accuracy self-reported" in ex.note("PyTorch.ipynb") and "not scored" in ex.note(
        "PyTorch.ipynb"
    )
    assert q5_notebook.extract(nbs.write(tmp_path / "b" / "PyTorch.ipynb", "2023")).self_reported is None


def test_extraction_is_bounded_and_survives_junk(tmp_path):
    big = tmp_path / "PyTorch.ipynb"
    cells = [
        {"cell_type": "code", "source": "def f(:\n"},
        {"cell_type": "code", "source": "x" * (q5_notebook.MAX_CELL_CHARS + 1)},
    ]
    cells += [
        {"cell_type": "code", "source": "(" * 5000},
        {"cell_type": "code", "source": ["def flatten(x):\n", "    return x\n"]},
    ]
    big.write_text(json.dumps({"cells": cells}))
    ex = q5_notebook.extract(big)
    assert ex.found == {"flatten": "flatten"} and len(ex.problems) == 3
    (tmp_path / "bad.ipynb").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a notebook"):
        q5_notebook.extract(tmp_path / "bad.ipynb")


@pytest.mark.parametrize("edition", EDITIONS)
def test_edition_scores_full_and_stubs_zero(packages, edition):
    good, stub = _impl(packages, edition), _impl(packages, edition, stubs=True)
    for check in q5.CHECKS:
        for salt in SALTS[:2]:
            passed, detail = _score(good, check, salt)
            assert passed, (edition, check.id, salt, detail)
        passed, detail = _score(stub, check, "public")
        assert not passed and "not found in PyTorch.ipynb" in detail, (check.id, detail)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("bug", sorted(nbs.BUGS))
def test_each_bug_loses_its_check(packages, edition, bug):
    check_id = nbs.BUGS[bug][0]
    (check,) = [c for c in q5.CHECKS if c.id == check_id]
    impl = _impl(packages, edition, bug)
    for salt in SALTS:
        passed, detail = _score(impl, check, salt)
        assert not passed, (edition, bug, salt)
        assert "not found" not in detail


def _q5_rubric(tmp_path: Path, only: tuple[str, ...] = (), timeout: float | None = None) -> rubric_mod.Rubric:
    spec = yaml.safe_load((ROOT / "rubric.yaml").read_text())
    q = spec["questions"]["q5"]
    if only:
        q["checks"] = [c for c in q["checks"] if c["id"] in only]
        q["points"] = sum(c["points"] for c in q["checks"])
    if timeout:
        for c in q["checks"]:
            c["timeout"] = timeout
    spec["questions"] = {"q5": q}
    path = tmp_path / f"q5-{len(only)}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return rubric_mod.load(path, require_all_checks=False)


HOSTILE_CELL = """import os
class TwoLayerFC(nn.Module):
    while True:
        pass
"""


def _zip(subs: Path, name: str, *, extra_cell: str | None = None, module: bool = False) -> Path:
    """A cs231n-layout zip as the course's are: no pytorch_models.py (unless ``module``), the work in PyTorch.ipynb."""
    package = subs.parent / "cs231n-package"
    if not package.exists():
        copy_package(ROOT / "student", package)
        (package / "pytorch_models.py").unlink()
    z = cs231n_zip(subs / f"{name}.zip", package)
    nb = nbs.notebook("2023")
    if extra_cell:
        nb["cells"].append(
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": extra_cell}
        )
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr("assignment2/PyTorch.ipynb", json.dumps(nb))
        if module:
            zf.writestr("assignment2/cs231n/pytorch_models.py", (ROOT / "reference" / "pytorch_models.py").read_text())
    return z


def _notes(out: Path, sub: str) -> list[str]:
    return json.loads((out / sub / "results.json").read_text())["a2kit"]["notes"]


def test_grade_from_the_notebook_and_the_module_wins(tmp_path):
    """cs231n zips: the notebook's work is graded (the report names the cells); with pytorch_models.py too,
    the module wins and the report says so."""
    subs = tmp_path / "subs"
    subs.mkdir()
    _zip(subs, "notebook")
    _zip(subs, "both", module=True)
    out = tmp_path / "out"
    rows = {r.submission: r for r in grading.grade([subs], out, rubric=_q5_rubric(tmp_path), seed="q5-secret")}
    assert rows["notebook"].status == "graded" and rows["notebook"].total == 10, _notes(out, "notebook")
    assert any(n.startswith("Q5 graded from PyTorch.ipynb: code cells") for n in _notes(out, "notebook"))
    assert not any("lacks pytorch_models.py" in n for n in _notes(out, "notebook"))
    assert rows["both"].total == 10
    assert any("the module wins" in n for n in _notes(out, "both"))


def test_hostile_notebook_cells_are_contained(tmp_path):
    """A class body that loops, or calls os._exit, at import (it runs in the sandbox only) costs its own
    checks, nothing else."""
    subs = tmp_path / "subs"
    subs.mkdir()
    _zip(subs, "hostile", extra_cell=HOSTILE_CELL)
    _zip(subs, "exits", extra_cell="import os\nclass Probe:\n    os._exit(0)\n")
    _zip(subs, "fine")
    rub = _q5_rubric(tmp_path, only=("torch_flatten", "torch_module_two_layer_fc"), timeout=20)
    rows = {r.submission: r for r in grading.grade([subs], tmp_path / "out", rubric=rub, seed="q5-secret")}
    assert rows["hostile"].status == "partial" and rows["hostile"].total == 0  # its checks timed out
    assert rows["exits"].total == 0 and rows["exits"].status in ("graded", "partial")
    assert rows["fine"].status == "graded" and rows["fine"].total == rub.questions[0].points


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_lacks_note_is_replaced_by_the_notebook_s_in_either_language(tmp_path, lang):
    """q5_from_notebook drops assemble's 'lacks pytorch_models.py' note by its text in the current language (it
    once matched the English start, which a Spanish report would have kept beside the notebook's note)."""
    import types

    from grader import i18n
    from grader.layout import lacks_note
    from grader.q5_notebook import q5_from_notebook

    (tmp_path / "PyTorch.ipynb").write_text(json.dumps(nbs.notebook("2023")))
    package = tmp_path / "pkg"
    package.mkdir()
    layout = types.SimpleNamespace(notebooks=[tmp_path / "PyTorch.ipynb"], package_dir=package)
    try:
        i18n.set_language(lang)
        notes = q5_from_notebook(layout, package, ["kept", lacks_note("pytorch_models.py")])
    finally:
        i18n.set_language("en")
    assert notes[0] == "kept" and len(notes) == 2, notes
    assert notes[1].startswith("Q5 calificada desde PyTorch.ipynb" if lang == "es" else "Q5 graded from PyTorch.ipynb")
    assert (package / "pytorch_models.py").is_file()
