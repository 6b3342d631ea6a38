"""The data types of a check: what it calls, on which inputs, and how it compares.

A check is declared once and used three ways:

* ``python -m grader check`` (public): the inputs are drawn from a fixed public
  seed and the expected outputs come from ``grader/fixtures/public.npz``,
  generated from the reference by maintainers, so students never need
  ``reference/``;
* ``python -m grader grade`` (hidden): the inputs are drawn from a secret seed
  with ``hidden=True`` (other shapes, strides, magnitudes) and the expected
  outputs are computed by the reference on the trusted side;
* the fixture generator: ``run`` against the reference.

``run`` is the only part executed on the untrusted side, in a child process; it
receives the implementation (``Impl``) and a ``Case`` and returns plain arrays.
Everything else runs on the trusted side. This module is copied into the
sandbox; the trusted side's result types (``Status``, ``CheckResult``,
``QuestionResult``) live in ``grader.results``, which is not.
"""
from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

Arrays = dict[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Case:
    """The inputs of one check: arrays, and JSON-able parameters (strides, modes...).

    ``held`` holds arrays that only the trusted side sees (a held-out split on
    which ``compare`` evaluates what a training check returns): they are never
    written for the untrusted side, so the student code cannot fit them.
    """

    arrays: Arrays
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    held: Arrays = dataclasses.field(default_factory=dict)

    def __getitem__(self, key: str):
        if key in self.arrays:
            return self.arrays[key]
        return self.params[key]

    def copy(self, name: str) -> np.ndarray:
        """A fresh copy of an input array (so the callee cannot alter the case)."""
        return np.array(self.arrays[name], copy=True)


@dataclasses.dataclass(frozen=True)
class Measure:
    """What the comparison found: the error, whether it is within tolerance, and one line of detail."""

    error: float
    passed: bool
    detail: str = ""


class Comparator(Protocol):
    def __call__(self, got: Arrays, expected: Arrays, case: Case, tolerance: float) -> Measure: ...


#: A wrong answer the diagnosis engine can recognise: a message, and the outputs
#: that this wrong implementation would give on the case (computed on the trusted side).
@dataclasses.dataclass(frozen=True)
class WrongAnswer:
    message: str
    produce: Callable[[Case, Arrays], Arrays]  # (case, expected outputs) -> outputs of the bug


@dataclasses.dataclass(frozen=True)
class Check:
    """One declared check.

    ``id`` is unique across the rubric; ``question`` is the rubric's question id;
    ``make_case(rng, hidden)`` draws the inputs; ``run(impl, case)`` calls the
    implementation (untrusted side) and returns arrays; ``compare`` scores them
    against the expected arrays (trusted side); ``tolerance`` is the default the
    rubric may override; ``calls`` names what the check exercises (for reports).
    """

    id: str
    question: str
    title: str
    make_case: Callable[[np.random.Generator, bool], Case]
    run: Callable[[Impl, Case], Arrays]
    compare: Comparator
    tolerance: float
    calls: tuple[str, ...] = ()
    timeout: float = 20.0
    wrong_answers: tuple[str, ...] = ()  # names of entries in grader.wrong_answers.WRONG_ANSWERS
    #: the timeout holds for each case (a check that trains for a time budget per case); else for all of
    #: the check's cases together under grade (correct code takes milliseconds, a hang costs one timeout)
    timeout_per_case: bool = False
    #: a naive layer's check: under ``grade`` it runs where the released fast layers compute nothing
    #: (``grader.layout.without_fast_layers``), so that calling them earns no points
    naive: bool = False
    #: other correct conventions accepted (names of ``grader.checks.conventions.CONVENTIONS``), each graded
    #: against the outputs of a variant of the reference
    conventions: tuple[str, ...] = ()


#: Short names the checks use for the implementation's modules.
MODULES = {
    "layers": "layers",
    "layer_utils": "layer_utils",
    "fast_layers": "fast_layers",
    "optim": "optim",
    "solver": "solver",
    "gradient_check": "gradient_check",
    "data_utils": "data_utils",
    "fc_net": "classifiers.fc_net",
    "cnn": "classifiers.cnn",
    "pytorch_models": "pytorch_models",
    "network_models": "network.models",
    "network_layers": "network.layers",
    "network_activations": "network.activations",
    "network_losses": "network.losses",
    "network_optimizers": "network.optimizers",
    "network_regularizers": "network.regularizers",
    "network_metrics": "network.metrics",
    "tp2_ex3": "tp2_ex3",
}


class Impl:
    """The implementation under test, imported lazily module by module.

    ``impl.layers`` imports ``<package>.layers`` on first use, so a syntax error
    in one file costs only the checks that use it.
    """

    def __init__(self, package: str):
        self.package = package

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in MODULES:
            raise AttributeError(name)
        module = importlib.import_module(f"{self.package}.{MODULES[name]}")
        setattr(self, name, module)
        return module
