"""Safe submission ids (grader/ids.py): formula names, forged rows, look-alikes, bidi overrides (issue 11, breach 8)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from grader import grading, ids
from grader import rubric as rubric_mod
from tests.grader.subjects import ROOT, our_layout

HOSTILE_NAMES = [
    '=HYPERLINK("x","ok")',
    "@SUM(A1:A9)",
    "+1+1",
    "-2+3",
    "forged\ncontrol,graded,30,100",
    "con\u200btrol",
    "\u202egnp.exe",
    "tab\tname",
    "\rcarriage",
]


def test_safe_id_is_bounded_printable_nfc():
    for name in HOSTILE_NAMES + ["Jose\u0301", "../../etc/passwd", "x" * 500, "\x00\x01", ".."]:
        sid = ids.safe_id(name)
        assert len(sid) <= ids.MAX_LEN and sid.isprintable() and "\n" not in sid and "/" not in sid
        assert not sid.startswith(".")
        assert not any(ch in sid for ch in "\u200b\u202e\u200e\u2066")
    assert ids.safe_id("Jose\u0301") == "Jos\u00e9"
    assert ids.safe_id("con\u200btrol") == "control"


def test_unique_is_case_insensitive_and_avoids_reserved_names():
    taken: set[str] = set()
    assert [ids.unique(s, taken, ("gradebook.csv",)) for s in ("a", "A", "a", "", "Gradebook.CSV")] == [
        "a",
        "A-2",
        "a-3",
        "submission",
        "Gradebook.CSV-2",
    ]


def test_csv_cells_are_neutralised_as_owasp_says():
    for start in "=+-@\t\r":
        assert ids.cell(start + "1") == "'" + start + "1"
    assert ids.cell("plain") == "plain" and ids.cell("a=b") == "a=b"


def test_a_batch_of_hostile_names_gives_one_safe_row_each(tmp_path):
    full = rubric_mod.load()
    q1 = next(q for q in full.questions if q.id == "q1")
    spec = next(s for s in q1.checks if s.id == "affine_forward")
    rub = dataclasses.replace(
        full, questions=(dataclasses.replace(q1, checks=(spec,), points=spec.points, extra_credit=False),)
    )
    subs = tmp_path / "subs"
    subs.mkdir()
    paths = [our_layout(subs / "control", ROOT / "reference")]
    for k, name in enumerate(HOSTILE_NAMES):
        folder = subs / f"h{k}"
        folder.mkdir()
        paths.append(our_layout(folder / name, ROOT / "reference"))
    out = tmp_path / "out"
    rows = grading.grade(paths, out, rubric=rub, seed="ids-test")
    assert len(rows) == len(paths)
    records = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    header, body = records[0], records[1:]
    assert len(body) == len(paths)  # no row forged by a newline
    sids = [r[0] for r in body]
    assert len({s.casefold() for s in sids}) == len(sids)
    assert sum(s == "control" for s in sids) == 1  # the zero-width look-alike is control-2
    for row in body:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")) and row[0].isprintable(), row
        assert float(row[header.index("total")]) == spec.points  # every copy is the reference: full marks
    originals = set()
    for d in out.iterdir():
        if d.is_dir():
            originals.add(json.loads((d / "results.json").read_text())["a2kit"]["original_name"])
    assert originals == {"control", *HOSTILE_NAMES}
    html = (out / "summary.html").read_text()
    assert "\u202e" not in html and "\u200b" not in html
