"""The cs231n Assignment 2 editions: what each contains and how its API differs.

Declared once here and applied in two places:

* the trusted side (``grader.grading``) detects a cs231n-layout submission's
  edition from its code (``detect``) or takes ``--edition YEAR`` / the rubric's
  ``edition:``; the checks the edition lacks are *not applicable*
  (``apply_to_rubric``: not run, no points at stake, each question keeps its
  weight, spread over the checks that apply);
* the untrusted side (``grader.worker``) wraps the implementation in
  ``adapt(impl, edition)``, which translates the grader's calls (always written
  in the newest API) into that edition's keywords and meanings, so every check
  is written once.

What differs (from the editions' starter code):

* 2017: ``FullyConnectedNet(dropout=0, use_batchnorm=False)``: ``dropout`` and
  ``dropout_param['p']`` are the probability of *dropping* a unit; no layer
  norm, no group norm; Adam's starter ``config.setdefault('t', 1)`` (the
  starter's, not the student's: a fresh config gets ``t = 0``, the later
  editions' default, before the student's adam sees it);
* 2018-2019 and 2020: ``FullyConnectedNet(dropout=1, normalization=None)``:
  ``dropout`` and ``p`` are the *keep* probability;
* 2021-2024 and 2025: ``dropout_keep_ratio=1`` (keep probability); SVM loss and
  ``TwoLayerNet`` moved to Assignment 1.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import numpy as np

_TWO_LAYER = ("two_layer_net_init", "two_layer_net_scores", "two_layer_net_loss", "two_layer_net_loss_reg")
_NORMS_2018 = (
    "layernorm_forward", "layernorm_backward", "fc_net_layernorm_grads", "norm_large_inputs",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward",
)

#: Q5's checks: the PyTorch notebook's API (flatten, two_layer_fc, ..., train_part34) dates from 2018; 2017's
#: PyTorch.ipynb was another exercise (torch.nn.Sequential on dtype = torch.cuda.FloatTensor), so none applies.
_Q5_2018 = (
    "torch_flatten", "torch_two_layer_fc", "torch_three_layer_convnet", "torch_random_weight", "torch_train_part2",
    "torch_module_two_layer_fc", "torch_module_three_layer_convnet", "torch_module_init", "torch_sequential",
    "torch_train", "torch_train_modes", "torch_open_model",
)


@dataclasses.dataclass(frozen=True)
class Edition:
    """One edition: its name, the checks it lacks, and its API conventions."""

    name: str
    not_applicable: tuple[str, ...] = ()
    dropout_keyword: str = "dropout_keep_ratio"  # FullyConnectedNet's dropout keyword
    dropout_is_drop_probability: bool = False  # 2017: p and dropout= are P(drop)
    use_batchnorm: bool = False  # 2017: use_batchnorm=True instead of normalization="batchnorm"
    numpy_compat: bool = False  # restore np.int, np.float, ... (work written before NumPy 1.24)
    adam_t_default: int = 0  # the starter code's config.setdefault('t', ...) in adam: 1 in 2017, 0 since


EDITIONS: dict[str, Edition] = {
    e.name: e
    for e in (
        Edition("2017", _NORMS_2018 + _Q5_2018, "dropout", True, True, True, adam_t_default=1),
        Edition("2018-2019", (), "dropout", numpy_compat=True),
        Edition("2020", (), "dropout", numpy_compat=True),
        Edition("2021-2024", ("svm_loss",) + _TWO_LAYER),
        Edition("2025", ("svm_loss",) + _TWO_LAYER),
    )
}
#: The 2025 edition's RNN modules (any of them, beside ``dropout_keep_ratio=``, tells 2025).
_RNN_FILES = ("rnn_layers.py", "rnn_layers_pytorch.py")
#: What a submission of the kit's own layout (and an undetectable cs231n one) is graded as.
DEFAULT = "2021-2024"


class EditionError(ValueError):
    """An unknown edition name or year."""


def lookup(value: str | int) -> Edition:
    """``2019``, ``"2018-2019"``, ``"2023"``... -> the edition holding that year."""
    text = str(value).strip()
    if text in EDITIONS:
        return EDITIONS[text]
    if text.isdigit():
        year = int(text)
        for e in EDITIONS.values():
            lo, _, hi = e.name.partition("-")
            if int(lo) <= year <= int(hi or lo):
                return e
    raise EditionError(f"unknown cs231n edition {value!r} (known: {', '.join(EDITIONS)}, or a year 2017-2025)")


def _read(path: Path, limit: int = 1 << 20) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # never a link the submission planted
        with os.fdopen(fd, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


_TELLING = re.compile(r"\b(use_batchnorm|dropout_keep_ratio|dropout)\s*=")


def _fc_signature(fc: str) -> str:
    """The parameters of ``FullyConnectedNet.__init__`` that tell the edition.

    The last class of that name is the one the module binds, but it may be a
    wrapper (``__init__(self, *a, **kw)``) around an earlier one: the last
    definition whose signature names a telling keyword is taken.
    """
    starts = [m.start() for m in re.finditer(r"(?m)^class\s+FullyConnectedNet\b", fc)]
    for k in reversed(range(len(starts))):
        body = fc[starts[k]: starts[k + 1] if k + 1 < len(starts) else len(fc)]
        init = re.search(r"def\s+__init__\s*\(([^)]*)\)", body)
        if init and _TELLING.search(init.group(1)):
            return init.group(1)
    return ""


_RELATIVE_IMPORT = re.compile(r"^from \.\.layers import", re.M)


def detect(package_dir: Path, notebooks=()) -> tuple[Edition, str]:
    """The edition of a cs231n package folder, and the evidence (one phrase) it was told by.

    Reads only text (capped): the keywords of ``FullyConnectedNet`` and which
    functions and files exist. Falls back to ``DEFAULT`` with that said.
    """
    fc = _read(package_dir / "classifiers" / "fc_net.py")
    layers = _read(package_dir / "layers.py")
    names = {Path(n).name for n in notebooks}
    sig = _fc_signature(fc)
    if "use_batchnorm" in sig:
        return EDITIONS["2017"], "FullyConnectedNet takes use_batchnorm="
    if "dropout_keep_ratio" in sig:
        # 2025 moved RNN captioning into Assignment 2, in PyTorch: rnn_layers_pytorch.py, RNN_Captioning_pytorch.ipynb
        rnn = any((package_dir / f).is_file() for f in _RNN_FILES) or any(n.startswith("RNN_Captioning") for n in names)
        if rnn and "FullyConnectedNets.ipynb" not in names:
            return EDITIONS["2025"], "FullyConnectedNet takes dropout_keep_ratio=, RNN captioning in Assignment 2"
        return EDITIONS["2021-2024"], "FullyConnectedNet takes dropout_keep_ratio="
    if re.search(r"\bdropout\s*=", sig):
        if "TensorFlow.ipynb" not in names and "PyTorch.ipynb" in names:
            return EDITIONS["2020"], "FullyConnectedNet takes dropout= (keep probability), PyTorch only"
        if _RELATIVE_IMPORT.search(fc):  # 2020's starter imports its package relatively; 2019's as cs231n.
            return EDITIONS["2020"], "FullyConnectedNet takes dropout= (keep probability), relative imports"
        return EDITIONS["2018-2019"], "FullyConnectedNet takes dropout= (keep probability)"
    if "def layernorm_forward" not in layers and "def svm_loss" in layers:
        return EDITIONS["2017"], "layers.py has no layernorm_forward"
    if "def svm_loss" in layers:
        return EDITIONS["2018-2019"], "layers.py has svm_loss"
    return EDITIONS[DEFAULT], f"no edition could be told from the code; graded as {DEFAULT}"


def apply_to_rubric(rubric, edition: Edition):
    """``rubric`` without the checks ``edition`` lacks; each question keeps its points.

    The remaining checks of a question share its points in the rubric's
    proportions. A question left with no check is dropped (its points are not
    at stake). Returns (rubric, the dropped check ids).
    """
    dropped: list[str] = []
    questions = []
    for q in rubric.questions:
        keep = tuple(c for c in q.checks if c.id not in edition.not_applicable)
        dropped += [c.id for c in q.checks if c.id in edition.not_applicable]
        if not keep:
            continue
        if len(keep) != len(q.checks):
            left = sum(c.points for c in keep)
            scale = q.points / left if left else 0.0
            keep = tuple(dataclasses.replace(c, points=round(c.points * scale, 6)) for c in keep)
            # rounding: the last check takes the remainder, so the question adds up exactly
            rest = q.points - sum(c.points for c in keep[:-1])
            keep = keep[:-1] + (dataclasses.replace(keep[-1], points=rest),)
        questions.append(dataclasses.replace(q, checks=keep))
    return dataclasses.replace(rubric, questions=tuple(questions)), dropped


# -- the untrusted side: NumPy aliases and the API adapter ------------------------

#: Aliases NumPy 1.24 / 2.0 removed that old work still calls.
NUMPY_ALIASES = {
    "int": int, "float": float, "bool": bool, "complex": complex, "object": object, "str": str,
    "long": int, "unicode": str,
}


#: Functions NumPy 2 removed from ``np.lib`` that old work calls (``np.lib.pad`` for the zero padding of a conv).
NUMPY_LIB_ALIASES = {"pad": "pad"}


def accept_reshape_newshape() -> bool:
    """Let ``np.reshape(a, newshape=...)`` work on a NumPy that removed the keyword (2.4); True if it was needed.

    Every edition's students wrote code against a NumPy that took it (it was deprecated in 2.1), and the
    call is unambiguous, so the worker applies this to every submission, whatever the edition.
    """
    import functools
    import inspect

    try:
        if "newshape" in inspect.signature(np.reshape).parameters:
            return False
    except (TypeError, ValueError):  # pragma: no cover - a NumPy without a signature
        return False
    real = np.reshape

    @functools.wraps(real)
    def reshape(a, *args, newshape=None, **kwargs):
        if newshape is not None and not args and "shape" not in kwargs:
            args = (newshape,)
        return real(a, *args, **kwargs)

    np.reshape = reshape
    return True


def restore_numpy_aliases() -> list[str]:
    """Put back the removed aliases that this NumPy lacks; returns their names."""
    added = []
    for name, target in NUMPY_LIB_ALIASES.items():
        if not hasattr(np.lib, name) and hasattr(np, target):
            setattr(np.lib, name, getattr(np, target))
            added.append(f"lib.{name}")
    for name, value in NUMPY_ALIASES.items():
        try:
            missing = name not in np.__dict__
        except Exception:  # pragma: no cover
            missing = False
        if missing:
            setattr(np, name, value)
            added.append(name)
    return added


class _Module:
    """A module seen through the edition: the overrides first, then the real module."""

    def __init__(self, module, overrides: dict):
        self._module = module
        self._overrides = overrides

    def __getattr__(self, name):
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._module, name)


def _fc_net_overrides(module, edition: Edition) -> dict:
    real = module.FullyConnectedNet

    def FullyConnectedNet(*args, **kw):  # noqa: N802 - stands for the class
        if "dropout_keep_ratio" in kw and edition.dropout_keyword != "dropout_keep_ratio":
            keep = kw.pop("dropout_keep_ratio")
            kw[edition.dropout_keyword] = (1 - keep) if edition.dropout_is_drop_probability else keep
        if edition.use_batchnorm and "normalization" in kw:
            norm = kw.pop("normalization")
            if norm not in (None, "batchnorm"):
                raise NotImplementedError(f"the {edition.name} FullyConnectedNet has no {norm!r} normalization")
            kw["use_batchnorm"] = norm == "batchnorm"
        return real(*args, **kw)

    return {"FullyConnectedNet": FullyConnectedNet}


def _layers_overrides(module, edition: Edition) -> dict:
    if not edition.dropout_is_drop_probability:
        return {}
    real = module.dropout_forward

    def dropout_forward(x, dropout_param):
        param = dict(dropout_param)
        if "p" in param:
            param["p"] = 1 - param["p"]  # the grader's p is the keep probability
        return real(x, param)

    return {"dropout_forward": dropout_forward}


def _optim_overrides(module, edition: Edition) -> dict:
    if edition.adam_t_default == 0:
        return {}
    real = module.adam

    def adam(w, dw, config=None):
        # a fresh config: the starter code (not the student) set t's default; start from the newest one's 0
        config = {} if config is None else config
        config.setdefault("t", 0)
        return real(w, dw, config)

    return {"adam": adam}


_OVERRIDES = {"fc_net": _fc_net_overrides, "layers": _layers_overrides, "optim": _optim_overrides}


class EditionImpl:
    """``impl`` whose modules speak ``edition``'s API to the checks (the checks speak the newest one)."""

    def __init__(self, impl, edition: Edition):
        self._impl = impl
        self._edition = edition

    def __getattr__(self, name):
        module = getattr(self._impl, name)
        make = _OVERRIDES.get(name)
        if make is None:
            return module
        wrapped = _Module(module, make(module, self._edition))
        setattr(self, name, wrapped)
        return wrapped


def adapt(impl, edition: Edition | None):
    """``impl`` adapted to ``edition`` (unchanged for the newest API)."""
    if edition is None or not (
        edition.dropout_keyword != "dropout_keep_ratio" or edition.use_batchnorm or edition.adam_t_default
    ):
        return impl  # nothing of the edition's API differs from the newest one
    return EditionImpl(impl, edition)
