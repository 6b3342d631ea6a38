"""Q5 from ``PyTorch.ipynb``: build ``pytorch_models.py`` out of the notebook's cells.

In the cs231n layout the PyTorch work lives in notebook cells, not in a
module. This runs on the trusted side and never executes the notebook: it
reads the JSON (bounded: file size, cell count, cell size), parses each code
cell with ``ast`` and keeps, statement by statement,

* every top-level ``import`` (each guarded: a missing torchvision costs nothing),
* every top-level ``def`` and ``class`` (the graded functions and modules and
  their helpers; a definition runs nothing but its decorators and defaults),
* top-level assignments of plain constants (``dtype = torch.float32``,
  ``print_every = 100``: no call on the right-hand side),
* from the cells that build the Sequential models (a ``model = nn.Sequential(...)``
  before the open-ended section) and the open-ended model (the section whose
  heading says "open-ended" or "Part V"): their assignments, wrapped in a
  builder function that runs only when a check calls it,

and never an expression statement (``train_part34(model, optimizer)``,
``print(...)``), a loop, a ``with`` or anything that calls a training,
accuracy, data-loading or download function. The generated module ends with
a fixed adapter (``ADAPTER``) that maps each edition's names and signatures
onto the checks' (``train_part34`` -> ``train``, ...); a name the notebook
lacks becomes a function raising ``NotImplementedError("not found in
PyTorch.ipynb: ...")``, so its checks report it as not implemented.

The module is written into the assembled tree and imported only in the
sandbox, like any other student file.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import json
import re
from pathlib import Path

from .i18n import _
from .layout import lacks_note
from .q5_adapter import ADAPTER, OPEN, PRELUDE, RESIZE, TRAIN, TRAIN_PART2

#: Bounds of the trusted-side reading.
MAX_BYTES = 20 * 1024 * 1024
MAX_CELLS = 600
MAX_CELL_CHARS = 200_000

#: Names of calls that a kept statement must not contain (training, evaluation, data, I/O).
_FORBIDDEN_CALL = re.compile(
    r"train|check_accuracy|fit|load|save|download|cifar|dataset|print|open|urlopen|system|exec|eval$", re.I
)
_OPEN_HEADING = re.compile(r"open[- ]ended|part\s*v\b|challenge", re.I)

#: The graded names: the name the checks call -> the names a notebook may use for it.
NAMES = {
    "flatten": ("flatten",),
    "two_layer_fc": ("two_layer_fc",),
    "three_layer_convnet": ("three_layer_convnet",),
    "random_weight": ("random_weight",),
    "zero_weight": ("zero_weight",),
    "check_accuracy_part2": ("check_accuracy_part2",),
    "train_part2": ("train_part2",),
    "TwoLayerFC": ("TwoLayerFC",),
    "ThreeLayerConvNet": ("ThreeLayerConvNet",),
    "check_accuracy": ("check_accuracy", "check_accuracy_part34"),
    "train": ("train", "train_part34"),
}


@dataclasses.dataclass
class Extraction:
    """The generated module's source, and what it was made of (for the report)."""

    source: str
    cells: list[int]  # code-cell numbers (1-based, counting code cells only) that gave something
    found: dict[str, str]  # the checks' name -> the notebook's name
    missing: list[str]
    problems: list[str]
    self_reported: float | None = None  # the last validation accuracy the open-model cell's saved output shows

    def note(self, notebook: str) -> str:
        used = ", ".join(str(c) for c in self.cells) or _("none")
        names = ", ".join(
            k if v == k else _("{name} (as {alias})").format(name=k, alias=v) for k, v in self.found.items()
        ) or _("nothing")
        text = _("Q5 graded from {notebook}: code cells {cells}; found {names}").format(
            notebook=notebook, cells=used, names=names
        )
        if self.missing:
            text += "; " + _("not found: {names}").format(names=", ".join(self.missing))
        if self.problems:
            text += "; " + _("skipped: {problems}").format(problems="; ".join(self.problems[:5]))
        if self.self_reported is not None:
            text += "; " + _(
                "open model: {accuracy} validation accuracy self-reported (the notebook's saved output, not scored)"
            ).format(accuracy=f"{self.self_reported:.1%}")
        return text


def _cells(path: Path) -> list[dict]:
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    with open(path, "rb") as f:
        data = json.loads(f.read(MAX_BYTES + 1).decode("utf-8", errors="replace"))
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{path.name} is not a notebook (no cells)")
    return [c for c in cells[:MAX_CELLS] if isinstance(c, dict)]


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _clean(src: str) -> str:
    """IPython magics and shell lines become comments (their line numbers are kept)."""
    return "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


#: What the cs231n loops print: "Got 5432 / 10000 correct (54.32)" (also the 2017 "(54.32%)").
_GOT = re.compile(r"Got (\d+) / (\d+) correct")
MAX_OUTPUT_CHARS = 200_000


def _saved_accuracy(cell: dict) -> float | None:
    """The last "Got n / m correct" in a code cell's saved stream outputs (bounded), as a fraction."""
    outputs = cell.get("outputs")
    if not isinstance(outputs, list):
        return None
    text = ""
    for out in outputs[:200]:
        if isinstance(out, dict) and out.get("output_type") == "stream":
            t = out.get("text", "")
            t = "".join(x for x in t if isinstance(x, str)) if isinstance(t, list) else t if isinstance(t, str) else ""
            text = (text + t)[-MAX_OUTPUT_CHARS:]
    found = _GOT.findall(text)
    if not found:
        return None
    n, m = int(found[-1][0]), int(found[-1][1])
    return n / m if m > 0 and n <= m else None


def _call_names(node: ast.AST) -> list[str]:
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            names.append(f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else "?")
    return names


def _bound_by(node: ast.stmt) -> set[str]:
    """The names an import, a def or a class binds at module level."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    return set()


def _loads(node: ast.AST) -> set[str]:
    """The names an expression reads (comprehension variables included: a superset is safe)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


#: What the built module binds before any cell: the builtins and the prelude's names.
_ALWAYS_BOUND = frozenset(dir(builtins)) | {n for st in ast.parse(PRELUDE).body for n in _bound_by(st)}


def _targets(node: ast.stmt) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    out = []
    for t in targets:
        for sub in ast.walk(t):
            if isinstance(sub, ast.Name):
                out.append(sub.id)
    return out


def _is_sequential(value: ast.AST) -> bool:
    return isinstance(value, ast.Call) and (
        (isinstance(value.func, ast.Attribute) and value.func.attr == "Sequential")
        or (isinstance(value.func, ast.Name) and value.func.id == "Sequential")
    )


def _builder(name: str, statements: list[str], returns: str) -> str:
    body = "".join("    " + line + "\n" for s in statements for line in s.splitlines()) or "    pass\n"
    return f"\n\ndef {name}():\n    model = optimizer = None\n{body}    return {returns}\n"


class _Walk:
    """The notebook's cells, walked once in order: what the module keeps, and the three models' cells."""

    def __init__(self):
        self.pieces: list[str] = []
        self.used: list[int] = []
        self.problems: list[str] = []
        self.defined: set[str] = set()
        # what the module binds at its top level so far: a call-free statement reading anything else
        # (a name whose call-assignment was dropped) would raise NameError at import, so it is not kept there
        self.bound = set(_ALWAYS_BOUND)
        self.star = False
        self.models: dict[str, tuple[int, list[str]] | None] = dict.fromkeys(_MODEL_BUILDERS)
        self.self_reported = None
        self.in_open = False
        self.code_no = 0

    def cell(self, cell: dict) -> None:
        kind = cell.get("cell_type")
        src = _text(cell)
        if kind == "markdown":
            if any(line.lstrip().startswith("#") and _OPEN_HEADING.search(line) for line in src.splitlines()):
                self.in_open = True
        elif kind == "code":
            self.code_no += 1
            self.code(cell, src)

    def code(self, cell: dict, src: str) -> None:
        if len(src) > MAX_CELL_CHARS:
            self.problems.append(f"code cell {self.code_no} (over {MAX_CELL_CHARS} characters)")
            return
        clean = _clean(src)
        try:
            tree = ast.parse(clean)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            self.problems.append(f"code cell {self.code_no} ({type(exc).__name__})")
            return
        kept: list[str] = []
        assigns: list[str] = []
        model_value = None
        for node in tree.body:
            seg = ast.get_source_segment(clean, node)
            if seg is not None:
                model_value = self.statement(node, seg, kept, assigns) or model_value
        if model_value is not None:
            self.model(cell, model_value, [s for s in kept if not s.startswith("try:")] + assigns)
        if kept:
            self.pieces.append(f"\n# ---- PyTorch.ipynb, code cell {self.code_no} ----\n" + "\n".join(kept) + "\n")
            self.used.append(self.code_no)

    def statement(self, node: ast.stmt, seg: str, kept: list[str], assigns: list[str]):
        """Keep ``node`` at module level, in the cell's builder (``assigns``), or not at all; the model's value."""
        self.bound |= _bound_by(node)
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            self.star = True  # unknown names: every name counts as bound, as before
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            kept.append(
                "try:\n" + "".join("    " + ln + "\n" for ln in seg.splitlines()) + "except Exception:\n    pass"
            )
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kept.append(seg)
            self.defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            calls = _call_names(node.value)
            if any(_FORBIDDEN_CALL.search(c) for c in calls):
                return None
            names = _targets(node)
            if "cuda" in seg:
                self.cpu_setting(node, seg, names, kept)
                return None
            if not calls and (self.star or _loads(node.value) <= self.bound):
                kept.append(seg)
                self.bound.update(names)
            else:
                assigns.append(seg)
            return node.value if "model" in names else None
        return None

    def cpu_setting(self, node: ast.stmt, seg: str, names: list[str], kept: list[str]) -> None:
        """An assignment naming cuda: dtype = torch.cuda.FloatTensor, DEVICE = "cuda" if torch.cuda.is_available()
        else "cpu". The grader's CPU settings instead, under the notebook's own names (functions read them later);
        anything else naming cuda (model = model.cuda()) is left out."""
        value = node.value
        setting = isinstance(value, (ast.Constant, ast.IfExp)) or (
            isinstance(value, (ast.Call, ast.Attribute)) and any(w in seg for w in ("device(", "Tensor"))
        )
        for name in names if setting else ():
            if name not in ("device", "dtype", "model", "optimizer"):
                kept.append(f"{name} = {'dtype' if 'Tensor' in seg or 'dtype' in name.lower() else 'device'}")
                self.bound.add(name)

    def model(self, cell: dict, value: ast.expr, statements: list[str]) -> None:
        """A cell assigning ``model``: the open-ended model, or one of the two ``nn.Sequential`` ones."""
        if self.in_open:
            self.models["make_open_model"] = (self.code_no, statements)
            self.self_reported = _saved_accuracy(cell)
        elif _is_sequential(value):
            conv = "Conv2d" in _call_names(value)
            self.models["sequential_three_layer_convnet" if conv else "sequential_two_layer_fc"] = (
                self.code_no,
                statements,
            )


#: What the adapter builds from a model's cell: name -> (builder function, what was looked for, what it returns)
_MODEL_BUILDERS = {
    "sequential_two_layer_fc": ("_nb_sequential_fc", "model = nn.Sequential(...) without Conv2d", "model"),
    "sequential_three_layer_convnet": ("_nb_sequential_conv", "model = nn.Sequential(...) with Conv2d", "model"),
    "make_open_model": ("_nb_open_model", "model and optimizer in the open-ended section", "(model, optimizer)"),
}


def extract(path: Path) -> Extraction:
    """The module built from the notebook at ``path`` (never executed here)."""
    walk = _Walk()
    for cell in _cells(path):
        walk.cell(cell)
    found: dict[str, str] = {}
    missing: list[str] = []
    adapter = [ADAPTER]
    for name, options in NAMES.items():
        have = [o for o in options if o in walk.defined]
        if have:
            found[name] = have[-1]
        else:
            missing.append(name)
            adapter.append(f"{name} = _nb_missing({name!r}, {' or '.join(options)!r})\n")
    if "train_part2" in found and "check_accuracy_part2" in found:
        adapter.append(TRAIN_PART2)
    if "train" in found and "check_accuracy" in found:
        adapter.append(TRAIN.format(train=found["train"], check=found["check_accuracy"]))
    adapter.append(RESIZE)
    for what, (fn, label, returns) in _MODEL_BUILDERS.items():
        got = walk.models[what]
        if got is None:
            missing.append(what)
            adapter.append(f"{fn} = _nb_missing({what!r}, {label!r})\n")
            continue
        cell_no, statements = got
        walk.used.append(cell_no)
        found[what] = f"code cell {cell_no}"
        adapter.append(_builder(fn, statements, returns))
    adapter.append(OPEN)
    source = PRELUDE + "".join(walk.pieces) + "".join(adapter)
    return Extraction(
        source, sorted(set(walk.used)), found, missing, problems=walk.problems, self_reported=walk.self_reported
    )


def find_notebook(notebooks) -> Path | None:
    """The submission's PyTorch notebook (``PyTorch.ipynb``, any case), if it has one."""
    for p in notebooks:
        if Path(p).name.lower() == "pytorch.ipynb":
            return Path(p)
    return None


def has_q5_work(extraction: Extraction) -> bool:
    return bool(extraction.found)


def q5_from_notebook(layout, package_dir: Path, notes: list[str]) -> list[str]:
    """After ``assemble``: where the submission has no ``pytorch_models.py`` but a ``PyTorch.ipynb``,
    write the module built from the notebook into ``package_dir``; return the notes, updated.

    A submission with both: the module wins, and a note says so. A notebook that
    cannot be read leaves the release's stub (every check "not implemented") and a note.
    """
    notebook = find_notebook(layout.notebooks)
    if notebook is None:
        return notes
    theirs = Path(layout.package_dir) / "pytorch_models.py"
    try:
        extraction = extract(notebook)
    except (OSError, ValueError, UnicodeError, RecursionError, MemoryError) as exc:
        return [*notes, f"{notebook.name}: could not be read for Q5 ({str(exc)[:200]})"]
    if theirs.is_file() and not theirs.is_symlink():
        if has_q5_work(extraction):
            return [
                *notes,
                _("Q5 graded from pytorch_models.py (the module wins; {notebook}'s cells were not used)").format(
                    notebook=notebook.name
                ),
            ]
        return notes
    kept = [n for n in notes if n != lacks_note("pytorch_models.py")]
    (Path(package_dir) / "pytorch_models.py").write_text(extraction.source, encoding="utf-8")
    return [*kept, extraction.note(notebook.name)]
