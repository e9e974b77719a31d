"""Keeping secrets (API keys, tokens, passwords) out of what a user reads and out of every log line.

Libraries quote secrets back: Bot API URLs contain the bot token, python-telegram-bot puts it in some
error messages ("The token `…` was rejected"), a proxy may echo a key in its error page. Rather than
trust each library, a secret is registered once with `protect`; from then on every log record made
in this process has it replaced before any handler sees it, traceback text included, and the front
ends pass what they print through `redact`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

MASK = "***"
# A shorter "secret" would mask ordinary words in every line.
MIN_SECRET_CHARS = 4
# Environment variables whose names contain one of these hold secrets.
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` with every protected secret replaced by MASK."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def protect(secret: str) -> None:
    """From now on, `secret` shows as MASK in every log record of this process and in `redact`."""
    global _installed
    if len(secret) < MIN_SECRET_CHARS:
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


def protect_environment(environ: Mapping[str, str] = os.environ) -> None:
    """Protect the value of every environment variable whose name says it is a secret.

    A number is left alone: NEWSBOT_CHUNK_TOKENS=1000 is a count, and masking it would mask every
    "1000" in the logs.
    """
    for name, value in environ.items():
        if any(word in name.upper() for word in _SECRET_NAMES) and not value.isdigit():
            protect(value)


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
