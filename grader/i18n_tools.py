"""Maintain the catalogues: ``python -m grader.i18n_tools extract|update|check``.

- ``extract``: every message marked with ``_``, ``gettext``, ``ngettext`` or ``N_`` in
  ``grader/`` (Babel's Python extractor), and the question titles of
  ``rubric.yaml`` and ``rubrics/*.yaml``, into ``grader/locale/a2kit.pot``;
- ``update``: merge the template into each language's ``.po`` (new messages
  come in empty, vanished ones are dropped);
- ``check``: every message of the template translated in each ``.po``, none
  empty or fuzzy, the same placeholders (``{name}``, ``%s``) on both sides.
  Exit 1 with one line per problem.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import yaml

from .atomic import atomic_write_text
from .i18n import DEFAULT, DOMAIN, LOCALE_DIR, languages
from .paths import project_root

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
POT = LOCALE_DIR / f"{DOMAIN}.pot"
_TEMPLATE_CALL = re.compile(r"""\{\{ _\((?:"((?:[^"\\]|\\.)*)"|'([^']*)')""")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sdifr]")


def rubric_titles(root: Path | None = None) -> list[tuple[str, str]]:
    """(title, where) of every question of the project's rubrics: shown in reports, translated as messages."""
    root = root or project_root()
    found = []
    for path in [root / "rubric.yaml", *sorted((root / "rubrics").glob("*.yaml"))]:
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for q in (data.get("questions") or {}).values():
            if isinstance(q, dict) and q.get("title"):
                found.append((str(q["title"]), path.relative_to(root).as_posix()))
    return found


def template():
    """The catalogue template (a Babel ``Catalog``) of the code and the rubrics."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(domain=DOMAIN, project="a2kit", charset="utf-8")
    package = Path(__file__).resolve().parent
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)
    ):
        catalog.add(message, None, [(f"grader/{filename}", lineno)], auto_comments=comments, context=context)
    # the Jinja templates' own messages (a call to _ inside a Python string), which Babel's extractor cannot see
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in _TEMPLATE_CALL.finditer(text):
            lineno = text.count("\n", 0, m.start()) + 1
            message = m.group(1) if m.group(1) is not None else m.group(2)
            catalog.add(message, None, [(f"grader/{path.relative_to(package).as_posix()}", lineno)])
    for title, where in rubric_titles():
        catalog.add(title, None, [(where, 0)])
    return catalog


def _write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True, include_lineno=False)
    atomic_write_text(path, buf.getvalue().decode("utf-8"))


def _read(path: Path, lang: str):
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def extract() -> Path:
    POT.parent.mkdir(parents=True, exist_ok=True)
    _write(template(), POT)
    return POT


def update() -> list[Path]:
    pot = template()
    written = []
    for lang in languages():
        if lang == DEFAULT:
            continue
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = _read(path, lang)
        catalog.update(pot, no_fuzzy_matching=True)
        _write(catalog, path)
        written.append(path)
    return written


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def problems() -> list[str]:
    """One line per untranslated, empty, fuzzy or mismatched message, in every language."""
    pot = template()
    out = []
    for lang in languages():
        if lang == DEFAULT:
            continue
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        catalog = _read(path, lang)
        rel = path.relative_to(LOCALE_DIR.parent.parent).as_posix()
        for message in pot:
            if not message.id:
                continue
            got = catalog.get(message.id, context=message.context)
            first = message.id[0] if isinstance(message.id, tuple) else message.id
            if message.context:
                first = f"{message.context}|{first}"
            if got is None or not got.string or (isinstance(got.string, tuple) and not all(got.string)):
                out.append(f"{rel}: untranslated: {first!r}")
                continue
            if got.fuzzy:
                out.append(f"{rel}: fuzzy: {first!r}")
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = got.string if isinstance(got.string, tuple) else (got.string,)
            want = _placeholders(ids[-1])
            for s in strings:
                if _placeholders(s) != want:
                    out.append(f"{rel}: placeholders differ in {first!r}: {want} vs {_placeholders(s)}")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verb = argv[0] if argv else ""
    if verb == "extract":
        print(f"wrote {extract()}")
        return 0
    if verb == "update":
        for path in update():
            print(f"updated {path}")
        return 0
    if verb == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)" if found else "every message is translated")
        return 1 if found else 0
    print("usage: python -m grader.i18n_tools extract|update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
