"""What the student handout says and refuses: its README, and the instructor verbs.

``release`` writes ``student_readme()`` as the handout's ``README.md`` (never the
project's own, which is about grading, secrets and mutants): ``STUDENT_README``
in English, or ``grader/locale/<lang>/README.md`` for another language (a
translator's file), with the rubric's questions, titles and points filled in.
A track of its own (``release --rubric rubrics/tp2.yaml``) has its own README,
``TRACK_READMES[name]`` and ``grader/locale/<lang>/README-<name>.md``, where
``name`` is the rubric file's stem. Its Quick start
works inside the handout: ``pip install -e .`` then ``python -m grader check``
on the untouched stubs scores zero with every check ``not implemented`` (no
``ERROR`` row). In a project without ``reference/`` (the handout), the
instructor verbs are refused in one line (``refusal``).
"""
from __future__ import annotations

from pathlib import Path

#: Verbs that need ``reference/`` (hidden inputs, expected values, stubs) or are the instructor's.
INSTRUCTOR_VERBS = ("grade", "release", "stubs", "fixtures", "export", "similarity")


def refusal(verb: str, root: Path) -> str | None:
    """One line when ``verb`` is an instructor's and ``root`` is a student handout (no ``reference/``)."""
    if verb in INSTRUCTOR_VERBS and not (Path(root) / "reference").is_dir():
        return (
            f"`{verb}` is for instructors and needs reference/, which the student handout {root} does not have; "
            "students use `check` and `collect`"
        )
    return None


STUDENT_README = """\
# Assignment 2: fully-connected and convolutional networks

Your work goes in `student/` (the files with `raise NotImplementedError` stubs) and in the
notebooks of `notebooks/`. The `grader` package runs public checks on your code and packs your
submission.

## The questions

{questions}

## Quick start

Set up (Python 3.10 or newer; a virtual environment is recommended), from this folder:

    python -m venv .venv && . .venv/bin/activate
    pip install -e .

Then run the checks; on the untouched handout every check says `not implemented` and the score is 0:

    python -m grader check

Q5 (PyTorch, extra credit) needs `pip install -e ".[torch]"`; without it Q5 is reported once as
skipped, which is not a failure.

## Checking your work

    python -m grader check q1                 # one question (q1 ... q5)
    python -m grader check affine_backward    # one check, by id
    python -m grader check --json             # for scripts

The first line says which folder is under test (`testing /path/to/this/folder/student`): it must be this folder's
`student/`. Run the command from inside this folder. The exit code is 0 when every check passed,
1 when some check failed.

Each question prints a table: the check, its status, the measured error, the tolerance and the
points. The statuses:

| status | meaning |
| --- | --- |
| `pass` | within the tolerance: full points |
| `FAIL` | your code ran but its result is wrong |
| `not implemented` | the stub still raises `NotImplementedError` |
| `ERROR` | your code raised an exception (the line says which, and where) |
| `TIMEOUT` | your code ran longer than the check allows (an endless loop, or far too slow) |

## Reading a diagnosis

Below a row that did not pass comes one line: what went wrong and where, for example

    likely: the bias gradient is averaged over the batch instead of summed [at student/layers.py:42 (affine_backward)]

`likely: ...` names a common mistake whose results match yours; the part in brackets is the file
and line of the function under test (or of the exception). `relative error` is the largest
relative difference between your result and the expected one; the check passes when it is at most
the tolerance.

## Submitting

When the work is done, save every notebook after running it top to bottom, then run

    python -m grader collect

It runs every check, verifies that each notebook was executed with its outputs and answers, and
writes `a2_code_submission.zip` (what you submit) and `a2_report.html` (your own copy of the
results). If something is missing it writes nothing and says, one line per problem, what to fix.
`--out DIR` writes both files into `DIR` instead.
"""


def student_readme(rubric, lang: str | None = None, track: str | None = None) -> str:
    """The handout's README in ``lang`` (default: the current language), listing ``rubric``'s questions.

    ``track``: a key of ``TRACK_READMES`` (the rubric file's stem), for a track with a README of its own.
    """
    from . import i18n

    lang = lang or i18n.language()
    track = track if track in TRACK_READMES else None
    path = i18n.LOCALE_DIR / lang / (f"README-{track}.md" if track else "README.md")
    english = TRACK_READMES[track] if track else STUDENT_README
    text = path.read_text(encoding="utf-8") if lang != i18n.DEFAULT and path.is_file() else english
    tr = i18n.translations(lang if lang in i18n.languages() else i18n.DEFAULT)  # this language, not the process's
    lines = []
    for q in rubric.questions:
        points = tr.ngettext("{n} point", "{n} points", 1 if q.points == 1 else 2).format(n=f"{q.points:g}")
        extra = tr.gettext(", extra credit") if q.extra_credit else ""
        lines.append(f"- {q.id.upper()}: {tr.gettext(q.title)} ({points}{extra})")
    return text.replace("{questions}", "\n".join(lines))


STUDENT_README_TP2 = """\
# Lab 2 (TP2): introduction to neural networks

Your work goes in `student/` (the files with `raise NotImplementedError` stubs): the activations
and the MSE in `student/layers.py`, exercises 3 and 4 without objects in `student/tp2_ex3.py`, and
the exercise-6 library in `student/network/` (`layers`, `activations`, `losses`, `metrics`,
`optimizers`, `regularizers`, `models`, with the classes the lab statement names). The notebooks in
`notebooks/tp2/` follow the lab's numbering: `ComputationalGraphs.ipynb` (exercises 1 and 2),
`TwoLayerCIFAR.ipynb` (3, 4, 5 and 8) and `XOR.ipynb` (6 and 7). They are in Spanish, the lab's
language, with English beside; each written question has its answer cell.

## The questions

{questions}

## Quick start

Set up (Python 3.10 or newer; a virtual environment is recommended), from this folder:

    python -m venv .venv && . .venv/bin/activate
    pip install -e .

Then run TP2's checks; on the untouched handout every check says `not implemented` and the score is 0:

    python -m grader check --rubric rubrics/tp2.yaml

## Checking your work

    python -m grader check --rubric rubrics/tp2.yaml tp2_ex3          # one question
    python -m grader check --rubric rubrics/tp2.yaml tp2_xor_a        # one check, by id
    python -m grader check --rubric rubrics/tp2.yaml --json           # for scripts

The first line says which folder is under test: it must be this folder's `student/`. The exit code
is 0 when every check passed, 1 when some check failed. Each question prints a table: the check,
its status (`pass`, `FAIL`, `not implemented`, `ERROR`, `TIMEOUT`), the measured error, the
tolerance and the points. Below a row that did not pass comes one line saying what went wrong and
at which file and line. `--lang es` prints it all in Spanish.

The course's conventions, which the checks accept:

- the MSE is the mean over the examples of the sum over the outputs; its gradient may be the
  course's `2 (S - Y)` (that of the sum over the batch, as in exercise 3's solution) or the exact
  gradient of the mean, `2 (S - Y) / N`; the same for the categorical cross-entropy
  (`softmax(S) - Y`, or divided by `N`). Each is compared with its own expected values;
- the bias is the first row of W in exercises 3 and 4 (`W1` of shape `(3072 + 1, 100)`);
- ELU is `x` for `x >= 0` (derivative 1 at 0); Leaky ReLU is `max(0.1 x, x)`;
- the XOR target is `x1 * x2` (-1 when the inputs differ, 1 when they are equal) and the parity
  target the product of the N inputs; architecture (b) has one hidden unit, whose output the
  output unit sees beside the two inputs.

## Submitting

When the work is done, save every notebook after running it top to bottom with every answer cell
filled in, then run

    python -m grader collect --rubric rubrics/tp2.yaml

It runs every check, verifies that each notebook was executed with its outputs and answers, and
writes the zip you submit and an HTML report (your own copy of the results). If something is
missing it writes nothing and says, one line per problem, what to fix. `--out DIR` writes both
files into `DIR` instead.
"""

#: The README of a track with a rubric of its own, by the rubric file's stem (English; other languages in
#: grader/locale/<lang>/README-<stem>.md).
TRACK_READMES = {"tp2": STUDENT_README_TP2}
