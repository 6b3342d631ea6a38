"""Are the Q5 (PyTorch) checks well formed, full marks for the reference, zero for the stubs, and
"not implemented" with the install command where torch is missing?

The bugs each check catches are in the mutant corpus (tests/mutants/q5.py,
run by test_mutants.py). Where torch is absent is simulated honestly: a
folder on the worker's path holds a ``torch`` package whose import raises
``ModuleNotFoundError``, exactly what a missing torch raises.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import check as check_mod
from grader.checks import q5, registry
from grader.checks.base import Case, Impl
from grader.fixtures import case_for, compute
from grader.paths import project_root
from grader.results import Status

ROOT = project_root()
CHECKS = q5.CHECKS
needs_torch = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("torch") is None,
    reason="PyTorch is not installed; running the Q5 checks needs it",
)

#: A torch that is not there: importing it fails as a missing package does.
NO_TORCH_INIT = 'raise ModuleNotFoundError("No module named \'torch\'", name="torch")\n'


def test_check_declarations_are_well_formed():
    """Are the ids unique torch_* snake_case, in q5, with positive tolerances and what they call?"""
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) == 12
    for c in CHECKS:
        assert re.fullmatch(r"torch_[a-z0-9_]+", c.id), c.id
        assert c.question == "q5"
        assert c.tolerance > 0 and c.timeout > 0
        assert c.calls and all(name.startswith("pytorch_models.") for name in c.calls), c.id
        assert registry.get(c.id) is c


def test_the_check_module_does_not_import_torch():
    """Can the trusted side load the Q5 checks where torch is absent (no import of torch at module level)?"""
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now raises ImportError
        "from grader.checks import q5\nprint(len(q5.CHECKS))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12"


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_public_case_is_deterministic_and_transportable(check):
    """Is the public case the same at every draw, with JSON parameters and plain numeric arrays?"""
    a, b = case_for(check), case_for(check)
    assert sorted(a.arrays) == sorted(b.arrays)
    for k in a.arrays:
        assert "|" not in k
        assert np.array_equal(a.arrays[k], b.arrays[k])
        assert a.arrays[k].dtype.kind in "biuf"
    assert json.dumps(dict(a.params), sort_keys=True) == json.dumps(dict(b.params), sort_keys=True)


def _sizes(case: Case) -> dict:
    return {k: v.shape for k, v in case.arrays.items()} | {k: v for k, v in case.params.items() if "seed" not in k}


@pytest.mark.parametrize("check", [c for c in CHECKS if c.id != "torch_open_model"], ids=lambda c: c.id)
def test_hidden_cases_draw_other_shapes(check):
    """Do hidden cases change the batch sizes, channel counts or shapes of the public one?"""
    public = _sizes(case_for(check))
    hidden = [_sizes(case_for(check, salt=f"secret{i}", hidden=True)) for i in range(4)]
    assert any(h != public for h in hidden)
    assert len({json.dumps(h, sort_keys=True, default=str) for h in hidden}) > 1


@needs_torch
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_run_does_not_alter_the_case(check):
    """Does running a check leave its input arrays untouched (inputs are copied into tensors)?"""
    case = case_for(check)
    before = {k: np.array(v, copy=True) for k, v in case.arrays.items()}
    check.run(Impl("reference"), case)
    for k, v in before.items():
        assert np.array_equal(case.arrays[k], v), k


@needs_torch
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_reference_passes_its_own_hidden_cases(check):
    """On two hidden cases, does a second reference run (a fresh seed for random draws) pass?

    Deterministic checks must reproduce their values; the statistical ones
    (initializations, the open model) must stay within their tolerance.
    """
    reference = Impl("reference")
    for salt in ("hidden-a", "hidden-b"):
        case = case_for(check, salt=salt, hidden=True)
        fixture = compute(check, case, reference)
        got = {k: np.asarray(v) for k, v in check.run(reference, case).items()}
        measure = check.compare(got, fixture.expected, case, check.tolerance)
        assert measure.passed, (salt, measure)


@needs_torch
def test_reference_scores_full_marks_and_stubs_zero():
    """Through the child process: reference 10/10, the untouched stubs 0 with every check 'not implemented'."""
    (ref,) = check_mod.run(["q5"], implementation="reference")
    assert [c.check_id for c in ref.checks if not c.passed] == []
    assert ref.points == ref.max_points == 10 and ref.extra_credit
    (stub,) = check_mod.run(["q5"], implementation="student")
    assert stub.points == 0
    for c in stub.checks:
        assert c.status is Status.NOT_IMPLEMENTED, (c.check_id, c.status, c.message)
        assert "not implemented" in c.message and "pytorch_models.py" in c.message


@pytest.fixture
def no_torch_root(tmp_path) -> Path:
    """A root holding a complete implementation ('complete', the reference) and a torch that fails to import."""
    shutil.copytree(ROOT / "reference", tmp_path / "complete", ignore=shutil.ignore_patterns("__pycache__", "*.c"))
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(NO_TORCH_INIT)
    return tmp_path


def test_without_torch_q5_is_not_attempted_and_q1_unaffected(no_torch_root):
    """Without torch, is every Q5 check 'not implemented' naming the install command, and Q1 still full marks?"""
    q1, q5_result = check_mod.run(["q1", "q5"], implementation="complete", root=no_torch_root)
    assert q1.points == q1.max_points
    assert q5_result.points == 0
    for c in q5_result.checks:
        assert c.status is Status.NOT_IMPLEMENTED, (c.check_id, c.status, c.message)
        assert c.message == q5.NO_TORCH
    assert 'pip install -e ".[torch]"' in q5.NO_TORCH and "not implemented" in q5.NO_TORCH


def test_check_cli_without_torch_says_how_to_install(no_torch_root):
    """Does `python -m grader check q5` say once that Q5 is skipped, with the install command, and exit 0?"""
    env = dict(os.environ, A2KIT_ROOT=str(no_torch_root))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "check",
            "q5",
            "--implementation",
            "complete",
            "--rubric",
            str(ROOT / "rubric.yaml"),
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out  # a question skipped for a missing optional extra is not a failure
    assert "Traceback" not in out
    assert out.count("PyTorch is not installed") == 1 and 'pip install -e ".[torch]"' in out
    assert "q5: " in out and "skipped: " in out


def test_the_module_itself_explains_a_missing_torch(no_torch_root):
    """Does importing pytorch_models without torch raise an ImportError that names the install command?"""
    code = "import complete.pytorch_models"
    env = dict(os.environ, PYTHONPATH=str(no_torch_root))
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=no_torch_root, env=env
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: pytorch_models.py needs PyTorch"), last
    assert 'pip install -e ".[torch]"' in last


def test_open_model_comparator_explains_a_spent_budget():
    """When the budget cut the epoch short, does the failure say so and suggest a smaller model?"""
    check = registry.get("torch_open_model")
    expected = {"accuracy": np.asarray(1.0), "fraction_trained": np.asarray(1.0)}
    got = {"accuracy": np.asarray(0.2), "fraction_trained": np.asarray(0.25)}
    m = check.compare(got, expected, case_for(check), check.tolerance)
    assert not m.passed and m.error == 0.2
    assert "25% of the epoch" in m.detail and "budget ran out" in m.detail
    got = {"accuracy": np.asarray(0.5), "fraction_trained": np.asarray(1.0)}
    assert check.compare(got, expected, case_for(check), check.tolerance).passed  # 0.5 is enough


def test_modes_comparator_names_the_missing_call():
    """Does the mode check tell which call is missing: model.train() in train, model.eval() in check_accuracy?"""
    check = registry.get("torch_train_modes")
    expected = {
        k: np.asarray(v)
        for k, v in {"train_forwards": 4, "train_in_eval": 0, "val_forwards": 3, "val_in_train": 0}.items()
    }
    case = case_for(check)
    assert check.compare(dict(expected), expected, case, check.tolerance).passed
    m = check.compare({**expected, "train_in_eval": np.asarray(2)}, expected, case, check.tolerance)
    assert not m.passed and "model.train()" in m.detail and m.detail.startswith("2 of 4")
    m = check.compare({**expected, "val_in_train": np.asarray(3)}, expected, case, check.tolerance)
    assert not m.passed and "model.eval()" in m.detail
    m = check.compare({**expected, "val_forwards": np.asarray(0)}, expected, case, check.tolerance)
    assert not m.passed and "never evaluated" in m.detail


@needs_torch
def test_random_weight_comparator_on_other_initializations():
    """Do the statistics reject unscaled draws and accept Kaiming uniform (same std, another shape)?"""
    import torch

    check = registry.get("torch_random_weight")
    case = case_for(check)
    expected = check.run(Impl("reference"), case)

    def stats(draw):
        got = dict(expected)
        gen = torch.Generator().manual_seed(1)
        for k, shape in enumerate(case["shapes"]):
            values = draw(shape, q5._fan_in(shape), gen).double().numpy()
            got[f"std{k}"], got[f"mean{k}"] = np.asarray(values.std()), np.asarray(values.mean())
        return check.compare(got, expected, case, check.tolerance)

    unscaled = stats(lambda s, fan, g: torch.randn(s, generator=g))
    assert not unscaled.passed and "not scaled" in unscaled.detail
    # uniform(-b, b) with b = sqrt(6 / fan) has std b / sqrt(3) = sqrt(2 / fan)
    uniform = stats(lambda s, fan, g: (2 * torch.rand(s, generator=g) - 1) * (6.0 / fan) ** 0.5)
    assert uniform.passed, uniform


def test_readme_first_command_in_a_fresh_venv_without_torch_exits_0(tmp_path):
    """The README's Quick start, `python -m grader check --implementation reference`, where torch is absent.

    A fresh venv (``--system-site-packages``, so nothing is downloaded) whose own site-packages holds a
    torch that fails to import (it comes before the system's, in the checks' child processes too): every
    check but Q5's passes, Q5 is reported once as skipped, and the exit code is 0
    so that whatever is chained after it with ``&&`` runs.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "torch").mkdir()
    (site / "torch" / "__init__.py").write_text(NO_TORCH_INIT)
    env = {k: v for k, v in os.environ.items() if k not in ("A2KIT_ROOT", "PYTHONPATH")}
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "grader", "check", "--implementation", "reference"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert out.count("PyTorch is not installed") == 1, out[-3000:]
    assert "FAIL" not in out and "ERROR" not in out


_OPTIM_RUN = """
import sys, torch
if sys.argv[1] != "eager":
    from grader.checks import torch_lazy
    torch_lazy.install()
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()
opts = [torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), torch.optim.Adam(m.parameters(), lr=0.01)]
x, y = torch.randn(8, 6, dtype=torch.float64), torch.arange(8) % 3
for step in range(4):
    o = opts[step % 2]
    o.zero_grad()
    torch.nn.functional.cross_entropy(m(x), y).backward()
    o.step()
real = type(sys.modules["torch._dynamo"]).__name__ == "module"
print(real, ",".join(repr(float(v)) for p in m.parameters() for v in p.detach().reshape(-1)))
if sys.argv[1] == "compile":
    f = torch.compile(lambda t: t * 2, backend="eager")
    assert float(f(torch.ones(1))) == 2.0
    print(type(sys.modules["torch._dynamo"]).__name__ == "module")
"""


def _optim_run(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _OPTIM_RUN, mode], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


@needs_torch
def test_lazy_dynamo_changes_no_number():
    """With grader.checks.torch_lazy, do SGD/Adam steps leave torch._dynamo unimported and give bit-identical
    weights?
    """
    eager, lazy = _optim_run("eager"), _optim_run("lazy")
    assert eager[0] == "True" and lazy[0] == "False"  # the optimizers pulled in the real one, or not
    assert lazy[1] == eager[1]


@needs_torch
@pytest.mark.slow
def test_lazy_dynamo_lets_torch_compile_load_the_real_one():
    """After install(), does torch.compile (an open model may use it) replace the stand-in with the real module?"""
    out = _optim_run("compile")
    assert out[0] == "False" and out[2] == "True"
