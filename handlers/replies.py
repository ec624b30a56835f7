"""How the bot says no: the one style of every refusal in ``handlers/``, and the helpers that keep it.

A refusal answers input the bot cannot act on: a query it cannot read, a missing or wrong argument, a number
that names nothing, a command the sender may not use, a button that no longer works. Every refusal

1. starts with ⚠️, so it never reads like an answer that did something;
2. says what was refused, then why, in plain words: "⚠️ That query is too long: 512 characters, the limit is 200.";
3. ends with what to do instead, usually a command to send: "Try fewer words.", "/list shows them.";
4. shows the user's own text in ``<code>``, never between quotation marks: their text may hold quotes of its own,
   and ``“"tear gas”`` reads as a typo of ours;
5. is one short message (for a button, its popup answer, which is plain text: no HTML there).

Answers that report how things stand ("You already follow …", "Alerts are already paused", "No alerts here
yet") are not refusals and carry no ⚠️. Build refusals with :func:`refusal`; quote the user with :func:`shown`.
"""

from __future__ import annotations

from alerts.messages import escape, truncate
from i18n.catalog import _

MARK = "⚠️"


def shown(text: str, limit: int = 100) -> str:
    """The user's text as it goes into a refusal (HTML): escaped, clipped, in ``<code>``."""
    return f"<code>{escape(truncate(text, limit))}</code>"


def refusal(what: str, why: str = "", hint: str = "") -> str:
    """``⚠️ What: why. Hint.`` Each part is HTML already (quote the user with :func:`shown`, escape errors)."""
    text = f"{MARK} {what}"
    if why:
        text += f": {why}"
    if not text.endswith((".", "?", "!", ":")):
        text += "."
    if hint:
        text += f" {hint}"
    return text


def too_long(length: int, limit: int) -> str:
    """The refusal of a query (or text) over ``limit`` characters."""
    return refusal(
        _("That is too long"),
        _("{length} characters, the limit is {limit}").format(length=length, limit=limit),
        _("Try fewer words."),
    )
