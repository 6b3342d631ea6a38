"""The command line: ``python -m grader VERB ...``.

This module only parses arguments, calls the function that does the work and
maps its outcome to an exit code. The work lives in the other modules.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import sys
from pathlib import Path

from .paths import project_root
from .progress import ProgressBar


class ExitCode(enum.IntEnum):
    OK = 0  #: all checks passed / the work is done
    FAILED = 1  #: some checks failed, or some submissions could not be graded
    USAGE = 2  #: usage or input error
    INTERNAL = 3  #: a bug in the grader


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _cmd_stubs(args: argparse.Namespace) -> ExitCode:
    from . import stubs

    root = Path(args.root) if args.root else project_root()
    reference, student = root / "reference", root / "student"
    if not reference.is_dir():
        raise UsageError(f"{reference}: no reference/ tree here (use --root)")
    if args.check:
        try:
            problems = stubs.check_student_tree(reference, student) + stubs.check_editable_module(root)
        except stubs.StubError as exc:
            raise UsageError(f"reference/{exc}") from exc
        for line in problems:
            print(f"student/ is stale: {line}")
        if problems:
            print("run `python -m grader stubs` to regenerate student/ from reference/")
            return ExitCode.FAILED
        print("student/ matches reference/")
        return ExitCode.OK
    try:
        editable = stubs.write_student_tree(reference, student)
        stubs.write_editable_module(root)
    except stubs.StubError as exc:
        raise UsageError(f"reference/{exc}") from exc
    print(f"wrote {student} ({len(editable)} student-editable files: {', '.join(map(str, editable))})")
    return ExitCode.OK


def _load_rubric(args: argparse.Namespace):
    from . import rubric

    try:
        return rubric.load(args.rubric) if args.rubric else rubric.load()
    except rubric.RubricError as exc:
        raise UsageError(str(exc)) from exc


def _cmd_check(args: argparse.Namespace) -> ExitCode:
    from . import check
    from .preflight import implementation_folder
    from .render import jsonout, terminal

    rub = _load_rubric(args)
    folder = implementation_folder(args.implementation)
    if folder is None:
        raise UsageError(
            f"--implementation {args.implementation}: no such package in {project_root()} or on the Python path"
        )
    print(f"testing {folder}", file=sys.stderr if args.json else sys.stdout)
    names = list(args.questions)
    checks = [n for n in names if n not in rub.question_ids]
    known = {spec.id for q in rub.questions for spec in q.checks}
    try:
        if (
            checks and len(checks) == len(names) and all(c in known for c in checks)
        ):  # `check affine_backward`: those checks only
            results = check.run_ids(checks, implementation=args.implementation, rubric=rub)
        else:
            results = check.run(names, implementation=args.implementation, rubric=rub)
    except (check.SelectionError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from exc
    print(jsonout.render(results) if args.json else terminal.render(results))
    from .optional import failed

    return ExitCode.FAILED if failed(results) else ExitCode.OK


def _cmd_collect(args: argparse.Namespace) -> ExitCode:
    from . import collect, rubric

    root = Path(args.root).resolve() if args.root else project_root()
    print(f"testing {root / 'student'}")
    try:
        rub = rubric.load(args.rubric) if args.rubric else None
        result = collect.collect(
            root,
            Path(args.out) if args.out else None,
            rubric=rub,
            check_notebooks=not args.skip_notebooks,
            pdf=args.pdf,
        )
    except collect.CollectRefused as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        print(
            f"collect: nothing written ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''})",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    except rubric.RubricError as exc:
        raise UsageError(str(exc)) from exc
    print("\n".join(collect.summary_lines(result)))
    return ExitCode.OK


def _cmd_fixtures(args: argparse.Namespace) -> ExitCode:
    from . import fixtures

    if args.check:
        problems = fixtures.stale()
        for line in problems:
            print(f"fixtures are stale: {line}")
        if problems:
            print("run `python -m grader fixtures` to regenerate grader/fixtures/public.npz")
            return ExitCode.FAILED
        print("grader/fixtures/public.npz is current")
        return ExitCode.OK
    built = fixtures.build()
    fixtures.save(built)
    print(f"wrote {fixtures.PUBLIC_PATH} ({len(built)} checks)")
    return ExitCode.OK


def _cmd_data(args: argparse.Namespace) -> ExitCode:
    from . import datasets

    try:
        if args.dataset == "cifar10":
            kwargs = {"dest": args.dest, "force": args.force}
            if args.url:
                kwargs["url"] = args.url
            if args.md5:
                kwargs["md5"] = None if args.md5 == "none" else args.md5
            path = datasets.fetch_cifar10(**kwargs)
        else:
            if not args.dest:
                raise UsageError("data synthetic: --dest DIR is required")
            path = datasets.write_synthetic(args.dest, seed=args.seed, force=args.force)
    except datasets.DatasetError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{args.dataset}: ready at {path}")
    return ExitCode.OK


def _grade_rubric(args: argparse.Namespace):
    """The rubric, with ``--edition`` and ``--numpy-compat`` applied."""
    rub = _load_rubric(args)
    if args.edition is None and args.numpy_compat is None:
        return rub
    import dataclasses

    from . import editions

    try:
        edition = editions.lookup(args.edition).name if args.edition is not None else rub.edition
    except editions.EditionError as exc:
        raise UsageError(f"--edition: {exc}") from exc
    compat = args.numpy_compat if args.numpy_compat is not None else rub.numpy_compat
    return dataclasses.replace(rub, edition=edition, numpy_compat=compat)


def _submitted_at(args: argparse.Namespace, rub) -> dict | None:
    """``--submitted-at FILE``: submission id -> aware datetime, for the rubric's late policy."""
    if not args.submitted_at:
        return None
    from . import late

    try:
        return late.read_submitted_at(Path(args.submitted_at), rub.late)
    except late.LateError as exc:
        raise UsageError(str(exc)) from exc


class _GradeProgress(ProgressBar):
    """The bar, and a line per submission: graded / unchanged / regraded because X, then the status."""

    def done(self, row) -> None:
        done = "error" if row.status == "error" else (row.why or row.status)
        if row.status == "partial":
            done += ", partial"
        tail = f" ({row.message})" if row.message else ""
        self.echo(f"{row.submission}: {done}, {row.total:g}/{row.max_total:g}{tail}")
        super().done(row)


def _cmd_grade(args: argparse.Namespace) -> ExitCode:
    from . import gradebook, grading

    rub = _grade_rubric(args)
    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a folder")
    try:
        secret = grading.resolve_secret(args.seed)
    except (OSError, ValueError) as exc:
        raise UsageError(f"secret: {exc}") from exc
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1")
    submitted_at = _submitted_at(args, rub)
    try:
        rows = grading.grade(
            [Path(s) for s in args.submissions],
            out,
            rubric=rub,
            seed=secret,
            force=args.force,
            workers=args.workers,
            scheduler=args.scheduler,
            execute_notebooks=args.execute_notebooks,
            reporter=_GradeProgress(sys.stderr),
            submitted_at=submitted_at,
            pdf=args.pdf,
        )
    except (grading.SchedulerError, grading.ReferenceUnavailable) as exc:
        raise UsageError(str(exc)) from exc
    counts = {s: sum(1 for r in rows if r.status == s) for s in gradebook.STATUSES}
    print(
        f"wrote {out / grading.GRADEBOOK} and {out / grading.SUMMARY}: "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
    )
    # CONTRACT §4: 1 only when some submission could not be graded (`error`); `partial` rows were graded
    # (a check that timed out or crashed scores zero, like a wrong answer) and do not break a chain
    return ExitCode.OK if rows and all(r.status != "error" for r in rows) else ExitCode.FAILED


def _cmd_release(args: argparse.Namespace) -> ExitCode:
    from . import release

    root = Path(args.root).resolve() if args.root else project_root()
    try:
        done = release.release(Path(args.out), root=root, force=args.force)
    except release.ReleaseError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote the handout to {done.out} ({len(done.files)} files, {done.total_bytes / 1024:.0f} KiB)")
    return ExitCode.OK


def _cmd_export(args: argparse.Namespace) -> ExitCode:
    if args.target == "gradescope":
        from . import rubric as rubric_mod
        from .export import gradescope
        from .grading import resolve_secret

        try:
            secret = resolve_secret(args.seed)
            path = gradescope.build(
                Path(args.out), rubric_path=Path(args.rubric) if args.rubric else None, secret=secret
            )
        except (OSError, ValueError) as exc:  # RubricError and ExportError are ValueErrors
            raise UsageError(
                str(exc) if isinstance(exc, (rubric_mod.RubricError, gradescope.ExportError)) else f"export: {exc}"
            ) from exc
        print(f"wrote {path}: upload it as the assignment's autograder (Configure Autograder, zip file upload)")
        return ExitCode.OK
    from .export import lms

    if not args.graded or not args.roster:
        raise UsageError(f"export {args.target}: --graded DIR and --roster FILE are required")
    rub = _load_rubric(args)
    try:
        matched = lms.export(
            args.target, Path(args.graded), Path(args.roster), Path(args.out), assignment=rub.assignment
        )
    except lms.ExportError as exc:
        raise UsageError(str(exc)) from exc
    done = sum(1 for _, g in matched.pairs if g is not None)
    print(f"wrote {args.out} ({args.target}): {done} of {len(matched.pairs)} students with a grade")
    for g in matched.unmatched:
        print(f"unmatched submission: {g.submission}", file=sys.stderr)
    for s in matched.missing:
        print(f"no submission for student: {s.id} {s.name}", file=sys.stderr)
    return ExitCode.OK


def _cmd_similarity(args: argparse.Namespace) -> ExitCode:
    from . import similarity

    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    try:
        pairs = similarity.run([Path(s) for s in args.submissions], Path(args.out), threshold=args.threshold)
    except similarity.SimilarityError as exc:
        raise UsageError(str(exc)) from exc
    top = f"; top pair {pairs[0].a} / {pairs[0].b} at {pairs[0].similarity:.0%}" if pairs else ""
    print(f"wrote {Path(args.out) / 'similarity.csv'} and similarity.html ({len(pairs)} pairs{top})")
    return ExitCode.OK


def _prog() -> str:
    """How the user called us: ``a2grader`` (the console script) or ``python -m grader``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "a2grader" if name == "a2grader" else "python -m grader"


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="Checks, packaging and grading for the Assignment 2 kit.",
    )
    parser.add_argument("--version", action="version", version=f"a2kit {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    p = sub.add_parser("check", help="run the public checks of the named questions (students)")
    p.add_argument("questions", nargs="*", metavar="QUESTION", help="question ids (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument(
        "--implementation",
        default="student",
        help="package to check (default: student; `reference` for instructors)",
    )
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("collect", help="verify the notebooks, run every check, write the submission zip and report")
    p.add_argument("--root", help="project root holding student/ and notebooks/ (default: this project)")
    p.add_argument("--out", help="folder for a2_code_submission.zip and a2_report.html (default: the root)")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml of the root)")
    p.add_argument(
        "--skip-notebooks", action="store_true", help="do not refuse on notebook problems (they become warnings)"
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write the executed notebooks as a2_inline_submission.pdf (needs Chromium)",
    )
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser("fixtures", help="regenerate the public fixtures from reference/ (maintainers)")
    p.add_argument("--check", action="store_true", help="fail (exit 1) if the committed fixtures are stale")
    p.set_defaults(func=_cmd_fixtures)

    p = sub.add_parser("stubs", help="regenerate student/ from reference/ (maintainers)")
    p.add_argument("--check", action="store_true", help="fail (exit 1) if student/ differs from a fresh generation")
    p.add_argument("--root", help="project root holding reference/ and student/")
    p.set_defaults(func=_cmd_stubs)

    p = sub.add_parser("grade", help="grade submissions (zips or folders) with hidden inputs (instructors)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="zip or folder; a folder of them grades each")
    p.add_argument("--out", required=True, help="output folder: gradebook.csv and <id>/results.json, report.html")
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument(
        "--seed", help="secret of the hidden inputs (default: $A2KIT_SECRET, else .a2kit-secret in the project root)"
    )
    p.add_argument("--force", action="store_true", help="regrade submissions that already have a results.json")
    p.add_argument("--workers", type=int, help="submissions graded at once (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on this Dask distributed scheduler (tcp://host:port)")
    p.add_argument(
        "--execute-notebooks",
        action="store_true",
        help="also execute each submission's notebooks in the sandbox (report only)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write DIR/<id>/a2_inline_submission.pdf of the notebooks (needs Chromium)",
    )
    p.add_argument(
        "--edition",
        metavar="YEAR",
        help="grade cs231n-layout work as this edition (2017, 2018-2019, 2020, 2021-2024, 2025 or a year; "
        "default: detected from the code)",
    )
    p.add_argument(
        "--numpy-compat",
        action="store_true",
        default=None,
        help="restore NumPy's removed aliases (np.int, np.float, ...) in the sandbox "
        "(default: for editions before 2021)",
    )
    p.add_argument(
        "--submitted-at",
        metavar="FILE.csv",
        help="submission times (columns submission,submitted_at) for the rubric's late policy",
    )
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "export", help="a Gradescope autograder bundle, or grades for Canvas, Moodle or a CSV (instructors)"
    )
    p.add_argument("target", choices=["gradescope", "canvas", "moodle", "csv"])
    p.add_argument(
        "--out", required=True, help="gradescope: folder for autograder.zip; otherwise the CSV file to write"
    )
    p.add_argument("--rubric", help="rubric file (default: rubric.yaml)")
    p.add_argument("--seed", help="gradescope: secret of the hidden inputs (default: as for grade)")
    p.add_argument("--graded", metavar="DIR", help="canvas/moodle/csv: the folder grade wrote (its gradebook.csv)")
    p.add_argument("--roster", metavar="FILE", help="canvas/moodle/csv: roster CSV (student_id, name, email)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("similarity", help="pairs of submissions whose student-written code is alike (instructors)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="zip or folder; a folder of them compares each")
    p.add_argument("--out", required=True, help="folder for similarity.csv and similarity.html")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="pairs at or above this similarity are shown side by side (default 0.5)",
    )
    p.set_defaults(func=_cmd_similarity)

    p = sub.add_parser("release", help="write the student handout (instructors): no reference/, no hidden data")
    p.add_argument("--out", required=True, help="folder for the handout: outside the project, absent or empty")
    p.add_argument("--root", help="project root holding reference/ and student/ (default: this project)")
    p.add_argument("--force", action="store_true", help="replace the content of a non-empty --out")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("data", help="download CIFAR-10 or write the synthetic set")
    p.add_argument("dataset", choices=["cifar10", "synthetic"])
    p.add_argument("--dest", help="target folder (default: the cache folder data_utils reads)")
    p.add_argument("--url", help="download from this URL or local archive instead (cifar10)")
    p.add_argument("--md5", help="expected MD5 of the archive at --url ('none' skips the check)")
    p.add_argument("--force", action="store_true", help="download again even if present; overwrite (synthetic)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic set (synthetic)")
    p.set_defaults(func=_cmd_data)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as the CLI prints it: ``warning: ...`` on one line, no source file or line of the grader."""
    text = " ".join(str(message).split())
    with contextlib.suppress(OSError):  # stderr closed: nothing to say it on
        print(f"warning: {text}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import warnings

    previous, warnings.showwarning = warnings.showwarning, _one_line_warning
    try:
        return _main(argv)
    finally:
        warnings.showwarning = previous


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own one-line usage error
        return ExitCode.OK if exc.code == 0 else ExitCode.USAGE
    try:
        from .handout import refusal

        refused = None if getattr(args, "root", None) else refusal(args.verb, project_root())
        if refused:
            raise UsageError(refused)
        if args.verb in ("check", "collect") and not getattr(args, "root", None):
            from .preflight import mismatch

            wrong = mismatch()
            if wrong:
                raise UsageError(wrong)
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:  # e.g. `python -m grader check | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.FAILED
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        import traceback

        traceback.print_exc()
        print(f"internal error: {exc.__class__.__name__}: {exc} (please report this)", file=sys.stderr)
        return ExitCode.INTERNAL
