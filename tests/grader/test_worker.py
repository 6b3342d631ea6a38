"""grader.worker driven directly (no sandbox): a job folder, two pipes, and the frames it sends back.

The worker is started as ``python -m grader.worker JOBDIR FD CMDFD`` the way grader.runner does, on a
tiny implementation package in tmp_path; the test plays the grader's side of the channel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from grader.channel import FrameReader, unpack_arrays
from grader.checks import registry
from grader.fixtures import case_for
from grader.runner import Task, _write_job
from tests.grader.subjects import ROOT

LAYERS = """\
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def relu_forward(x):
    raise NotImplementedError("relu_forward not implemented yet (layers.py)")


def affine_backward(dout, cache):
    return np.zeros(3)[5]
"""


def _run_worker(tmp_path, package_text: str, check_ids: list[str], order: list[int]):
    pkg = tmp_path / "impl"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(textwrap.dedent(package_text))
    jobdir = tmp_path / "job"
    tasks = [Task(cid, case_for(registry.get(cid)), 20.0) for cid in check_ids]
    _write_job(jobdir, "impl", [str(tmp_path)], tasks)
    events_r, events_w = os.pipe()
    orders_r, orders_w = os.pipe()
    with os.fdopen(orders_w, "w") as orders:
        for i in order:
            orders.write(f'{{"run": {i}}}\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader.worker", str(jobdir), str(events_w), str(orders_r)],
        cwd=ROOT,
        pass_fds=(events_w, orders_r),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(events_w)
    os.close(orders_r)
    data = b""
    with os.fdopen(events_r, "rb") as events:
        data = events.read()
    assert proc.wait(timeout=60) == 0
    return FrameReader().feed(data)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    return _run_worker(
        tmp_path_factory.mktemp("worker"), LAYERS, ["affine_forward", "relu_forward", "affine_backward"], [0, 1, 2]
    )


def _end(frames, check_id):
    return next((e, p) for e, p in frames if e["event"] == "end" and e["id"] == check_id)


def test_the_worker_says_ready_first_then_runs_what_it_is_asked_in_order(frames):
    """Is "ready" the first event, and is each asked check started and ended, in the order asked?"""
    names = [(e["event"], e.get("id")) for e, _ in frames if e["event"] in ("ready", "start", "end")]
    assert names == [
        ("ready", None),
        ("start", "affine_forward"),
        ("end", "affine_forward"),
        ("start", "relu_forward"),
        ("end", "relu_forward"),
        ("start", "affine_backward"),
        ("end", "affine_backward"),
    ]


def test_the_outputs_come_back_as_arrays_in_the_payload(frames):
    """Does a working function's output come back, rebuilt from the payload, equal to its own computation?"""
    event, payload = _end(frames, "affine_forward")
    assert event["status"] == "ok" and event["message"] == ""
    outputs = unpack_arrays(event["arrays"], payload)
    case = case_for(registry.get("affine_forward"))
    x, w, b = case.arrays["x"], case.arrays["w"], case.arrays["b"]
    assert np.allclose(outputs["out"], x.reshape(x.shape[0], -1) @ w + b)


def test_not_implemented_is_its_own_status_with_the_student_s_line(frames):
    """Is a NotImplementedError reported as not_implemented, with its message and the file and line raised?"""
    event, payload = _end(frames, "relu_forward")
    assert event["status"] == "not_implemented" and payload == b""
    assert event["message"] == "relu_forward not implemented yet (layers.py)"
    assert event["location"] == "impl/layers.py:10 in relu_forward"


def test_an_exception_is_an_error_with_type_message_and_location(frames):
    """Is an IndexError in the student's code an error "IndexError: ...", located in the student's file?"""
    event, payload = _end(frames, "affine_backward")
    assert event["status"] == "error" and payload == b"" and event["arrays"] == []
    assert event["message"].startswith("IndexError: index 5 is out of bounds")
    assert event["location"] == "impl/layers.py:14 in affine_backward"


def test_each_first_import_of_a_module_is_announced(frames):
    """Does the worker announce the import of layers (so a hang at import can be blamed on that module)?"""
    imports = [(e["event"], e["module"]) for e, _ in frames if e["event"] in ("import", "imported")]
    assert ("import", "layers") in imports and ("imported", "layers") in imports


def test_an_unreadable_order_ends_the_worker_cleanly(tmp_path):
    """When the grader sends something that is not an order, does the worker stop after "ready" and exit 0?"""
    frames = _run_worker(tmp_path, LAYERS, ["affine_forward"], [])
    assert [e["event"] for e, _ in frames] == ["ready"]
