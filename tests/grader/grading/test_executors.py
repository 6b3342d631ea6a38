"""Do the three executors (serial, threads, Dask) grade alike, with every option of ``grade`` travelling?"""

from __future__ import annotations

import json

import pytest

from grader import grading, late
from grader import rubric as rubric_mod
from grader.grading import executors, steps
from tests.grader.subjects import ROOT, our_layout
from tests.grader.test_late_visibility import HEAD, MADRID, Q


def test_the_pipeline_is_declared_in_order_and_ends_in_render():
    names = [name for name, _ in steps.STEPS]
    assert names[:3] == ["unpack", "detect layout", "assemble"] and names[-3:] == ["score", "isolate", "render"]


def test_a_failing_step_still_renders_an_error_row_with_its_reason(tmp_path):
    """Is a submission that is not a zip graded ``error``, with the step's reason, and a report?"""
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    rub = rubric_mod.load(_rubric(tmp_path), require_all_checks=False)
    hidden = grading.hidden_for("s", ROOT, rub)
    graded = grading.grade_submission(bad, "bad", rubric=rub, hidden=hidden, release_root=ROOT)
    assert graded.row.status == "error" and graded.row.total == 0 and graded.row.message
    data = json.loads(graded.files[grading.RESULTS])
    assert data["a2kit"]["status"] == "error" and data["a2kit"]["original_name"] == "bad"
    assert graded.row.message in graded.files[grading.REPORT]


def _rubric(tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(HEAD + Q + "late:\n" + MADRID + "  penalty: 10\n  per: day\n")
    return path


@pytest.fixture(params=["serial", "threads", "dask"])
def scheduler_kw(request):
    if request.param == "serial":
        yield {"workers": 1}
    elif request.param == "threads":
        yield {"workers": 2}
    else:
        distributed = pytest.importorskip(
            "distributed", reason="dask.distributed is not installed (pip install 'a2kit[dask]')"
        )
        with distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
        ) as cluster:
            yield {"scheduler": cluster.scheduler_address}


def test_submitted_at_and_the_name_given_travel_to_every_executor(tmp_path, scheduler_kw):
    """Does the late policy apply, and results.json keep the name as given (not the resolved path's), under each
    executor? (The Dask path used to drop ``--submitted-at`` and ``--pdf`` and name the resolved target.)"""
    subs = tmp_path / "subs"
    real = our_layout(tmp_path / "elsewhere" / "target-folder", ROOT / "reference")
    subs.mkdir()
    (subs / "late").symlink_to(real, target_is_directory=True)
    our_layout(subs / "ontime", ROOT / "reference")
    times = tmp_path / "times.csv"
    times.write_text("submission,submitted_at\nontime,2026-03-28T20:00:00\nlate,2026-03-30T12:00:00+02:00\n")
    rub = rubric_mod.load(_rubric(tmp_path), require_all_checks=False)
    out = tmp_path / "out"
    when = late.read_submitted_at(times, rub.late)
    rows = grading.grade([subs / "late", subs / "ontime"], out, rubric=rub, seed="s", submitted_at=when, **scheduler_kw)
    assert [(r.submission, r.status) for r in rows] == [("late", "graded"), ("ontime", "graded")]
    data = json.loads((out / "late" / "results.json").read_text())
    assert data["a2kit"]["original_name"] == "late"
    assert data["score"] == 0.8 and data["a2kit"]["late"]["final"] == 0.8


def test_executor_for_picks_dask_threads_or_serial():
    assert isinstance(executors.executor_for(4, "tcp://x:1", 10), executors.Dask)
    assert isinstance(executors.executor_for(4, None, 10), executors.Threads)
    assert isinstance(executors.executor_for(1, None, 10), executors.Serial)
    assert isinstance(executors.executor_for(4, None, 1), executors.Serial)


def test_a_check_that_trains_for_a_budget_per_case_gets_its_time_limit_per_case(tmp_path, monkeypatch):
    """torch_open_model trains for OPEN_BUDGET s per case: with the public case and a hidden draw its time limit
    must cover both (it was one limit for all, so a model that used its budget twice timed out under grade)."""
    import dataclasses
    import types

    from grader.checks import registry
    from grader.checks.base import Case
    from grader.grading.job import Job

    rub = rubric_mod.load(ROOT / "rubric.yaml")
    rub = dataclasses.replace(
        rub,
        questions=tuple(
            dataclasses.replace(q, checks=tuple(c for c in q.checks if c.id in ("torch_open_model", "affine_forward")))
            for q in rub.questions
            if any(c.id in ("torch_open_model", "affine_forward") for c in q.checks)
        ),
    )
    seen = {}
    monkeypatch.setattr(
        steps,
        "run_checks",
        lambda *a, tasks=None, **kw: seen.update({t.check_id: t.timeout for t in (tasks or a[2])}) or {},
    )
    hidden = types.SimpleNamespace(packed=lambda cid, k: Case({}, {}), payload=lambda cid, k: b"")
    job = Job(tmp_path, "s", tmp_path, rub, hidden, ROOT, lambda tree: None)
    job.layout = types.SimpleNamespace(package="student")
    steps.run(job)
    specs = {c.id: c for q in rub.questions for c in q.checks}
    open_model, affine = registry.get("torch_open_model"), registry.get("affine_forward")
    k = rub.draws(specs["torch_open_model"])
    assert k >= 1 and seen["torch_open_model"] == (specs["torch_open_model"].timeout or open_model.timeout) * (k + 1)
    assert seen["affine_forward"] == (specs["affine_forward"].timeout or affine.timeout)


def test_the_language_travels_with_the_task(tmp_path):
    """A Dask worker is another process: does the task carry the report's language and set it there?"""
    from grader import i18n

    sub = our_layout(tmp_path / "sub", ROOT / "reference")
    rub = rubric_mod.load(_rubric(tmp_path), require_all_checks=False)
    task = executors.Task(0, str(sub), "sub", rub, "s", str(ROOT), language="es")
    i18n.set_language("en")
    try:
        graded = executors.grade_task(task)
        assert i18n.language() == "es"
    finally:
        i18n.set_language("en")
    assert '<html lang="es">' in graded.files[grading.REPORT]
    i18n.set_language("en")
    english = executors.grade_task(executors.Task(0, str(sub), "sub", rub, "s", str(ROOT)))
    assert '<html lang="en">' in english.files[grading.REPORT]  # no language: the process's own
