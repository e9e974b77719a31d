"""Errors raised by the answering side, and the one line a user sees for any error.

index.errors.NewsbotError
├── QuestionError   the question can't be asked as given (empty, say)
├── ModelError      the language model is unreachable, too slow or answered garbage
├── ConfigError     a setting a command needs is missing or wrong
└── FollowError     a follow can't be made or changed as asked (empty, too long, one too many)

`describe` is every front end's last word on an error: the command line and the terminal chat print
it, Telegram sends it.
"""

from __future__ import annotations

import logging

from bot.redaction import cut, redact
from index.errors import (
    ArticleError,
    CollectionNameError,
    EmbeddingError,
    EmbeddingMismatch,
    EmptyIndex,
    NewsbotError,
    ServerUnavailable,
    StoreBusy,
    StoreError,
)

log = logging.getLogger("newsbot")


class QuestionError(NewsbotError):
    """The question is empty or unusable; the message says how to ask."""


class ModelError(NewsbotError):
    """The language model failed after retries; the extractive answer is still available."""


class ConfigError(NewsbotError):
    """A required setting is missing or invalid."""


class FollowError(NewsbotError):
    """A follow can't be made as asked; the message says what to do instead."""


# `index` says what went wrong in its own terms (files, collections, the Chroma server); what a
# newsbot user can do about it, in newsbot's commands and settings, is said here.
_HINTS: dict[type[NewsbotError], str] = {
    EmptyIndex: (
        "Build the index with `newsbot index seeds/` (or `newsbot index FOLDER` for your own "
        "articles), then ask again."
    ),
    EmbeddingMismatch: "Run `newsbot index --rebuild` to rebuild it with the current model.",
    CollectionNameError: "Check NEWSBOT_COLLECTION.",
    ServerUnavailable: "Or unset CHROMA_HOST to use a store in the data folder instead.",
    StoreBusy: (
        "It may be another `newsbot index` or bot; to share one store between processes, run a "
        "Chroma server and set CHROMA_HOST (see Deploying in the README)."
    ),
}


def describe(exc: BaseException) -> str:
    """The one line a user sees for `exc`, with every protected secret masked.

    A NewsbotError is its message, followed by what to do where newsbot knows better than the
    message; anything else is unexpected, and its traceback goes to the debug log.
    """
    if isinstance(exc, NewsbotError):
        return redact(_with_hint(exc))
    log.debug("unexpected error", exc_info=exc)
    return (
        f"unexpected {exc.__class__.__name__}: {cut(str(exc), 200)} "
        "(set NEWSBOT_DEBUG=1 to see the traceback)"
    )


def _with_hint(exc: NewsbotError) -> str:
    message = str(exc)
    hint = next((_HINTS[cls] for cls in type(exc).__mro__ if cls in _HINTS), None)
    if hint is None:
        return message
    # The hint is a sentence of its own.
    return f"{message} {hint}" if message.endswith((".", "?", "!")) else f"{message}. {hint}"


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
