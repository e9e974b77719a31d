"""Reaching the Chroma collection: where it lives, a client for it, and how its failures read.

A server is asked for a heartbeat first and given timeouts (Chroma's client has none); the embedded
store is locked by the one process that writes it; and an embedded collection's metadata can be
read straight from its SQLite file, without importing Chroma, which is most of a cold start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import CollectionNameError, ServerUnavailable, StoreBusy, StoreError

# Seconds a call to a Chroma server may take before it is given up (the client waits forever).
SERVER_TIMEOUT = 60.0
_SERVER_CONNECT_TIMEOUT = 5.0
# The first request (a heartbeat) is answered at once by a server that is up at all.
HEARTBEAT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ChromaConfig:
    """Where the collection lives: a folder (embedded) or a Chroma server."""

    path: Path
    collection: str
    host: str | None = None
    port: int = 8000
    ssl: bool = False
    auth_token: str | None = None

    @property
    def where(self) -> str:
        return f"the Chroma server at {self.host}:{self.port}" if self.host else f"{self.path}"


@contextmanager
def chroma_errors(action: str, config: ChromaConfig) -> Iterator[None]:
    """Turn the many ways Chroma fails into a StoreError, of the class that says what to do."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        error: type[StoreError]
        if exc.__class__.__name__ == "InvalidArgumentError":
            error = CollectionNameError
            hint = "a collection's name is 3-512 letters, digits, dots, dashes or underscores."
        elif config.host:
            error, hint = ServerUnavailable, "is it running? Start it with `chroma run`."
        else:
            error, hint = StoreBusy, "another process may hold it."
        # Not cut here: a proxy may quote the request's headers back, token and all, and a cut
        # before masking would leave part of it. Whoever shows the message masks it, then cuts.
        detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise error(f"could not {action} {config.where} ({detail}): {hint}") from exc


def client_for(config: ChromaConfig) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if config.host:
        # Chroma's token header (its default transport), which a proxy in front of the server checks.
        headers = {"Authorization": f"Bearer {config.auth_token}"} if config.auth_token else None
        _heartbeat(config, headers)
        client = chromadb.HttpClient(
            host=config.host,
            port=config.port,
            ssl=config.ssl,
            headers=headers,
            settings=chroma_settings,
        )
        _limit_wait(client)
        return client
    config.path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(config.path), settings=chroma_settings)


def _heartbeat(config: ChromaConfig, headers: dict[str, str] | None) -> None:
    """Fail fast on a server that accepts connections but never answers (stopped, or hung).

    Chroma's client asks the server for its identity when it is created, with no timeout.
    """
    import httpx

    scheme = "https" if config.ssl else "http"
    try:
        httpx.get(
            f"{scheme}://{config.host}:{config.port}/api/v2/heartbeat",
            headers=headers,
            timeout=httpx.Timeout(HEARTBEAT_TIMEOUT, connect=_SERVER_CONNECT_TIMEOUT),
        )
    except httpx.TimeoutException as exc:
        raise ServerUnavailable(
            f"the Chroma server at {config.host}:{config.port} did not answer within "
            f"{HEARTBEAT_TIMEOUT:.0f} seconds: is it stopped or overloaded? Restart it "
            "(`chroma run`)."
        ) from exc
    except httpx.HTTPError:
        pass  # refused, TLS, ...: Chroma's own client reports these, in its words


def _limit_wait(client: Any) -> None:
    """Give the HTTP client a timeout: it has none, so a hung server would hang every question."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(SERVER_TIMEOUT, connect=_SERVER_CONNECT_TIMEOUT)


def lock_for_writing(config: ChromaConfig) -> int:
    """An exclusive lock on the embedded store, held by the one process that writes to it."""
    import fcntl

    config.path.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.path / "newsbot-write.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise StoreBusy(
            f"another process is writing {config.where}: wait for it to finish."
        ) from exc
    return fd


def embedded_metadata(config: ChromaConfig) -> dict[str, Any] | None:
    """The metadata of an embedded collection read straight from Chroma's SQLite file, without
    importing Chroma; None when that cannot be done (a server, no such file or collection, or a
    layout this code does not know), and the caller asks Chroma itself."""
    if config.host:
        return None
    db = config.path / "chroma.sqlite3"
    if not db.is_file():
        return None
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as con:
            rows = con.execute(
                "SELECT m.key, m.str_value, m.int_value, m.float_value, m.bool_value "
                "FROM collection_metadata m JOIN collections c ON c.id = m.collection_id "
                "WHERE c.name = ?",
                (config.collection,),
            ).fetchall()
    except sqlite3.Error:
        return None
    meta: dict[str, Any] = {}
    for key, text, whole, real, flag in rows:
        value = next((v for v in (text, whole, real) if v is not None), None)
        meta[key] = bool(flag) if value is None and flag is not None else value
    return meta if "version" in meta else None
