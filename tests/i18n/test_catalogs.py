"""Every catalog has every message, and every translation is one Telegram can show.

The template (``i18n/locale/newsalert.pot``) lists the messages the code marks; each language's ``.po`` must have
each of them translated (no empty or fuzzy entry: those would fall back to English in the middle of a reply), with
the same ``{placeholders}`` as the English, and as valid Telegram HTML (only the tags Telegram knows, balanced)
within Telegram's limits. Placeholders are filled with a sample value before parsing, as the code fills them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from i18n.languages import DEFAULT, NAMES
from tests.support.telegram_html import parse_html, visible_length

LOCALE = Path(__file__).resolve().parents[2] / "i18n" / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)(?:[:!][^}]*)?\}")
MAX_MESSAGE = 4096
TRANSLATED = sorted(code for code in NAMES if code != DEFAULT)


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def _english(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


def _filled(text: str) -> str:
    """The text with each placeholder replaced by a plain sample (as ``str.format`` would put a number or a
    name there), so what remains is the markup the translator wrote."""
    return PLACEHOLDER.sub("7", text.replace("{{", "(").replace("}}", ")"))


TEMPLATE = _catalog(LOCALE / "newsalert.pot")


def test_the_template_has_messages() -> None:
    assert len(_ids(TEMPLATE)) > 100


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(LOCALE / language / "LC_MESSAGES" / "newsalert.po")
    missing = _ids(TEMPLATE) - _ids(catalog)
    assert not missing, f"{language}: {len(missing)} messages missing, e.g. {sorted(missing)[:3]}"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        assert all(form.strip() for form in _forms(message)), f"{language}: empty {message.id!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_are_valid_telegram_html(language: str) -> None:
    catalog = _catalog(LOCALE / language / "LC_MESSAGES" / "newsalert.po")
    for message in catalog:
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(_english(message)[0]))
        for form in _forms(message):
            assert set(PLACEHOLDER.findall(form)) == wanted, f"{language}: placeholders of {message.id!r}"
            parsed = parse_html(_filled(form))  # raises on a tag Telegram does not know, or unbalanced
            assert visible_length(parsed.text) <= MAX_MESSAGE


def test_the_template_is_what_the_code_marks(tmp_path: Path) -> None:
    """A message changed in the code but not in the catalogs would show in English in every language."""
    root = LOCALE.parents[1]
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg"]
        + ["-k", "gettext_in:2", "-k", "ngettext_in:2,3", "--no-location", "--omit-header"]
        + ["-o", str(fresh), "alerts", "bot", "handlers", "i18n"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    assert _ids(_catalog(fresh)) == _ids(TEMPLATE)
