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

from . import i18n
from .cliargs import build_parser
from .i18n import _
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
        raise UsageError(_("{reference}: no reference/ tree here (use --root)").format(reference=reference))
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
            _("--implementation {name}: no such package in {root} or on the Python path").format(
                name=args.implementation, root=project_root()
            )
        )
    print(_("testing {folder}").format(folder=folder), file=sys.stderr if args.json else sys.stdout)
    # the worker imports the package from the folder above it: where it was found (the project, or the
    # Python path), not always the project root, whose absence made every check fail with ModuleNotFoundError
    root = folder
    for _part in args.implementation.split("."):
        root = root.parent
    names = list(args.questions)
    checks = [n for n in names if n not in rub.question_ids]
    known = {spec.id for q in rub.questions for spec in q.checks}
    try:
        if (
            checks and len(checks) == len(names) and all(c in known for c in checks)
        ):  # `check affine_backward`: those checks only
            results = check.run_ids(checks, implementation=args.implementation, rubric=rub, root=root)
        else:
            results = check.run(names, implementation=args.implementation, rubric=rub, root=root)
    except (check.SelectionError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from exc
    print(jsonout.render(results) if args.json else terminal.render(results))
    from .optional import failed

    return ExitCode.FAILED if failed(results) else ExitCode.OK


def _cmd_collect(args: argparse.Namespace) -> ExitCode:
    from . import collect, rubric

    root = Path(args.root).resolve() if args.root else project_root()
    print(_("testing {folder}").format(folder=root / "student"))
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
                raise UsageError(_("data synthetic: --dest DIR is required"))
            path = datasets.write_synthetic(args.dest, seed=args.seed, force=args.force)
    except datasets.DatasetError as exc:
        raise UsageError(str(exc)) from exc
    print(_("{dataset}: ready at {path}").format(dataset=args.dataset, path=path))
    return ExitCode.OK


def _grade_rubric(args: argparse.Namespace):
    """The rubric, with ``--edition`` and ``--numpy-compat`` applied; its ``language:`` chosen unless told."""
    import os

    rub = _load_rubric(args)
    if rub.language and args.lang is None and not os.environ.get(i18n.LANG_ENV):
        i18n.set_language(rub.language)  # the course's language, unless the command line or A2KIT_LANG says
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
        from .gradebook import say_why

        done = say_why("error" if row.status == "error" else (row.why or row.status))
        if row.status == "partial":
            done += ", " + _("partial")
        tail = f" ({row.message})" if row.message else ""
        self.echo(f"{row.submission}: {done}, {row.total:g}/{row.max_total:g}{tail}")
        super().done(row)


def _cmd_grade(args: argparse.Namespace) -> ExitCode:
    from . import gradebook, grading

    rub = _grade_rubric(args)
    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        raise UsageError(_("no such file or folder: {paths}").format(paths=", ".join(missing)))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(_("{out}: not a folder").format(out=out))
    try:
        secret = grading.resolve_secret(args.seed)
    except (OSError, ValueError) as exc:
        raise UsageError(_("secret: {error}").format(error=exc)) from exc
    if args.workers is not None and args.workers < 1:
        raise UsageError(_("--workers {workers}: must be at least 1").format(workers=args.workers))
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
    files = {"gradebook": out / grading.GRADEBOOK, "summary": out / grading.SUMMARY}
    wrote = _("wrote {gradebook} and {summary}").format(**files)
    print(f"{wrote}: " + ", ".join(f"{n} {gradebook.say_why(s)}" for s, n in counts.items()))
    # CONTRACT §4: 1 only when some submission could not be graded (`error`); `partial` rows were graded
    # (a check that timed out or crashed scores zero, like a wrong answer) and do not break a chain
    return ExitCode.OK if rows and all(r.status != "error" for r in rows) else ExitCode.FAILED


def _cmd_release(args: argparse.Namespace) -> ExitCode:
    from . import release

    root = Path(args.root).resolve() if args.root else project_root()
    try:
        done = release.release(
            Path(args.out), root=root, force=args.force, rubric=Path(args.rubric) if args.rubric else None
        )
    except release.ReleaseError as exc:
        raise UsageError(str(exc)) from exc
    print(_("wrote the handout to {out} ({files} files, {kib} KiB)").format(
        out=done.out, files=len(done.files), kib=f"{done.total_bytes / 1024:.0f}"
    ))
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
        upload = _("wrote {path}: upload it as the assignment's autograder (Configure Autograder, zip file upload)")
        print(upload.format(path=path))
        return ExitCode.OK
    from .export import lms

    if not args.graded or not args.roster:
        raise UsageError(_("export {target}: --graded DIR and --roster FILE are required").format(target=args.target))
    rub = _load_rubric(args)
    try:
        matched = lms.export(
            args.target, Path(args.graded), Path(args.roster), Path(args.out), assignment=rub.assignment
        )
    except lms.ExportError as exc:
        raise UsageError(str(exc)) from exc
    done = sum(1 for _, g in matched.pairs if g is not None)
    print(_("wrote {out} ({target}): {done} of {total} students with a grade").format(
        out=args.out, target=args.target, done=done, total=len(matched.pairs)
    ))
    for g in matched.unmatched:
        print(_("unmatched submission: {submission}").format(submission=g.submission), file=sys.stderr)
    for s in matched.missing:
        print(_("no submission for student: {id} {name}").format(id=s.id, name=s.name), file=sys.stderr)
    return ExitCode.OK


def _cmd_similarity(args: argparse.Namespace) -> ExitCode:
    from . import similarity

    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        raise UsageError(_("no such file or folder: {paths}").format(paths=", ".join(missing)))
    try:
        pairs = similarity.run([Path(s) for s in args.submissions], Path(args.out), threshold=args.threshold)
    except similarity.SimilarityError as exc:
        raise UsageError(str(exc)) from exc
    top = f"; top pair {pairs[0].a} / {pairs[0].b} at {pairs[0].similarity:.0%}" if pairs else ""
    print(f"wrote {Path(args.out) / 'similarity.csv'} and similarity.html ({len(pairs)} pairs{top})")
    return ExitCode.OK


#: verb -> the function that carries it out (the parser, ``grader.cliargs``, holds no logic)
COMMANDS = {
    "check": _cmd_check,
    "collect": _cmd_collect,
    "fixtures": _cmd_fixtures,
    "stubs": _cmd_stubs,
    "grade": _cmd_grade,
    "export": _cmd_export,
    "similarity": _cmd_similarity,
    "release": _cmd_release,
    "data": _cmd_data,
}


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
        try:
            i18n.set_language(args.lang)
        except i18n.LanguageError as exc:
            raise UsageError(str(exc)) from exc
        from .handout import refusal

        refused = None if getattr(args, "root", None) else refusal(args.verb, project_root())
        if refused:
            raise UsageError(refused)
        if args.verb in ("check", "collect") and not getattr(args, "root", None):
            from .preflight import mismatch

            wrong = mismatch()
            if wrong:
                raise UsageError(wrong)
        return int(COMMANDS[args.verb](args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:  # e.g. `python -m grader check | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return ExitCode.FAILED
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        import traceback

        traceback.print_exc()
        print(_("internal error: {error} (please report this)").format(error=f"{exc.__class__.__name__}: {exc}"),
              file=sys.stderr)
        return ExitCode.INTERNAL
