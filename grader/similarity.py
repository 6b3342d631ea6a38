"""``python -m grader similarity SUBMISSION... --out DIR``: pairs of submissions whose own code is alike.

What is compared: each submission's student-editable files (the files of
``reference/`` that hold solution regions: ``layers.py``, ``classifiers/fc_net.py``
...), in our layout or the cs231n one, joined in a fixed order. The handout's
starter code (the same files of ``student/``) is boilerplate: its fingerprints are
discarded, so two untouched handouts share nothing.

The fingerprinting is copydetect's (PyPI ``copydetect``: pygments tokens with
names, strings and comments normalised, k-grams, winnowing), so renamed
variables, changed comments and reordered functions do not hide a copy.
A pair's ``similarity`` is the larger of the two shares of fingerprinted tokens
that the other submission also holds.

Writes ``DIR/similarity.csv`` (``submission_a``, ``submission_b``, ``similarity``,
``share_a``, ``share_b``, ``tokens``; highest first) and ``DIR/similarity.html``
(self-contained; the pairs above ``--threshold`` side by side, the matched code
marked; everything escaped). It flags; it never reads or changes a score.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import itertools
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

#: copydetect's defaults: matches shorter than NOISE tokens are ignored, of GUARANTEE tokens always found.
NOISE, GUARANTEE = 25, 30
HTML_PAIRS = 30  #: pairs shown side by side in similarity.html at most


class SimilarityError(ValueError):
    """Bad input (one line)."""


@dataclasses.dataclass
class Pair:
    a: str
    b: str
    share_a: float
    share_b: float
    tokens: int
    slices_a: list[tuple[int, int]]
    slices_b: list[tuple[int, int]]

    @property
    def similarity(self) -> float:
        return max(self.share_a, self.share_b)


def _copydetect():
    try:
        import copydetect
    except ImportError:
        raise SimilarityError(
            "similarity needs copydetect: pip install 'a2kit[similarity]' (or pip install copydetect)"
        ) from None
    return copydetect


def student_code(submission: Path, editable: Sequence[Path], tmp: Path) -> str:
    """The submission's editable files, each under a ``# file: NAME`` line, in ``editable`` order."""
    from . import layout as layout_mod
    from . import unpack as unpack_mod

    dest = unpack_mod.unpack(submission, tmp / "unpacked")
    layout = layout_mod.detect_layout(dest, submission)
    parts = []
    for rel in editable:
        f = layout.package_dir / rel
        if f.is_file() and not f.is_symlink():
            parts.append(f"# file: {rel.as_posix()}\n" + f.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def _fingerprint(cd, name: str, text: str, boilerplate=None):
    return cd.CodeFingerprint(
        name + ".py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, language="python", fp=io.StringIO(text)
    )


def compare(codes: dict[str, str], starter: str) -> list[Pair]:
    """Every pair of ``codes`` (submission id -> code), highest similarity first."""
    cd = _copydetect()
    boiler = _fingerprint(cd, "starter", starter).hashes if starter else None
    boiler = list(boiler) if boiler else []
    fps = {sid: _fingerprint(cd, sid, text, boilerplate=boiler) for sid, text in codes.items()}
    pairs = []
    for a, b in itertools.combinations(sorted(fps), 2):
        fa, fb = fps[a], fps[b]
        if not fa.hashes or not fb.hashes:
            pairs.append(Pair(a, b, 0.0, 0.0, 0, [], []))
            continue
        tokens, (sa, sb), (xa, xb) = cd.compare_files(fa, fb)
        pairs.append(
            Pair(
                a,
                b,
                float(sa),
                float(sb),
                int(tokens),
                [(int(s), int(e)) for s, e in zip(*xa, strict=True)] if len(xa) else [],
                [(int(s), int(e)) for s, e in zip(*xb, strict=True)] if len(xb) else [],
            )
        )
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs


def csv_text(pairs: Sequence[Pair]) -> str:
    from .export.lms import neutralise

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission_a", "submission_b", "similarity", "share_a", "share_b", "tokens"])
    for p in pairs:
        w.writerow(
            [neutralise(p.a), neutralise(p.b), f"{p.similarity:.3f}", f"{p.share_a:.3f}", f"{p.share_b:.3f}", p.tokens]
        )
    return buf.getvalue()


def _marked(text: str, slices: Sequence[tuple[int, int]]) -> str:
    out, at = [], 0
    for start, end in sorted(slices):
        start = max(start, at)
        if end <= start:
            continue
        out += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


CSS = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}
.pair{display:flex;gap:1em}.pair pre{flex:1;overflow:auto;max-height:40em;background:#f7f7f7;padding:.5em;font-size:12px}
mark{background:#ffd27f}"""  # noqa: E501 - minified CSS


def html_text(pairs: Sequence[Pair], codes: dict[str, str], *, threshold: float) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(p.a)}</td><td>{e(p.b)}</td><td>{p.similarity:.0%}</td><td>{p.tokens}</td></tr>" for p in pairs
    )
    shown = [p for p in pairs if p.similarity >= threshold][:HTML_PAIRS]
    blocks = "".join(
        f"<h2>{e(p.a)} &harr; {e(p.b)}: {p.similarity:.0%}</h2><div class=pair>"
        f"<pre>{_marked(codes[p.a], p.slices_a)}</pre><pre>{_marked(codes[p.b], p.slices_b)}</pre></div>"
        for p in shown
    )
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Similarity</title><style>{CSS}</style></head><body><h1>Similarity of the student-written code</h1>"
        "<p>Flags for a person to read; no score depends on it. Starter code is excluded.</p>"
        f"<table><tr><th>submission</th><th>submission</th><th>similarity</th><th>tokens</th></tr>{rows}</table>"
        f"{blocks or f'<p>No pair reaches {threshold:.0%}.</p>'}</body></html>\n"
    )


def run(submissions: Sequence[Path], out: Path, *, root: Path | None = None, threshold: float = 0.5) -> list[Pair]:
    """Compare the submissions; write ``out/similarity.csv`` and ``out/similarity.html``."""
    from . import unpack as unpack_mod
    from .atomic import atomic_write_text
    from .grading.plan import plan
    from .paths import project_root
    from .zones import editable_paths

    root = Path(root or project_root())
    editable = editable_paths()
    starter = "\n".join(
        f"# file: {rel.as_posix()}\n" + (root / "student" / rel).read_text(encoding="utf-8")
        for rel in editable
        if (root / "student" / rel).is_file()
    )
    codes: dict[str, str] = {}
    skipped = []
    for sub, sid in plan([Path(s) for s in submissions]):
        tmp = Path(tempfile.mkdtemp(prefix="a2kit-sim-"))
        try:
            codes[sid] = student_code(sub, editable, tmp)
        except unpack_mod.SubmissionError as exc:
            skipped.append(f"{sid}: {exc}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(codes) < 2:
        raise SimilarityError(
            f"similarity needs at least two readable submissions, got {len(codes)}"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    pairs = compare(codes, starter)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "similarity.csv", csv_text(pairs))
    atomic_write_text(out / "similarity.html", html_text(pairs, codes, threshold=threshold))
    for line in skipped:
        print(f"skipped: {line}")
    return pairs
