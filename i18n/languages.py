"""The languages the bot speaks, and how Telegram's ``language_code`` (an IETF tag such as ``pt-br``) maps to one.

Serbian is written in Cyrillic (``sr`` means ``sr-Cyrl``, as in CLDR): ``sr-latn`` still maps to it until a Latin
catalog exists. Anything unknown falls back to English, the source language.
"""

from __future__ import annotations

DEFAULT = "en"

# code -> the language's own name, as shown on the /language buttons
NAMES: dict[str, str] = {
    "en": "English",
    "uk": "Українська",
    "ru": "Русский",
    "sr": "Српски",
    "sq": "Shqip",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
}


def supported(code: str | None) -> str | None:
    """The supported language ``code`` names (case, region and script ignored), or None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in NAMES else None


def from_telegram(code: str | None) -> str:
    """The language for a user's Telegram ``language_code``: its base if supported, else English."""
    return supported(code) or DEFAULT
