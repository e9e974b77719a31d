"""Errors a user may see, as one tree.

    NewsbotError
    ├── StoreError              the vector store cannot be opened, read or written
    │   ├── EmbeddingMismatch   the collection was built with another embedding model
    │   ├── EmptyIndex          nothing has been indexed yet
    │   ├── CollectionNameError Chroma refuses the collection's name
    │   ├── ServerUnavailable   the Chroma server is down, hung or failing
    │   ├── StoreBusy           another process holds the store in the folder
    │   └── CatalogDamaged      the chunk catalogue on disk is incomplete (it is rebuilt)
    ├── EmbeddingError          the embedding model cannot be loaded or called
    ├── LanguageModelError      the English language pipeline (spaCy) cannot be loaded
    ├── ArticleError            an article cannot be read (reported per file, never fatal to a run)
    │   └── FetchError          a page or feed cannot be fetched (timeout, HTTP error, too large...)
    │       └── AddressRefused  its address is internal (loopback, private...) and not opted in
    └── (more, in the application that uses this package)

Each instance's message is written for the person at the keyboard: short, and saying what to do in
the terms of this package (files, chunks, collections, the Chroma server). What to do in terms of
the application that uses it (its commands and settings) is added by that application, by class.
"""


class NewsbotError(Exception):
    """Base class: the message is safe and useful to show to a user."""


class StoreError(NewsbotError):
    """The Chroma store cannot be opened, read or written."""


class EmbeddingMismatch(StoreError):
    """The collection was built with a different embedding model or dimension."""


class EmptyIndex(StoreError):
    """Nothing is indexed yet, so there is nothing to answer from."""

    def __init__(self, message: str = "no articles are indexed yet") -> None:
        super().__init__(message)


class CollectionNameError(StoreError):
    """Chroma refuses the collection's name."""


class ServerUnavailable(StoreError):
    """The Chroma server cannot be reached, does not answer in time, or fails."""


class StoreBusy(StoreError):
    """The store in a folder is held by another process (or failed as if it were)."""


class CatalogDamaged(StoreError):
    """The chunk catalogue on disk is incomplete or damaged; the reader rebuilds it."""


class EmbeddingError(NewsbotError):
    """The embedding model cannot be loaded or did not answer."""


class LanguageModelError(NewsbotError):
    """The English language pipeline that answering parses with cannot be loaded."""


class ArticleError(NewsbotError):
    """One article file cannot be read; indexing skips it and names it in the summary."""


class FetchError(ArticleError):
    """A page or feed cannot be fetched; indexing names it in the summary and tries it next run."""


class AddressRefused(FetchError):
    """A page or feed is at an internal address that was not opted in: nothing was sent to it."""
