"""Headless execution of the assignment notebooks (nbclient), and what ``collect`` checks in them.

``execute(path, implementation="reference", fast=True)`` runs a notebook top to
bottom in a fresh kernel and returns the executed notebook. The kernel runs the
interpreter that runs the grader (so it sees the same packages), in the
notebook's folder, with the project root on ``PYTHONPATH`` (``grader``,
``student`` and ``reference`` import) and with ``A2KIT_IMPL`` /
``A2KIT_FAST`` / ``A2KIT_ROOT`` set, which ``grader.notebook_api`` reads (names in ``grader.envnames``). A
cell that raises, times out or kills the kernel stops the run with a
``NotebookError`` whose message is one line:
``FullyConnectedNets.ipynb: code cell 7 failed: NotImplementedError: ...``.

``problems(nb, name)`` lists what ``collect`` refuses in a student's saved
notebook: a cell never executed, execution out of order, an error output, an
empty inline answer.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

import nbformat
import zmq
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from .answers import answer_id, answer_is_empty
from .envnames import FAST_ENV, IMPL_ENV, ROOT_ENV
from .i18n import _, ngettext
from .paths import project_root

#: Default seconds one cell may run.
CELL_TIMEOUT = 600.0
#: Seconds the kernel may take to start.
STARTUP_TIMEOUT = 120.0


class NotebookError(RuntimeError):
    """A notebook cell failed. ``str(exc)`` is one line: ``<name>: code cell <n> failed: <last line>``.

    ``cell`` is the 1-based index among the notebook's code cells, ``cell_index``
    the 0-based index among all its cells (None when the kernel never started),
    ``notebook`` the executed notebook up to the failure.
    """

    def __init__(self, name: str, cell: int | None, reason: str, *, cell_index: int | None = None, notebook=None):
        where = f"code cell {cell} failed" if cell is not None else "failed"
        super().__init__(f"{name}: {where}: {reason}")
        self.name = name
        self.cell = cell
        self.cell_index = cell_index
        self.reason = reason
        self.notebook = notebook


def last_line(text: str) -> str:
    """The last non-blank line of ``text``, ANSI colour codes removed."""
    clean = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text or "")
    lines = [ln.strip() for ln in clean.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _error_line(ename: str, evalue: str) -> str:
    value = last_line(evalue)
    return f"{ename}: {value}" if value else ename


def _kernel_manager(kernel_name: str):
    """A kernel manager whose ``python3`` kernel is this interpreter's ipykernel.

    A ``python3`` kernelspec installed for the user may point at another Python
    (without numpy, or without this project); the native spec that ipykernel
    ships runs ``sys.executable``, so the notebook sees what the grader sees.
    Any other kernel name is looked up as usual.
    """
    class SameInterpreterSpecs(KernelSpecManager):
        def get_kernel_spec(self, name: str) -> KernelSpec:
            if name == "python3":
                return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(name)

    km = AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=SameInterpreterSpecs())
    # Newer jupyter_client/ipykernel pairs can encrypt the local channels (and the
    # kernel warns when they are not): use it where both sides and libzmq offer it.
    if km.has_trait("transport_encryption"):
        try:
            if zmq.has("curve"):
                km.transport_encryption = "auto"
        except Exception:  # noqa: BLE001 - encryption is a nicety; plain local TCP works
            pass
    return km


def kernel_env(implementation: str, fast: bool, root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: ours, plus the project on ``PYTHONPATH`` and the notebook_api switches."""
    env = dict(os.environ)
    grader_parent = str(Path(__file__).resolve().parent.parent)
    paths = [str(root)] + ([grader_parent] if grader_parent != str(root) else [])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env[IMPL_ENV] = implementation
    env[FAST_ENV] = "1" if fast else "0"
    env[ROOT_ENV] = str(root)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # The notebooks' matrices are small: threaded BLAS only adds contention (see grader.runner).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    env.pop("MPLBACKEND", None)  # the kernel's inline backend renders figures as PNG outputs
    if extra:
        env.update(extra)
    return env


def execute(
    path: str | Path | NotebookNode,
    *,
    implementation: str = "student",
    fast: bool = True,
    timeout: float = CELL_TIMEOUT,
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    root: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
    on_cell=None,
) -> NotebookNode:
    """Run a notebook top to bottom in a fresh kernel and return the executed copy.

    ``path`` is a file (or an already-read notebook, then give ``name`` and
    ``cwd``). ``implementation`` is the package the notebook exercises
    (``student`` or ``reference``); ``fast`` shrinks its training runs;
    ``timeout`` is per cell, in seconds; ``cwd`` defaults to the notebook's
    folder; ``root`` is the project root (default: ``grader.paths.project_root()``);
    ``env`` adds variables to the kernel's environment; ``on_cell()`` is called as
    each code cell starts (the sandboxed worker reports it). The file is not modified.
    Raises ``NotebookError`` on the first failing cell.
    """
    if isinstance(path, NotebookNode):
        nb = path
        name = name or "notebook"
        cwd = Path(cwd) if cwd else Path.cwd()
    else:
        path = Path(path)
        name = name or path.name
        try:
            nb = nbformat.read(path, as_version=4)
        except FileNotFoundError:
            raise NotebookError(name, None, "no such notebook") from None
        except Exception as exc:  # noqa: BLE001 - any unreadable file is one line for the user
            reason = f"not a readable notebook ({exc.__class__.__name__}: {last_line(str(exc))})"
            raise NotebookError(name, None, reason) from None
        cwd = Path(cwd) if cwd else path.resolve().parent
    root = Path(root).resolve() if root else project_root()

    started: list[int] = []  # index (among all cells) of each code cell, as it starts

    def on_cell_start(cell, cell_index):
        if cell.cell_type == "code":
            started.append(cell_index)
            if on_cell is not None:
                on_cell()

    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name=kernel_name,
        km=_kernel_manager(kernel_name),
        allow_errors=False,
        record_timing=True,
        on_cell_start=on_cell_start,
        resources={"metadata": {"path": str(cwd)}},
    )

    def failed(reason: str) -> NotebookError:
        if not started:
            return NotebookError(name, None, reason, notebook=nb)
        index = started[-1]
        number = sum(c.cell_type == "code" for c in nb.cells[: index + 1])
        return NotebookError(name, number, reason, cell_index=index, notebook=nb)

    try:
        client.execute(env=kernel_env(implementation, fast, root, env), cwd=str(cwd), cleanup_kc=True)
    except CellTimeoutError:
        raise failed(f"timed out after {timeout:g} s (per-cell limit)") from None
    except DeadKernelError as exc:
        raise failed(f"the kernel died ({last_line(str(exc))})") from None
    except CellExecutionError as exc:
        raise failed(_error_line(exc.ename, exc.evalue)) from None
    except RuntimeError as exc:  # e.g. the kernel did not start (jupyter_client raises RuntimeError)
        if started:
            raise failed(last_line(str(exc))) from None
        raise NotebookError(name, None, f"the kernel did not start ({last_line(str(exc))})") from None
    return nb


def execute_timed(path: str | Path, **kwargs) -> tuple[NotebookNode, float]:
    """``execute`` and the wall time it took, in seconds."""
    start = time.perf_counter()
    nb = execute(path, **kwargs)
    return nb, time.perf_counter() - start


# -- what collect refuses -----------------------------------------------------


def problems(nb: NotebookNode, name: str) -> list[str]:
    """One line per reason a saved notebook cannot be submitted as is (empty when it can).

    Every code cell with source must have an execution count (blank cells may
    stay unexecuted), the counts must strictly increase top to bottom, no output
    may be an error, and every inline answer must be filled in.
    """
    out: list[str] = []
    previous: tuple[int, int] | None = None  # (code cell number, execution count)
    code_number = 0
    unexecuted: list[int] = []
    for cell in nb.cells:
        qid = answer_id(cell)
        if qid is not None and answer_is_empty(cell.get("source", "")):
            text = _("{name}: inline question {question} has no answer (replace '*fill this in*' with your answer)")
            out.append(text.format(name=name, question=qid))
        if cell.get("cell_type") != "code":
            continue
        code_number += 1
        count = cell.get("execution_count")
        if not "".join(cell.get("source", "")).strip():
            continue
        if count is None:
            unexecuted.append(code_number)
        else:
            if previous is not None and count <= previous[1]:
                out.append(
                    _(
                        "{name}: code cell {cell} ran out of order (execution count {count} after "
                        "{previous} in code cell {previous_cell}; restart the kernel and run all cells)"
                    ).format(name=name, cell=code_number, count=count, previous=previous[1], previous_cell=previous[0])
                )
            previous = (code_number, count)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                what = _error_line(output.get("ename", "Error"), output.get("evalue", ""))
                out.append(_("{name}: code cell {cell} shows an error output ({error})").format(
                    name=name, cell=code_number, error=what))
                break
    if unexecuted:
        shown = ", ".join(map(str, unexecuted[:5])) + (", ..." if len(unexecuted) > 5 else "")
        out.insert(0, ngettext(
            "{name}: code cell {cells} was not executed (run the notebook top to bottom, then save it)",
            "{name}: {n} code cells ({cells}) were not executed (run the notebook top to bottom, then save it)",
            len(unexecuted),
        ).format(name=name, cells=shown, n=len(unexecuted)))
    return out


def read(path: str | Path) -> NotebookNode:
    """Read a notebook file as nbformat v4."""
    return nbformat.read(Path(path), as_version=4)


__all__ = ["CELL_TIMEOUT", "NotebookError", "execute", "execute_timed", "kernel_env", "problems", "read"]
