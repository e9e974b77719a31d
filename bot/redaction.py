"""Keeping secrets (API keys, tokens, passwords) out of what a user reads and out of every log line.

Libraries quote secrets back: Bot API URLs contain the bot token, python-telegram-bot puts it in some
error messages ("The token `…` was rejected"), a proxy may echo a key in its error page. Rather than
trust each library, a secret is registered once with `protect`; from then on every log record made
in this process has it replaced before any handler sees it, traceback text included, and the front
ends pass what they print through `redact`.

A secret is found whatever its case (python-telegram-bot upper-cases parts of a URL in some
messages), URL-quoted or not, and cut: a message cut short by a library before it reached us may
end in the first characters of a token, or start with its last ones, so any run of at least
`PARTIAL_CHARS` characters that begins or ends a secret is masked too. Mask first, then cut.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

MASK = "***"
# A shorter "secret" would mask ordinary words in every line.
MIN_SECRET_CHARS = 4
# A secret's first or last characters, this many or more, are masked wherever they stand: what
# is left of a token in a message cut short. Fewer reveal too little to matter.
PARTIAL_CHARS = 8
# Environment variables whose names contain one of these hold secrets.
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` with every protected secret replaced by MASK, whatever its case, and with what is
    left of one cut short (its first or last `PARTIAL_CHARS` characters or more)."""
    spans = [span for secret in tuple(_secrets) for span in _secret_spans(text, secret)]
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    at = 0
    for start, end in spans:
        if end <= at:
            continue
        if start >= at:
            out.append(text[at:start])
            out.append(MASK)
        at = end
    out.append(text[at:])
    return "".join(out)


def cut(text: str, limit: int) -> str:
    """`text` masked, then cut to `limit` characters: the order that never leaks part of a secret."""
    return redact(text)[:limit]


def _secret_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Where `secret`, or a run of its first or last characters, stands in `text`, in any case."""
    n = min(len(secret), PARTIAL_CHARS)
    folded, target = text.casefold(), secret.casefold()
    if len(folded) != len(text) or len(target) != len(secret):
        # Case folding changed a length (ß to ss): compare in lower case, which keeps lengths.
        folded, target = text.lower(), secret.lower()
        if len(folded) != len(text) or len(target) != len(secret):
            return [(m.start(), m.end()) for m in re.finditer(re.escape(secret), text, re.I)]
    spans = []
    head, tail = target[:n], target[-n:]
    i = folded.find(head)
    while i >= 0:
        end, k = i + n, n
        while end < len(folded) and k < len(target) and folded[end] == target[k]:
            end, k = end + 1, k + 1
        spans.append((i, end))
        i = folded.find(head, i + 1)
    i = folded.find(tail)
    while i >= 0:
        start, k = i, len(target) - n
        while start > 0 and k > 0 and folded[start - 1] == target[k - 1]:
            start, k = start - 1, k - 1
        spans.append((start, i + n))
        i = folded.find(tail, i + 1)
    return spans


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
