"""Builds newsbot's objects from the settings, in one place and only when a command needs them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answering.extractive import ExtractiveAnswerer
from bot.errors import ConfigError
from bot.service import NewsService
from bot.settings import Settings
from index.chunking import Chunker
from index.embedding import Embedder
from index.indexing import Indexer
from index.retrieval import Retriever
from index.store import ChromaConfig, ChunkStore

if TYPE_CHECKING:
    from bot.answering.generated import GeneratedAnswerer


def build_embedder(settings: Settings) -> Embedder:
    if settings.uses_local_embeddings:
        from index.embedding import MiniLMEmbedder

        return MiniLMEmbedder()
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
    return ChunkStore(chroma_config(settings), embedder.name, embedder.dim)


def build_indexer(settings: Settings, embedder: Embedder | None = None) -> Indexer:
    embedder = embedder or build_embedder(settings)
    chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap)
    return Indexer(build_store(settings, embedder), embedder, chunker)


def build_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    embedder = embedder or build_embedder(settings)
    return Retriever(build_store(settings, embedder), embedder, settings.data_dir / "lexical")


def build_service(settings: Settings) -> NewsService:
    embedder = build_embedder(settings)
    extractive = ExtractiveAnswerer(embedder)
    return NewsService(
        build_retriever(settings, embedder),
        extractive,
        top_k=settings.top_k,
        history_turns=settings.history_turns,
        history_tokens=settings.history_tokens,
        generator=build_generator(settings, embedder, extractive),
    )


def build_generator(
    settings: Settings, embedder: Embedder, extractive: ExtractiveAnswerer
) -> GeneratedAnswerer | None:
    """The generated-answer path when a model is configured (OPENAI_API_KEY or OPENAI_BASE_URL)."""
    if not settings.llm_configured:
        return None
    from bot.answering.citations import CitationChecker
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
    return GeneratedAnswerer(model, CitationChecker(embedder), extractive)
