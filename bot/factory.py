"""Builds newsbot's objects from the settings, in one place and only when a command needs them."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from bot.answering.answerer import QUOTING, Answerer
from bot.answering.extractive import ExtractiveAnswerer
from bot.errors import ConfigError
from bot.follows.service import FollowService
from bot.follows.store import FollowStore
from bot.service import NewsService
from bot.settings import Settings
from index.chunking import Chunker
from index.embedding import Embedder
from index.indexing import Indexer
from index.ranking.retrieval import RetrievalConfig, Retriever
from index.reading.addresses import AddressPolicy
from index.reading.fetching import FetchConfig, Fetcher
from index.reading.private import private_dir
from index.reading.readers.limits import ReadLimits
from index.reading.snapshots import Snapshots
from index.reading.source_state import SourceState
from index.reading.sources import SourceReader
from index.search.chroma import ChromaConfig
from index.search.store import ChunkStore


def build_embedder(settings: Settings) -> Embedder:
    if settings.uses_local_embeddings:
        from index.embedding import MiniLMEmbedder

        return MiniLMEmbedder(settings.model_cache_dir)
    if not settings.llm_configured:
        raise ConfigError(
            f"NEWSBOT_EMBED_MODEL={settings.embed_model} is an OpenAI model: set OPENAI_API_KEY "
            "(or OPENAI_BASE_URL), or unset NEWSBOT_EMBED_MODEL to use the local model."
        )
    from index.embedding import OpenAIEmbedder

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAIEmbedder(settings.embed_model, key, settings.openai_base_url, settings.llm_timeout)


def chroma_config(settings: Settings) -> ChromaConfig:
    token = settings.chroma_auth_token.get_secret_value() if settings.chroma_auth_token else None
    return ChromaConfig(
        path=settings.data_dir / "chroma",
        collection=settings.collection,
        host=settings.chroma_host,
        port=settings.chroma_port,
        ssl=settings.chroma_ssl,
        auth_token=token,
    )


def build_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    # What is indexed, and every snapshot and history in there, is for the user's eyes only.
    private_dir(settings.data_dir)
    return ChunkStore(chroma_config(settings), embedder.name, embedder.dim)


def build_indexer(settings: Settings, embedder: Embedder | None = None) -> Indexer:
    embedder = embedder or build_embedder(settings)
    chunker = Chunker(
        embedder.count_tokens,
        settings.chunk_tokens,
        settings.chunk_overlap,
        token_spans=embedder.token_spans,
    )
    fetcher = Fetcher(
        FetchConfig(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            retries=settings.fetch_retries,
            user_agent=settings.fetch_user_agent,
            allow=AddressPolicy.allowing(settings.fetch_allow_private),
        )
    )
    limits = ReadLimits(
        max_article_bytes=settings.max_article_bytes,
        max_feed_entries=settings.feed_max_entries,
        max_field_chars=settings.max_metadata_chars,
        max_pdf_pages=settings.pdf_max_pages,
        document_timeout=settings.document_timeout,
        document_memory=settings.document_max_mb << 20,
    )
    # Per collection: two collections may hold the same folder, each with its own snapshots.
    collection = settings.collection
    state = SourceState(settings.data_dir / "sources" / f"{collection}.json")
    return Indexer(
        build_store(settings, embedder),
        embedder,
        chunker,
        reader=SourceReader(fetcher, state, limits),
        snapshots=Snapshots(settings.data_dir / "snapshots" / collection),
        catalog_dir=catalog_dir(settings),
    )


def retrieval_config(assignments: Sequence[str]) -> RetrievalConfig:
    """The retrieval settings with `assignments` ("lexical_weight=0", "date_aware=false") applied,
    each value read as its field's type; ConfigError names the first that is not usable."""
    types = get_type_hints(RetrievalConfig)
    changes: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--retrieval {item}: expected KEY=VALUE, such as lexical_weight=0")
        if key not in types:
            known = ", ".join(f.name for f in fields(RetrievalConfig))
            raise ConfigError(f"--retrieval {key}: there is no such setting (there are {known})")
        changes[key] = _setting_value(key, text.strip(), types[key])
    try:
        return RetrievalConfig(**changes)
    except ValueError as exc:
        raise ConfigError(f"--retrieval: {exc}") from None


_BOOLEANS = dict.fromkeys(("true", "yes", "on", "1"), True) | dict.fromkeys(
    ("false", "no", "off", "0"), False
)


def _setting_value(key: str, text: str, kind: Any) -> Any:
    """A setting's value read from its text as `kind`: bool, int, float or a Literal of strings."""
    if kind is bool and text.casefold() in _BOOLEANS:
        return _BOOLEANS[text.casefold()]
    if get_origin(kind) is Literal and text in get_args(kind):
        return text
    if kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text)
    wanted = {bool: "true or false", int: "a whole number", float: "a number"}.get(
        kind, " or ".join(get_args(kind))
    )
    raise ConfigError(f"--retrieval {key}={text}: expected {wanted}")


def build_retriever(
    settings: Settings, embedder: Embedder | None = None, config: RetrievalConfig | None = None
) -> Retriever:
    embedder = embedder or build_embedder(settings)
    return Retriever(build_store(settings, embedder), embedder, catalog_dir(settings), config)


def catalog_dir(settings: Settings) -> Path:
    """Where the chunk catalogues of this data dir's collections are kept."""
    return settings.data_dir / "lexical"


def build_service(settings: Settings, retrieval: RetrievalConfig | None = None) -> NewsService:
    """The core service; `retrieval` changes how passages are found (for evaluation)."""
    embedder = build_embedder(settings)
    retriever = build_retriever(settings, embedder, retrieval)
    return NewsService(
        retriever,
        ExtractiveAnswerer(embedder, idf=retriever.idf),
        answerer=build_answerer(settings, embedder),
        top_k=settings.top_k,
        history_turns=settings.history_turns,
        history_tokens=settings.history_tokens,
    )


def build_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """A model's answers, checked, when one is configured (OPENAI_API_KEY or OPENAI_BASE_URL);
    else quotes."""
    if not settings.llm_configured:
        return QUOTING
    from bot.answering.checker.check import CitationChecker
    from bot.answering.generated import GeneratedAnswerer
    from bot.answering.llm import ChatModel, ModelConfig

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    model = ChatModel(
        ModelConfig(
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            api_key=key,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
            retries=settings.llm_retries,
        )
    )
    return GeneratedAnswerer(model, CitationChecker(embedder))


def build_follows(settings: Settings, retriever: Retriever) -> FollowService:
    """Follows and their alerts, kept in the data dir, matched against `retriever`'s collection."""
    private_dir(settings.data_dir)
    return FollowService(
        FollowStore.in_data_dir(settings.data_dir), retriever, max_follows=settings.follow_max
    )
