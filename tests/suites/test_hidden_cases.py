"""Hidden cases must keep every known bug visible, whatever the secret.

Two gaps found by the mutant round trip through ``grade``
(tests/suites/test_roundtrip.py): a hidden case so large that the
regularization gradient of W1 vanished below the tolerance, and a hidden
weight_scale of 1.0 that made "weight_scale ignored" invisible. These tests
draw the hidden cases of many secrets and measure the margin directly.
"""

import numpy as np
import pytest

from grader.checks import registry
from grader.checks.base import Impl
from grader.fixtures import case_for

SECRETS = [f"secret-{i}" for i in range(40)]


def test_convnet_grads_hidden_case_shows_the_regularization_gradient_of_w1():
    """reg * W1 must be at least 100x the check's tolerance (1e-6) relative to dW1, for every secret."""
    check = registry.get("convnet_grads")
    reference = Impl("reference")
    worst = np.inf
    for secret in SECRETS:
        case = case_for(check, salt=secret, hidden=True)
        model = reference.cnn.ThreeLayerConvNet(
            input_dim=tuple(case["input_dim"]),
            num_filters=case["num_filters"],
            filter_size=case["filter_size"],
            hidden_dim=case["hidden_dim"],
            num_classes=case["num_classes"],
            reg=case["reg"],
            dtype=np.float64,
        )
        for k in ("W1", "b1", "W2", "b2", "W3", "b3"):
            model.params[k] = case.copy(k)
        _, grads = model.loss(case.copy("X"), case["y"])
        term = case["reg"] * case["W1"]
        worst = min(worst, np.linalg.norm(term) / np.linalg.norm(grads["W1"]))
    assert worst > 100 * check.tolerance, worst


@pytest.mark.parametrize("secret", SECRETS)
def test_two_layer_init_hidden_weight_scale_is_never_one(secret):
    """With weight_scale 1.0, weights drawn without it would have the right statistics."""
    case = case_for(registry.get("two_layer_net_init"), salt=secret, hidden=True)
    assert abs(np.log10(case["weight_scale"])) >= 0.5


# ---------------------------------------------------------------------------
# Several cases per hidden check (issue 13)

import os  # noqa: E402
import random  # noqa: E402

from grader import grading  # noqa: E402
from grader import rubric as rubric_mod  # noqa: E402
from grader.checks import base as checks_base  # noqa: E402
from grader.checks import cases as cases_mod  # noqa: E402
from grader.rubric import CheckSpec, RubricError  # noqa: E402
from grader.runner import Outcome  # noqa: E402
from grader.scoring import score_check  # noqa: E402
from tests.grader.subjects import ROOT  # noqa: E402
from tests.mutants import a2_edges, all_mutants, build_alternative, q1, q2, q3, q4, tp2  # noqa: E402
from tests.mutants.escape import SKIPPED_QUESTIONS, TRAINING, Lab, own_checks  # noqa: E402

#: The discrimination test's secrets: cheap checks under all 20, training checks under the first 3.
GRADE_SECRETS = [f"grading-secret-{i}" for i in range(20)]
ALL = bool(os.environ.get("A2KIT_ALL_MUTANTS"))
MUTANTS = [
    m for m in all_mutants() if own_checks(m) and registry.get(own_checks(m)[0]).question not in SKIPPED_QUESTIONS
]
ALTERNATIVES = list(q2.ALTERNATIVES) + list(q4.ALTERNATIVES)
Q1_Q3_ALTERNATIVES = list(q1.ALTERNATIVES) + list(q3.ALTERNATIVES)
Q1_Q3 = ("q1", "q3")
EDGE_MUTANTS = list(a2_edges.MUTANTS)


def _hidden_draws(check_id: str, secret: str, k: int = 3):
    return [f.case for f in grading.HiddenFixtures(secret, ROOT).draws(check_id, k)[1:]]


def _sample(items, n: int, salt: str):
    """Every item with A2KIT_ALL_MUTANTS=1, else a deterministic sample of ``n`` (the edge mutants always)."""
    if ALL:
        return items
    edges = [m for m in items if m.edge or m in EDGE_MUTANTS]
    rest = [m for m in items if m not in edges]
    return edges + random.Random(salt).sample(rest, min(n, len(rest)))


@pytest.fixture(scope="module")
def lab():
    return Lab()


@pytest.mark.parametrize("secret", SECRETS[:20])
def test_conv_backward_hidden_draws_cover_pad_stride_batch_and_filter_edges(secret):
    draws = _hidden_draws("conv_backward_naive", secret)
    assert {c["pad"] == 0 for c in draws} == {True, False}
    assert {c["stride"] == 1 for c in draws} == {True, False}
    assert {c["x"].shape[0] == 1 for c in draws} == {True, False}
    assert {c["w"].shape[2] == c["w"].shape[3] for c in draws} == {True, False}
    for case in _hidden_draws("conv_forward_naive", secret, 1):
        assert {conv["pad"] == 0 for conv in case["convs"]} == {True, False}
        assert {conv["stride"] == 1 for conv in case["convs"]} == {True, False}


@pytest.mark.parametrize("secret", SECRETS[:20])
def test_pool_hidden_draws_tile_the_input_and_cover_overlap_and_shape(secret):
    """cs231n's pooling assumes windows that tile the input: (H - pool_height) % stride == 0."""
    back = _hidden_draws("max_pool_backward_naive", secret)
    pools = [(c["x"].shape, c.params) for c in back]
    for case in _hidden_draws("max_pool_forward_naive", secret):
        pools += [(case[f"x{k}"].shape, p) for k, p in enumerate(case["pools"])]
    for shape, p in pools:
        assert (shape[2] - p["pool_height"]) % p["stride"] == 0 and (shape[3] - p["pool_width"]) % p["stride"] == 0
    overlap = {max(c["pool_height"], c["pool_width"]) > c["stride"] for c in (c.params for c in back)}
    assert overlap == {True, False}
    assert {c.params["pool_height"] == c.params["pool_width"] for c in back} == {True, False}
    assert {c["x"].shape[0] == 1 for c in back} == {True, False}


@pytest.mark.parametrize("secret", SECRETS[:20])
def test_affine_relu_and_loss_hidden_draws_cover_batch_rank_and_sign_edges(secret):
    affine = _hidden_draws("affine_backward", secret)
    assert {c["x"].shape[0] == 1 for c in affine} == {True, False}
    assert {c["x"].ndim == 2 for c in affine} == {True, False}
    for c in _hidden_draws("relu_forward", secret) + _hidden_draws("relu_backward", secret):
        assert (c["x"] > 0).any() and (c["x"] < 0).any()
        assert (c["dout"] > 0).any() and (c["dout"] < 0).any()
    for cid in ("softmax_loss", "svm_loss"):
        n = [c["x"].shape[0] for c in _hidden_draws(cid, secret)]
        assert 1 in n and any(v >= 2 for v in n), n


def test_pack_and_split_keep_every_case_apart():
    cases = [
        registry.get("conv_backward_naive").make_case(np.random.default_rng(i), cases_mod.Draw(i + 1)) for i in range(3)
    ]
    packed = cases_mod.pack(cases)
    assert cases_mod.is_packed(packed.params)
    back = cases_mod.unpack(packed)
    assert [dict(c.params) for c in back] == [dict(c.params) for c in cases]
    for a, b in zip(back, cases, strict=True):
        assert a.arrays.keys() == b.arrays.keys() and all(np.array_equal(a[k], b[k]) for k in a.arrays)
    outs = {
        **cases_mod.prefix(0, {"dx": np.zeros(1)}),
        **cases_mod.prefix(2, {"dx": np.ones(2)}),
        "c9_dx": np.ones(1),
        "odd": np.ones(1),
    }
    parts = cases_mod.split(outs, 3)
    assert [sorted(p) for p in parts] == [["dx"], [], ["dx"]] and parts[2]["dx"].shape == (2,)


@pytest.mark.parametrize(
    "text, where",
    [
        ("hidden_cases: 0\n", "hidden_cases must be between 1 and 50, got 0"),
        ("hidden_cases: 2.5\n", "hidden_cases must be a whole number"),
        ("hidden_cases: true\n", "hidden_cases must be a whole number"),
        ("CHECK", "questions.q1.checks[0].hidden_cases must be between 1 and 50, got 51"),
    ],
)
def test_rubric_hidden_cases_is_validated(tmp_path, text, where):
    src = (ROOT / "rubric.yaml").read_text()
    if text == "CHECK":
        src = src.replace("{id: affine_forward, points: 1}", "{id: affine_forward, points: 1, hidden_cases: 51}")
    else:
        src = src.replace("hidden_cases: 3\n", text)
    path = tmp_path / "r.yaml"
    path.write_text(src)
    with pytest.raises(RubricError) as err:
        rubric_mod.load(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:") and msg.split(":")[1].isdigit() and where in msg, msg


def test_the_rubric_draws_three_hidden_cases_and_one_for_training_checks():
    rub = rubric_mod.load()
    draws = {s.id: rub.draws(s) for q in rub.questions for s in q.checks}
    assert rub.hidden_cases == 3 and draws["conv_backward_naive"] == 3 and draws["solver_overfit"] == 1
    assert draws["convnet_overfit"] == draws["torch_open_model"] == 1  # each draw trains a network


def _score_mutant(lab, mutant, check_id, secret, k=3):
    """``score_check`` on the mutant's outputs of the packed cases, as ``grade`` scores them."""
    fixtures = lab.fixtures(secret, check_id, k)
    check, impl = registry.get(check_id), lab.impl(mutant)
    outputs = {}
    for i, fx in enumerate(fixtures):
        outputs.update(cases_mod.prefix(i, {k_: np.asarray(v) for k_, v in check.run(impl, fx.case).items()}))
    return score_check(check, CheckSpec(check_id, 3.0, None, None), Outcome("ok", outputs), fixtures), fixtures


def test_feedback_names_the_failed_hidden_case_without_its_values(lab):
    mutant = next(m for m in all_mutants() if m.name.startswith("conv backward dx_pad[pad:-pad]"))
    result, fixtures = _score_mutant(lab, mutant, "conv_backward_naive", "feedback-secret")
    assert not result.passed and result.points == 0
    failed = next(i for i, f in enumerate(fixtures) if f.case["pad"] == 0)
    assert f"on hidden case {failed} of 3 (" in result.message and "the public case passed" in result.message, (
        result.message
    )
    assert "pad 0" in result.message and "stride " in result.message
    assert "x (" in result.message and "w (" in result.message  # shapes
    case = fixtures[failed].case
    values = [f"{v:.3g}" for k in ("x", "w", "b", "dout") for v in case[k].ravel()[:3]]
    assert not any(v in result.message for v in values if len(v) > 3), result.message


def test_the_reference_passes_every_case_and_reports_the_largest_error(lab):
    result, _ = _score_mutant(lab, ALTERNATIVES[0], "conv_backward_naive", "feedback-secret")
    assert result.passed and result.points == 3.0


def _discrimination_params():
    for m in _sample(MUTANTS, 12, "discrimination"):
        for cid in own_checks(m):
            yield pytest.param(m, cid, id=f"{m.name}|{cid}")


@pytest.mark.parametrize("mutant, check_id", list(_discrimination_params()))
def test_the_hidden_draws_alone_catch_every_mutant_under_every_secret(lab, mutant, check_id):
    """The discrimination test: with the public case left out, K = 3 hidden draws catch the bug, whatever the secret.

    Cheap checks under 20 secrets, training checks under 3 (their draws train
    networks). A sample of the corpus (every edge mutant, 12 others) by
    default; A2KIT_ALL_MUTANTS=1 runs every mutant (python -m
    tests.mutants.escape measures escape rates over more secrets).
    """
    secrets = GRADE_SECRETS[:3] if check_id in TRAINING else GRADE_SECRETS
    k = rubric_mod.load(ROOT / mutant.rubric if mutant.rubric else None).hidden_cases
    escaped = [s for s in secrets if lab.passes(lab.impl(mutant), check_id, s, k, public=False)]
    assert not escaped, f"{mutant.name} passes {check_id} on every hidden draw of {escaped}"


def _edited_functions(mutant) -> set[str]:
    """The functions (and classes) of the reference whose body holds the mutant's edit."""
    import ast

    path = ROOT / "reference" / mutant.file
    text = path.read_text()
    start = text.index(mutant.old)
    line0, line1 = text[:start].count("\n") + 1, text[: start + len(mutant.old)].count("\n") + 1
    return {
        n.name
        for n in ast.walk(ast.parse(text))
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.lineno <= line0 and n.end_lineno >= line1
    }


def _failing(lab, impl, checks: list[str], secrets: list[str]) -> list[tuple[str, str]]:
    """(check, secret) pairs where ``impl`` fails the public case or one of 3 hidden draws (the training checks
    under the first 3 of ``secrets`` only: their draws train networks)."""
    return [
        (cid, s)
        for cid in checks
        for s in (secrets[:3] if cid in TRAINING else secrets)
        if not lab.passes(impl, cid, s, 3)
    ]


@pytest.mark.parametrize("mutant", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternatives_pass_every_case_under_every_secret(lab, mutant):
    """Loop-based, closed-form, float32 alternatives: full marks on the public case and every hidden draw, 20 secrets.

    The checks are those that call the rewritten function (training checks under 3 secrets).
    """
    module = mutant.file.removesuffix(".py").replace("/", ".")
    short = {v: k for k, v in checks_base.MODULES.items()}[module]
    functions = _edited_functions(mutant)
    checks = [
        cid
        for cid, c in registry.all_checks().items()
        if c.question not in SKIPPED_QUESTIONS and any(call in {f"{short}.{f}" for f in functions} for call in c.calls)
    ]
    assert checks, f"no check calls {functions}"
    failing = _failing(lab, lab.impl(mutant), checks, GRADE_SECRETS)
    assert not failing, f"{mutant.name} fails {failing[:5]}"


@pytest.mark.parametrize("alt", Q1_Q3_ALTERNATIVES, ids=[a.name for a in Q1_Q3_ALTERNATIVES])
def test_q1_q3_alternatives_pass_every_case_under_every_secret(lab, alt):
    """The alternatives of tests/mutants/q1.py and q3.py (vectorised, loops, in-place updates) on every case, 20
    secrets.
    """
    impl = lab.adopt(alt.name, lambda dest: build_alternative(alt, dest))
    checks = [cid for cid, c in registry.all_checks().items() if c.question in Q1_Q3]
    failing = _failing(lab, impl, checks, GRADE_SECRETS if ALL else GRADE_SECRETS[:5])
    assert not failing, f"{alt.name} fails {failing[:5]}"


@pytest.mark.parametrize("alt", tp2.ALTERNATIVES, ids=[a.name for a in tp2.ALTERNATIVES])
def test_the_tp2_course_convention_passes_every_case_under_every_secret(lab, alt):
    """The course's 2 (S - Y) (tests/mutants/tp2.py ``ALTERNATIVES``) on every TP2 check it can reach, the
    public case and 3 hidden draws, 5 secrets (training checks 3; every secret with A2KIT_ALL_MUTANTS=1)."""
    impl = lab.adopt(alt.name, lambda dest: build_alternative(alt, dest))
    checks = [cid for cid, c in registry.all_checks().items() if c.conventions or cid in TRAINING and "tp2" in cid]
    failing = _failing(lab, impl, checks, GRADE_SECRETS if ALL else GRADE_SECRETS[:5])
    assert not failing, f"{alt.name} fails {failing[:5]}"
