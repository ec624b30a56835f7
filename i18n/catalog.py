"""The message catalog: every fixed word the bot says, looked up in the reader's language through gettext.

The catalogs are the ``.po`` files under ``i18n/locale`` (the repository's only copy): each is compiled in memory
the first time its language is asked for, so an install from a clean clone needs no build step and there is no
``.mo`` to forget to rebuild. English is the source language: its text is the msgid itself.

Handlers speak the language of the update they answer, held in a context variable (:func:`use`, set by
``handlers.language`` before any other handler runs): ``_("text")``. Code that renders for a chat it knows (the
alert path) passes the language in instead: ``gettext_in(language, "text")``. Text marked with :func:`N_` is
extracted but translated later, when it is shown.
"""

from __future__ import annotations

import functools
import gettext
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from i18n.languages import DEFAULT, NAMES

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "newsalert"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"

_current: ContextVar[str] = ContextVar("newsalert_language", default=DEFAULT)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language``; English (and anything unknown) is the source text itself.

    Fuzzy and empty entries are left out by ``write_mo``, so an unfinished translation shows English, never a blank.
    """
    if language == DEFAULT or language not in NAMES:
        return gettext.NullTranslations()
    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def use(language: str) -> None:
    """Speak ``language`` for the rest of this update (the current context: task, or copied into a thread)."""
    _current.set(language if language in NAMES else DEFAULT)


def current() -> str:
    return _current.get()


def _(message: str) -> str:
    """``message`` in the current update's language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or (one of the) plural forms for ``n`` in the current language; format ``n`` in yourself."""
    return translations(_current.get()).ngettext(singular, plural, n)


def gettext_in(language: str, message: str) -> str:
    """``message`` in ``language``: for text rendered for a known chat outside any update (alerts, digests)."""
    return translations(language).gettext(message)


def ngettext_in(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (module constants, translated when shown)."""
    return message
