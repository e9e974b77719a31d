"""The chat model client: any OpenAI-compatible server, with retries and one clear error at the end.

Transient failures (connection refused, timeout, HTTP 429 and 5xx, an answer that is not a chat
completion) are retried with exponential backoff; whatever is still failing after the last try
becomes a `ModelError` whose message says what went wrong and what to check.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.errors import ModelError

log = logging.getLogger(__name__)
T = TypeVar("T")

Message = dict[str, str]


@dataclass(frozen=True)
class ModelConfig:
    """How to reach the model and how much to ask of it."""

    model: str
    base_url: str | None = None
    api_key: str | None = None
    temperature: float = 0.1
    timeout: float = 60.0
    max_tokens: int = 512
    retries: int = 2  # extra tries after the first, for failures that may pass
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 8.0  # cap on one wait, also on a server's Retry-After

    @property
    def where(self) -> str:
        return self.base_url or "api.openai.com"


@dataclass(frozen=True)
class _Problem:
    """What went wrong, in the user's words; `retry`: whether another try may help."""

    what: str
    hint: str = ""
    retry: bool = True
    wait: float | None = None  # the server's Retry-After

    def message(self, tries: int) -> str:
        after = f" after {tries} tries" if tries > 1 else ""
        return f"{self.what}{after}" + (f": {self.hint}" if self.hint else "")


class ChatModel:
    """Sends chat messages to the model and returns (or streams) its reply text."""

    def __init__(self, config: ModelConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        from openai import OpenAI

        self.config = config
        self._sleep = sleep
        # The client's own retries are off: this class retries, so that every failure, streamed
        # or not, ends in the same ModelError with the same wording.
        self._client = OpenAI(
            api_key=config.api_key or "unused",
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
        )

    @property
    def name(self) -> str:
        return self.config.model

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> str:
        """The model's whole reply to `messages`."""

        def once() -> str:
            completion = self._client.chat.completions.create(
                model=self.config.model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens or self.config.max_tokens,
                temperature=self.config.temperature if temperature is None else temperature,
            )
            return _reply_text(completion)

        return self._with_retries(once)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        """The model's reply in pieces as it is generated.

        Opening the stream is retried; a stream that breaks after text was yielded is not (the
        caller has shown that text already), it ends in ModelError.
        """

        def start() -> tuple[Any, str | None]:
            stream = self._client.chat.completions.create(
                model=self.config.model,
                messages=list(messages),  # type: ignore[arg-type]
                max_tokens=max_tokens or self.config.max_tokens,
                temperature=self.config.temperature if temperature is None else temperature,
                stream=True,
            )
            # Read up to the first piece of text inside the retried call, so that a server that
            # accepts the request and then fails or sends garbage is retried like any other.
            pieces = _stream_pieces(stream)
            first = next(pieces, None)
            return pieces, first

        pieces, first = self._with_retries(start)
        if first is None:
            return
        yield first
        try:
            yield from pieces
        except Exception as exc:
            problem = _classify(exc, self.config)
            if problem is None:
                raise
            raise ModelError(f"{problem.what} (the answer broke off)") from exc

    def _with_retries(self, call: Callable[[], T]) -> T:
        tries = self.config.retries + 1
        for attempt in range(1, tries + 1):
            try:
                return call()
            except ModelError:
                raise
            except Exception as exc:
                problem = _classify(exc, self.config)
                if problem is None:
                    raise
                if not problem.retry or attempt == tries:
                    raise ModelError(problem.message(attempt)) from exc
                wait = self.config.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
                if problem.wait is not None:
                    wait = max(wait, problem.wait)
                wait = min(wait, self.config.max_wait)
                log.info("model call failed (%s); retrying in %.1fs", problem.what, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def _classify(exc: Exception, config: ModelConfig) -> _Problem | None:
    """What a failure means for the user and whether another try may help; None: not the model's."""
    import httpx
    import openai
    import pydantic

    where = config.where
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return _Problem(
            f"the model at {where} did not answer within {config.timeout:g} s",
            "check the server, or raise NEWSBOT_LLM_TIMEOUT",
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return _Problem(
            f"could not reach the model at {where} ({_root_cause(exc)})",
            "is the server running? Check OPENAI_BASE_URL",
        )
    if isinstance(exc, openai.RateLimitError):
        return _Problem(
            f"the model at {where} is rate-limiting requests (HTTP 429)",
            "wait a moment and ask again",
            wait=_retry_after(exc.response),
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500:
            return _Problem(f"the model server at {where} failed (HTTP {status})")
        if status in (401, 403):
            return _Problem(
                f"the model at {where} refused the credentials (HTTP {status})",
                "check OPENAI_API_KEY",
                retry=False,
            )
        if status == 404:
            return _Problem(
                f"the model {config.model!r} was not found at {where} (HTTP 404)",
                "check NEWSBOT_LLM_MODEL and OPENAI_BASE_URL",
                retry=False,
            )
        return _Problem(f"the model at {where} rejected the request (HTTP {status})", retry=False)
    if isinstance(
        exc,
        openai.APIError
        | _Malformed
        | json.JSONDecodeError
        | pydantic.ValidationError
        | httpx.DecodingError,
    ):
        return _Problem(
            f"the model at {where} answered with something that is not a chat reply",
            "is OPENAI_BASE_URL an OpenAI-compatible server?",
        )
    return None


class _Malformed(Exception):
    """The server answered, but not with a chat completion."""


def _reply_text(completion: Any) -> str:
    from openai.types.chat import ChatCompletion

    # With a non-JSON body the client hands back the raw text instead of raising.
    if not isinstance(completion, ChatCompletion) or not completion.choices:
        raise _Malformed(str(completion)[:100])
    content = completion.choices[0].message.content
    if not isinstance(content, str):
        raise _Malformed("no message content")
    return content


def _stream_pieces(stream: Any) -> Iterator[str]:
    from openai.types.chat import ChatCompletionChunk

    if isinstance(stream, str | bytes):
        raise _Malformed(str(stream)[:100])
    chunks = 0
    for chunk in stream:
        if not isinstance(chunk, ChatCompletionChunk):
            raise _Malformed(str(chunk)[:100])
        chunks += 1
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content
    if not chunks:
        # A body with no server-sent events in it at all (plain JSON, HTML) is not a stream.
        raise _Malformed("no events in the stream")


def _root_cause(exc: BaseException) -> str:
    seen: set[int] = set()
    while exc.__cause__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolve" in text:
        return "unknown host"
    return str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
