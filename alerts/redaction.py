"""Keep the bot token out of every log line and error text.

The token is in every Bot API URL, and httpx logs request URLs at INFO; Telegram echoes it in some error
descriptions, which PTB then ``capitalize()``s. So redaction matches in any letter case, and is installed as a log
record factory that covers every logger, whenever it was configured.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "<redacted-token>"


def redact(text: str, token: str | None) -> str:
    """``text`` with the bot token (and its secret half alone) replaced, in any letter case: PTB runs
    ``capitalize()`` on Telegram's error descriptions, so a token echoed in one comes back lower-cased."""
    if not token or not text:
        return text
    text = re.sub(re.escape(token), REDACTED, text, flags=re.IGNORECASE)
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text


_installed_tokens: set[str] = set()


def install_token_redaction(token: str | None) -> None:
    """Make every log record from now on free of ``token``: call once at start-up, right after the token is read.

    It wraps the log record factory, so it covers every logger and handler (httpx's INFO "HTTP Request: POST
    https://api.telegram.org/bot<token>/sendMessage" included), whenever they were configured; exception
    tracebacks attached to records are formatted and redacted too. Also quiets httpx to WARNING.
    """
    if not token or token in _installed_tokens:
        return
    _installed_tokens.add(token)
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when the record is emitted
            return record
        cleaned = redact(message, token)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[0] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted, token)
            if record.exc_text != formatted:
                record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
    logging.getLogger("httpx").setLevel(logging.WARNING)
