"""Keep ``torch._dynamo`` out of the Q5 worker until something really compiles.

Every ``torch.optim`` optimizer's ``step`` runs ``import torch._dynamo`` (for a
``graph_break()``) and ``zero_grad`` wraps itself with ``torch._dynamo.disable``:
on the first step of the first optimizer the worker imports the whole compiler
stack, about as long as importing torch itself. Outside ``torch.compile`` both
are no-ops (a graph break and a "do not trace" marker mean nothing when nothing
traces), so ``install()`` puts a stand-in module under that name that answers
them, and loads the real ``torch._dynamo`` the moment anything else of it is
asked for (an attribute, or a submodule such as ``torch._dynamo.backends`` that
``torch.compile`` imports), replacing itself in ``sys.modules`` and on ``torch``.

This runs in the worker (the untrusted side), before the submission's code;
it changes no number: the checks' results with and without it are the same
(tests/grader/test_checks_q5.py).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

NAME = "torch._dynamo"


class _Existing(importlib.abc.Loader):
    """A loader handing back a module the real package already imported."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        return None


class _Stand(types.ModuleType):
    """``torch._dynamo`` as seen by code that is not compiling."""

    __path__: list = []  # a package: submodule imports reach _Finder, which loads the real one

    def graph_break(self, *args, **kwargs):
        return None

    def is_compiling(self):
        return False

    def disable(self, fn=None, recursive=True, *args, **kwargs):
        return fn if fn is not None else (lambda f: f)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_real(), name)


_stand: _Stand | None = None


def _real():
    """The real torch._dynamo (imported now if the stand-in is still in place)."""
    torch = sys.modules["torch"]
    if sys.modules.get(NAME) is _stand:
        del sys.modules[NAME]
        if torch.__dict__.get("_dynamo") is _stand:
            del torch._dynamo
    return importlib.import_module(NAME)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(NAME + ".") or sys.modules.get(NAME) is not _stand:
            return None
        real = _real()
        if fullname in sys.modules:  # the real package imported it on its way
            return importlib.machinery.ModuleSpec(fullname, _Existing(sys.modules[fullname]))
        return importlib.machinery.PathFinder.find_spec(fullname, real.__path__)


def install() -> None:
    """Put the stand-in in place (once), unless torch._dynamo is already imported."""
    global _stand
    torch = sys.modules.get("torch")
    if torch is None or NAME in sys.modules or _stand is not None:
        return
    _stand = _Stand(NAME)
    sys.modules[NAME] = _stand
    torch._dynamo = _stand
    sys.meta_path.insert(0, _Finder())
