"""Errors a user may see, as one tree.

    NewsbotError
    ├── StoreError              the vector store cannot be opened or reached
    │   ├── EmbeddingMismatch   the collection was built with another embedding model
    │   └── EmptyIndex          nothing has been indexed yet
    ├── EmbeddingError          the embedding model cannot be loaded or called
    ├── ArticleError            an article cannot be read (reported per file, never fatal to a run)
    └── (bot.errors)            model and front-end errors

Each instance's message is written for the person at the keyboard: short, and saying what to do.
"""


class NewsbotError(Exception):
    """Base class: the message is safe and useful to show to a user."""


class StoreError(NewsbotError):
    """The Chroma store cannot be opened, read or written."""


class EmbeddingMismatch(StoreError):
    """The collection was built with a different embedding model or dimension."""


class EmptyIndex(StoreError):
    """Nothing is indexed yet, so there is nothing to answer from."""


class EmbeddingError(NewsbotError):
    """The embedding model cannot be loaded or did not answer."""


class ArticleError(NewsbotError):
    """One article file cannot be read; indexing skips it and names it in the summary."""
