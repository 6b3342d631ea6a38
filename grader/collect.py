"""``python -m grader collect``: verify the work, run every check, package it, write a report.

The pipeline:

1. verify (``problems``): every notebook the rubric names exists under
   ``notebooks/``, was executed top to bottom (each non-blank code cell has an
   execution count, strictly increasing), shows no error output and has every
   inline answer filled in; every student file exists. Any problem refuses the
   whole collection (``CollectRefused``, one line per problem) and nothing is
   written;
2. run every public check of the rubric against ``student`` (``grader.check.run``);
3. write ``a2_code_submission.zip`` (layout below) and ``a2_report.html`` (the
   scores, every check, each notebook rendered with sanitized outputs), each
   atomically (a temporary file, then ``os.replace``).

Zip layout (paths relative to the project root, ``/``-separated, sorted, after
``MANIFEST.json``)::

    MANIFEST.json
    student/**/*.py, student/**/*.pyx        (no .c, .so, caches)
    notebooks/**/*.ipynb, notebooks/**/*.py  (no checkpoints, caches, data sets)

``MANIFEST.json``::

    {"format": "a2kit-submission", "version": 1,
     "created": "2025-01-31T12:00:00Z", "package_version": "0.1.0",
     "rubric": {"path": "rubric.yaml", "version": 1},
     "files": {"student/layers.py": "<sha256 hex>", ...},
     "scores": {"q1": 30.0, ...}}

The scores are what the student's machine measured; ``grade`` recomputes its own.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__, check, stubs
from . import notebooks as nbmod
from . import pdf as pdf_mod
from . import rubric as rubric_mod
from .atomic import atomic_write
from .paths import project_root
from .preflight import syntax_problems
from .render import html
from .results import QuestionResult

ZIP_NAME = "a2_code_submission.zip"
REPORT_NAME = "a2_report.html"
MANIFEST_NAME = "MANIFEST.json"
MANIFEST_FORMAT = "a2kit-submission"
MANIFEST_VERSION = 1

#: Folders of the work that go into the zip, and the suffixes taken from them.
WORK_DIRS = {"student": (".py", ".pyx"), "notebooks": (".ipynb", ".py")}
#: Folder names never descended into: caches, checkpoints, data sets, builds, environments.
SKIPPED_DIRS = {
    "__pycache__", ".ipynb_checkpoints", ".pytest_cache", "datasets", "data", "checkpoints",
    "build", "dist", "venv", "env", "node_modules",
}
#: Notebooks that are zipped and rendered when present but never required or verified:
#: PyTorch.ipynb until Q5 enters the rubric (then its ``notebook:`` field makes it required),
#: and collect_submission.ipynb, which runs this very command.
OPTIONAL_NOTEBOOKS = ("PyTorch.ipynb",)
UNVERIFIED_NOTEBOOKS = ("collect_submission.ipynb",)
#: The student-editable files when ``reference/`` is absent (the handout): the files that
#: hold solution regions in ``reference/`` (a test keeps this list equal to the generator's).
STUDENT_FILES = (
    "classifiers/cnn.py", "classifiers/fc_net.py", "layers.py", "optim.py", "pytorch_models.py",
    "network/layers.py", "network/models.py", "network/optimizers.py", "network/regularizers.py", "tp2_ex3.py",
)


class CollectRefused(Exception):
    """The work cannot be collected; ``problems`` holds one line per reason."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclasses.dataclass(frozen=True)
class Collected:
    """What ``collect`` wrote."""

    zip_path: Path
    report_path: Path
    manifest: dict
    results: list[QuestionResult]
    warnings: list[str]
    pdf: Path | None = None  #: the notebooks as one PDF (``collect --pdf``)
    pdf_problem: str = ""  #: why no PDF was written, when one was asked for

    @property
    def zip_bytes(self) -> int:
        return self.zip_path.stat().st_size

    @property
    def report_bytes(self) -> int:
        return self.report_path.stat().st_size

    @property
    def total(self) -> float:
        return sum(q.points for q in self.results)

    @property
    def max_total(self) -> float:
        return sum(q.max_points for q in self.results if not q.extra_credit)


# -- what is required ---------------------------------------------------------------


def required_notebooks(rubric: rubric_mod.Rubric) -> list[tuple[str, str]]:
    """(notebook path under notebooks/, question id) for every notebook a question names (first question)."""
    first: dict[str, str] = {}
    for q in rubric.questions:
        if q.notebook:
            first.setdefault(q.notebook, q.id)
    return list(first.items())


def student_files(root: Path) -> list[str]:
    """Paths (under student/) that must exist: from ``reference/`` when present, else ``STUDENT_FILES``."""
    reference = root / "reference"
    if reference.is_dir():
        return sorted(p.as_posix() for p in stubs.editable_files(reference))
    return sorted(STUDENT_FILES)


def problems(root: Path, rubric: rubric_mod.Rubric, *, notebooks: bool = True) -> list[str]:
    """One line per reason the work under ``root`` cannot be collected (empty when it can)."""
    out: list[str] = []
    student = root / "student"
    if not student.is_dir():
        out.append(f"student/: missing (no student/ folder under {root}; use --root)")
    else:
        for rel in student_files(root):
            if not (student / rel).is_file():
                out.append(f"student/{rel}: missing (a student file; restore it from the handout)")
    if notebooks:
        for name, qid in required_notebooks(rubric):
            path = root / "notebooks" / name
            if not path.is_file():
                out.append(f"notebooks/{name}: missing (required by {qid})")
                continue
            try:
                nb = nbmod.read(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable notebook is one line
                out.append(f"notebooks/{name}: not a readable notebook ({exc.__class__.__name__})")
                continue
            out.extend(nbmod.problems(nb, f"notebooks/{name}"))
    return out


def submission_files(root: Path) -> list[str]:
    """Relative ``/``-separated paths of the files that go into the zip, sorted."""
    found: list[str] = []
    for top, suffixes in WORK_DIRS.items():
        base = root / top
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in SKIPPED_DIRS
                and not d.startswith(".")
                and not d.endswith(".egg-info")
                and not (here / d / "pyvenv.cfg").exists()
            )
            for name in filenames:
                path = here / name
                if name.startswith(".") or path.suffix not in suffixes or not path.is_file() or path.is_symlink():
                    continue
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


# -- writing ----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rubric_path(rubric: rubric_mod.Rubric, root: Path) -> str:
    path = Path(rubric.path).resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def build_manifest(root: Path, files: Sequence[str], rubric: rubric_mod.Rubric, results, created: dt.datetime) -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "created": created.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "package_version": __version__,
        "rubric": {"path": _rubric_path(rubric, root), "version": rubric.version},
        "files": {rel: _sha256(root / rel) for rel in files},
        "scores": {q.question: q.points for q in results},
    }


def write_zip(target: Path, root: Path, files: Sequence[str], manifest: dict) -> None:
    created = dt.datetime.fromisoformat(manifest["created"].replace("Z", "+00:00"))
    stamp = max(created.timetuple()[:6], (1980, 1, 1, 0, 0, 0))

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            info = zipfile.ZipInfo(MANIFEST_NAME, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
            for rel in files:
                info = zipfile.ZipInfo(rel, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, (root / rel).read_bytes())

    atomic_write(target, write)


def notebook_sections(root: Path, rubric: rubric_mod.Rubric) -> list:
    """Every notebook present, rendered and sanitized (``html.Section``s), in the rubric's order."""
    by_name = {name: qid for name, qid in required_notebooks(rubric)}
    names = list(by_name) + [n for n in OPTIONAL_NOTEBOOKS if n not in by_name]
    sections = []
    for name in names:
        path = root / "notebooks" / name
        if not path.is_file():
            continue
        label = f"{name} ({by_name[name]})" if name in by_name else f"{name} (not graded yet)"
        try:
            nb = nbmod.read(path)
            sections.append(dataclasses.replace(html.notebook_section(nb, name), title=label))
        except Exception as exc:  # noqa: BLE001 - a notebook that does not render is noted, not fatal
            note = f"could not be rendered ({exc.__class__.__name__})"
            sections.append(html.Section(title=label, body=html.Markup(""), note=note))
    return sections


def render_report(root: Path, rubric: rubric_mod.Rubric, results, manifest: dict, warnings: Sequence[str] = ()) -> str:
    """The student's report: scores, checks, then every notebook present, rendered and sanitized."""
    sections = notebook_sections(root, rubric)
    facts = [
        ("created", manifest["created"]),
        ("a2kit", manifest["package_version"]),
        ("rubric", f"{manifest['rubric']['path']} (version {manifest['rubric']['version']})"),
        ("files in the zip", str(len(manifest["files"]))),
    ]
    return html.render_report(
        results,
        title=f"{rubric.assignment}: submission report",
        subtitle="Written by python -m grader collect on the student's machine (public checks).",
        facts=facts,
        problems=list(warnings),
        sections=sections,
    )


def collect(
    root: Path | None = None,
    out: Path | None = None,
    *,
    rubric: rubric_mod.Rubric | None = None,
    check_notebooks: bool = True,
    now: dt.datetime | None = None,
    pdf: bool = False,
) -> Collected:
    """Verify, check, and write the zip and the report into ``out`` (default: ``root``).

    Raises ``CollectRefused`` (nothing written) when the work is incomplete;
    ``rubric_mod.RubricError`` for a bad rubric. With ``check_notebooks=False``
    the notebook problems are reported as warnings instead of refusals.
    """
    root = Path(root).resolve() if root else project_root()
    out = Path(out).resolve() if out else root
    rubric = rubric or rubric_mod.load(root / "rubric.yaml" if (root / "rubric.yaml").is_file() else None)

    refusals = syntax_problems(root) + problems(root, rubric, notebooks=check_notebooks)
    warnings = [] if check_notebooks else [p for p in problems(root, rubric) if p not in refusals]
    if refusals:
        raise CollectRefused(refusals)
    if out.exists() and not out.is_dir():
        raise CollectRefused([f"{out}: not a folder"])
    out.mkdir(parents=True, exist_ok=True)  # like grade and release

    results = check.run(None, implementation="student", root=root, rubric=rubric)
    files = submission_files(root)
    manifest = build_manifest(root, files, rubric, results, now or dt.datetime.now(dt.timezone.utc))
    report = render_report(root, rubric, results, manifest, warnings)

    zip_path, report_path = out / ZIP_NAME, out / REPORT_NAME
    write_zip(zip_path, root, files, manifest)
    atomic_write(report_path, lambda tmp: tmp.write_text(report, encoding="utf-8"))
    collected = Collected(zip_path, report_path, manifest, results, warnings)
    if pdf:  # the notebooks as one PDF; its absence is one line, not a refusal
        try:
            written = pdf_mod.write(
                pdf_mod.notebooks_page(notebook_sections(root, rubric), title=f"{rubric.assignment}: notebooks"),
                out / pdf_mod.PDF_NAME,
            )
            collected = dataclasses.replace(collected, pdf=written)
        except pdf_mod.PdfUnavailable as exc:
            collected = dataclasses.replace(collected, pdf_problem=f"no PDF written: {exc}")
    return collected


def summary_lines(result: Collected) -> list[str]:
    """What the CLI (and collect_submission.ipynb) print after a collection."""
    lines = [f"warning: {w}" for w in result.warnings]
    lines.append(f"wrote {result.zip_path} ({_size(result.zip_bytes)}, {len(result.manifest['files'])} files)")
    lines.append(f"wrote {result.report_path} ({_size(result.report_bytes)})")
    if result.pdf is not None:
        lines.append(f"wrote {result.pdf} ({_size(result.pdf.stat().st_size)}, the executed notebooks)")
    if result.pdf_problem:
        lines.append(f"warning: {result.pdf_problem}")
    width = max(len(q.question) for q in result.results) if result.results else 2
    for q in result.results:
        passed = sum(c.passed for c in q.checks)
        extra = " (extra credit)" if q.extra_credit else ""
        score = f"{q.points:g} / {q.max_points:g}  ({passed}/{len(q.checks)} checks){extra}"
        lines.append(f"  {q.question:<{width}}  {score}  {q.title}")
    total = f"{result.total:g} / {result.max_total:g} points"
    lines.append(f"total: {total} (public checks; details: python -m grader check)")
    lines.append(f"submit {result.zip_path.name}; open {result.report_path.name} in a browser to review it")
    return lines


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


__all__ = [
    "CollectRefused",
    "Collected",
    "MANIFEST_NAME",
    "REPORT_NAME",
    "ZIP_NAME",
    "collect",
    "problems",
    "required_notebooks",
    "student_files",
    "submission_files",
    "summary_lines",
]
