"""Messages in the user's language: gettext catalogues in ``grader/locale/<lang>/LC_MESSAGES/a2kit.po``.

``_("...")`` marks and translates a message; ``ngettext`` the ones with a
count. The catalogues are the standard ``.po`` format (Babel extracts them:
``python -m grader.i18n_tools extract``), compiled in memory when first used,
so no build artefact (``.mo``) is kept; a third language is one more ``.po``
file, not a code change.

The language: ``set_language(lang)`` (``--lang es|en`` on every verb), else
``$A2KIT_LANG``, else the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``: ``es_AR.UTF-8`` gives Spanish), else English. Technical names
(functions, arrays, shapes) and numbers (a dot as the decimal separator, so
students can compare them with their code) are never translated; neither are
the machine-read values (check ids, statuses in ``gradebook.csv``,
``results.json``'s ``a2kit`` field).
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from pathlib import Path

DOMAIN = "a2kit"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
LANG_ENV = "A2KIT_LANG"

_current: list[str | None] = [None]  # None: not chosen yet, resolved from the environment on first use


def languages() -> list[str]:
    """The languages the kit speaks: English and every catalogue under ``grader/locale``."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [DEFAULT, *(lang for lang in found if lang != DEFAULT)]


def _normalise(value: str | None) -> str | None:
    """``es_AR.UTF-8`` -> ``es``; None for an empty value, ``C`` or ``POSIX``."""
    if not value:
        return None
    code = value.split(":")[0].split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return None if code in ("", "c", "posix") else code


def from_environment(environ=None) -> str:
    """$A2KIT_LANG, else the first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set, else English.

    A language the kit does not speak falls back to English.
    """
    env = os.environ if environ is None else environ
    for name in (LANG_ENV, "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = _normalise(env.get(name))
        if code:
            return code if code in languages() else DEFAULT
    return DEFAULT


class LanguageError(ValueError):
    """A language the kit has no catalogue for."""


def set_language(lang: str | None) -> str:
    """Use ``lang`` (None: from the environment) from now on in this process; the language chosen."""
    if lang is None:
        chosen = from_environment()
    else:
        chosen = _normalise(lang) or DEFAULT
        if chosen not in languages():
            raise LanguageError(f"--lang {lang}: not one of {', '.join(languages())}")
    _current[0] = chosen
    return chosen


def language() -> str:
    if _current[0] is None:
        _current[0] = from_environment()
    return _current[0]


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang``, compiled in memory from its ``.po`` (English: the messages as written)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, as meant in ``context`` (one English word, two translations)."""
    return translations(language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (a table's labels, translated when shown)."""
    return message

