"""Errors raised by the answering side; each message is meant for the user.

index.errors.NewsbotError
├── QuestionError   the question can't be asked as given (empty, say)
├── ModelError      the language model is unreachable, too slow or answered garbage
└── ConfigError     a setting a command needs is missing or wrong
"""

from index.errors import ArticleError, EmbeddingError, EmbeddingMismatch, NewsbotError, StoreError


class QuestionError(NewsbotError):
    """The question is empty or unusable; the message says how to ask."""


class ModelError(NewsbotError):
    """The language model failed after retries; the extractive answer is still available."""


class ConfigError(NewsbotError):
    """A required setting is missing or invalid."""


__all__ = [
    "ArticleError",
    "ConfigError",
    "EmbeddingError",
    "EmbeddingMismatch",
    "ModelError",
    "NewsbotError",
    "QuestionError",
    "StoreError",
]
