"""Errors raised by the answering side, and the one line a user sees for any error.

index.errors.NewsbotError
├── QuestionError   the question can't be asked as given (empty, say)
├── ModelError      the language model is unreachable, too slow or answered garbage
└── ConfigError     a setting a command needs is missing or wrong

`describe` is every front end's last word on an error: the command line and the terminal chat print
it, Telegram sends it.
"""

from __future__ import annotations

import logging

from bot.redaction import redact
from index.errors import ArticleError, EmbeddingError, EmbeddingMismatch, NewsbotError, StoreError

log = logging.getLogger("newsbot")


class QuestionError(NewsbotError):
    """The question is empty or unusable; the message says how to ask."""


class ModelError(NewsbotError):
    """The language model failed after retries; the extractive answer is still available."""


class ConfigError(NewsbotError):
    """A required setting is missing or invalid."""


def describe(exc: BaseException) -> str:
    """The one line a user sees for `exc`, with every protected secret masked.

    A NewsbotError is its message; anything else is unexpected, and its traceback goes to the
    debug log.
    """
    if isinstance(exc, NewsbotError):
        return redact(str(exc))
    log.debug("unexpected error", exc_info=exc)
    return redact(
        f"unexpected {exc.__class__.__name__}: {str(exc)[:200]} "
        "(set NEWSBOT_DEBUG=1 to see the traceback)"
    )


__all__ = [
    "ArticleError",
    "ConfigError",
    "EmbeddingError",
    "EmbeddingMismatch",
    "ModelError",
    "NewsbotError",
    "QuestionError",
    "StoreError",
    "describe",
]
