"""Keeping the bot token out of every log line.

Bot API URLs contain the token, and python-telegram-bot puts it in some error messages ("The token
`…` was rejected"). Rather than trust each library's logging, every log record made in this
process has the secrets replaced before any handler sees it, traceback text included.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

MASK = "[bot token]"
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def protect(secret: str) -> None:
    """From now on, `secret` shows as MASK in every log record of this process."""
    global _installed
    if len(secret) < 8:  # a short "secret" would mask ordinary words in every line
        return
    with _lock:
        # The secret as written and as it appears in a URL, longest first when masking.
        _secrets.update({secret, quote(secret, safe="")})
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            if _secrets:
                _scrub(record)
            return record

        logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    message = record.getMessage()
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
