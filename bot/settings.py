"""Every setting newsbot reads, in one typed object (environment variables and `.env`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.conversation import MAX_TURNS
from index.reading.articles import MAX_ARTICLE_BYTES

LOCAL_EMBED_MODEL = "all-MiniLM-L6-v2"
TELEGRAM_API = "https://api.telegram.org"
OPENAI_API = "https://api.openai.com/v1"
# Settings are read from this file in the working directory, as the ecosystem does (pydantic's
# env_file, docker compose, python-dotenv); `start_up_lines` says so, since whoever controls that
# folder controls where the token and the questions go.
ENV_FILE = ".env"


def user_cache_dir() -> Path:
    """newsbot's folder in the user's cache ($XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbot"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsbot")
    except PackageNotFoundError:
        return "dev"


_VERSION = _package_version()


class Settings(BaseSettings):
    """newsbot's configuration. Field names map to NEWSBOT_* variables unless an alias says otherwise."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Storage
    data_dir: Path = Field(Path(".newsbot"), description="Where the embedded Chroma store lives.")
    collection: str = Field("articles", description="Chroma collection name.")
    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "NEWSBOT_CHROMA_HOST"),
        description="Use a Chroma server at this host instead of the embedded store.",
    )
    chroma_port: int = Field(
        8000, validation_alias=AliasChoices("CHROMA_PORT", "NEWSBOT_CHROMA_PORT")
    )
    chroma_ssl: bool = Field(
        False, validation_alias=AliasChoices("CHROMA_SSL", "NEWSBOT_CHROMA_SSL")
    )
    chroma_auth_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("CHROMA_AUTH_TOKEN", "NEWSBOT_CHROMA_AUTH_TOKEN")
    )

    # Indexing and retrieval
    embed_model: str = Field(
        LOCAL_EMBED_MODEL,
        description="all-MiniLM-L6-v2 (local) or an OpenAI embedding model such as "
        "text-embedding-3-small (needs OPENAI_API_KEY or OPENAI_BASE_URL).",
    )
    model_cache_dir: Path = Field(
        default_factory=user_cache_dir,
        description="Where the local embedding model's int8 file is made on first use and kept "
        "(shared by every data dir).",
    )
    chunk_tokens: int = Field(200, ge=32, le=2000, description="Chunk size in embedding tokens.")
    chunk_overlap: int = Field(32, ge=0, le=500, description="Overlap between chunks, in tokens.")
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved for each question.")

    # Pages and feeds indexed from addresses, and `newsbot index --watch`
    fetch_timeout: float = Field(
        20.0, gt=0, le=600, description="Seconds one fetch of a page or feed may take in all."
    )
    fetch_max_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        description="Largest page or feed fetched, in bytes; a larger one is skipped and named.",
    )
    fetch_retries: int = Field(
        2, ge=0, le=10, description="Extra tries after a timeout, a dropped connection, 429 or 5xx."
    )
    fetch_max_redirects: int = Field(5, ge=0, le=30, description="Redirects followed per fetch.")
    fetch_user_agent: str = Field(
        f"newsbot/{_VERSION} (indexes news articles for question answering)",
        description="The User-Agent header sent with every fetch.",
    )
    fetch_allow_private: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Internal addresses fetches may reach after all (they are refused otherwise): "
        "host names, addresses or CIDR ranges, comma-separated, such as cms.intranet,10.20.0.0/16.",
    )
    feed_max_entries: int = Field(
        500, ge=1, description="Entries read from one feed (the first ones); the rest are named."
    )
    max_metadata_chars: int = Field(
        2000,
        ge=100,
        description="Longest link, id or author kept from a source's metadata; a longer link is "
        "dropped, the rest cut, and the summary says so.",
    )
    pdf_max_pages: int = Field(
        500, ge=1, description="Pages read from one PDF (the first ones); the summary says so."
    )
    max_article_bytes: int = Field(
        MAX_ARTICLE_BYTES,
        ge=1024,
        description="Most text one article may have; a larger one is skipped and named.",
    )
    document_timeout: float = Field(
        30.0, gt=0, le=3600, description="Seconds one PDF or Word file may take to read."
    )
    document_max_mb: int = Field(
        1024, ge=64, description="Megabytes of memory reading one PDF or Word file may take."
    )
    watch_every: float = Field(
        600.0,
        ge=1,
        description="Seconds between two cycles of `newsbot index --watch` (--every overrides it).",
    )

    # Generation (OpenAI or any OpenAI-compatible server)
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "NEWSBOT_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "NEWSBOT_OPENAI_BASE_URL")
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model used for generated answers.")
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before a model call gives up.")
    llm_max_tokens: int = Field(512, ge=16, le=8192)
    history_turns: int = Field(
        6, ge=0, le=MAX_TURNS, description="Conversation turns kept for follow-ups."
    )
    history_tokens: int = Field(
        800,
        ge=0,
        le=32000,
        description="Most tokens (about 4 characters each) of conversation sent to the model "
        "when it rewrites a follow-up question.",
    )
    llm_retries: int = Field(
        2, ge=0, le=10, description="Extra tries after a model call fails in a way that may pass."
    )

    # Telegram
    telegram_bot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "NEWSBOT_TELEGRAM_BOT_TOKEN"),
        description="The bot's token from @BotFather; `newsbot telegram` needs it.",
    )
    telegram_api_base_url: str = Field(
        TELEGRAM_API,
        validation_alias=AliasChoices("TELEGRAM_API_BASE_URL", "NEWSBOT_TELEGRAM_API_BASE_URL"),
        description="Root of the Bot API server; requests go to {root}/bot{token}/{method}.",
    )
    telegram_allowed_users: Annotated[set[int], NoDecode] = Field(
        default_factory=set,
        validation_alias=AliasChoices("TELEGRAM_ALLOWED_USERS", "NEWSBOT_TELEGRAM_ALLOWED_USERS"),
        description="User ids that may use the bot; with this or the chat list set, no one else.",
    )
    telegram_allowed_chats: Annotated[set[int], NoDecode] = Field(
        default_factory=set,
        validation_alias=AliasChoices("TELEGRAM_ALLOWED_CHATS", "NEWSBOT_TELEGRAM_ALLOWED_CHATS"),
        description="Chat ids (groups are negative) whose every member may use the bot.",
    )
    telegram_admin_users: Annotated[set[int], NoDecode] = Field(
        default_factory=set,
        validation_alias=AliasChoices("TELEGRAM_ADMIN_USERS", "NEWSBOT_TELEGRAM_ADMIN_USERS"),
        description="User ids that may run /stats and /reindex (and may always use the bot).",
    )
    telegram_questions_per_minute: int = Field(
        10,
        ge=0,
        le=1000,
        validation_alias=AliasChoices(
            "TELEGRAM_QUESTIONS_PER_MINUTE", "NEWSBOT_TELEGRAM_QUESTIONS_PER_MINUTE"
        ),
        description="Questions one user may ask per minute; 0 means no limit.",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET", "NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
        description="Secret Telegram sends with each webhook call; random per run when unset.",
    )

    # Following a story (/follow, /api/follows)
    follow_max: int = Field(20, ge=1, le=1000, description="Topics one user may follow at once.")
    follow_poll: float = Field(
        30.0,
        gt=0,
        le=86400,
        description="Seconds between two looks at the index for new articles that match a follow.",
    )

    # The web page and HTTP API (newsbot serve)
    api_tokens: SecretStr | None = Field(
        None,
        description="Bearer tokens, comma-separated; with any set, every route but /healthz needs "
        "one, and the server may listen on an address other than loopback.",
    )
    api_cors: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Origins (comma-separated) whose pages may call the API; none by default."
    )
    api_questions_per_minute: int = Field(
        30, ge=0, le=100_000, description="Questions one token may ask per minute; 0: no limit."
    )
    api_max_request_bytes: int = Field(
        65536, ge=1024, le=16 << 20, description="Largest request body, in bytes."
    )
    api_conversations: int = Field(
        1000, ge=1, description="Conversations kept at once; the least recently used goes first."
    )
    api_conversation_ttl: float = Field(
        3600.0, gt=0, description="Seconds a conversation is kept after its last question."
    )

    @field_validator("chroma_host", "openai_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "telegram_allowed_users", "telegram_allowed_chats", "telegram_admin_users", mode="before"
    )
    @classmethod
    def _id_list(cls, value: object) -> object:
        # "123, -100456" as people write it in .env, rather than the JSON pydantic expects.
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("use numeric ids separated by commas, e.g. 12345,-100678")
            return {int(part) for part in parts}
        return value

    @field_validator("api_cors", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("fetch_allow_private", mode="before")
    @classmethod
    def _allow_list(cls, value: object) -> object:
        from index.reading.addresses import AddressPolicy

        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list | tuple):
            AddressPolicy.allowing(str(v) for v in value)  # ValueError names a bad entry
        return value

    @field_validator("telegram_bot_token", "telegram_webhook_secret", "api_tokens", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("model_cache_dir")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def uses_local_embeddings(self) -> bool:
        return self.embed_model == LOCAL_EMBED_MODEL

    @property
    def llm_configured(self) -> bool:
        return self.openai_api_key is not None or self.openai_base_url is not None


def start_up_lines(settings: Settings, *, telegram: bool = False) -> list[str]:
    """What a long-running command says on stderr as it starts: the `.env` file it read, and the
    servers it sends to when they are not the usual ones, so that a planted base URL shows."""
    lines = []
    env_file = Path(ENV_FILE)
    if env_file.is_file():
        lines.append(f"settings: read {env_file.resolve()}")
    if telegram and settings.telegram_api_base_url != TELEGRAM_API:
        lines.append(f"settings: the Bot API is at {_host(settings.telegram_api_base_url)}")
    if settings.openai_base_url is not None and settings.openai_base_url.rstrip("/") != OPENAI_API:
        lines.append(f"settings: the model is at {_host(settings.openai_base_url)}")
    return lines


def _host(url: str) -> str:
    """The scheme, host and port of `url`, never a user name or password in it."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "an address that is not a URL"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"
