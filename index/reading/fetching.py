"""Fetching pages and feeds over HTTP: one deadline per fetch, a size limit (on the bytes as they
are inflated), a content-type check, a bounded number of redirects, retries with backoff, an honest
User-Agent, conditional requests, and no connection to an internal address unless it is opted in
(`index.reading.network` makes the connections).

Every way a fetch fails ends in one `FetchError` whose message is the reason a summary shows
("timed out after 20 s", "HTTP 404 Not Found", "redirect loop", ...).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.errors import FetchError
from index.reading.addresses import AddressPolicy
from index.reading.articles import megabytes

if TYPE_CHECKING:
    import httpx

    from index.reading.network import Deadline

# Answers that may be different a moment later: worth another try.
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# A server's Retry-After is honoured up to this many seconds; a run doesn't wait for longer.
_MAX_RETRY_AFTER = 10.0


# The encodings inflated here, a step at a time, so that the size limit holds as they are.
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class FetchConfig:
    timeout: float = 20.0  # seconds for the whole fetch: connects, redirects, retries, bodies
    max_bytes: int = 5 * 1024 * 1024  # of the body, once inflated
    max_redirects: int = 5
    retries: int = 2  # tries after the first, for what may pass (timeouts, 429, 5xx, resets)
    backoff: float = 0.5  # seconds before the first retry, doubled for each next one
    user_agent: str = "news-indexer"
    allow: AddressPolicy = field(default_factory=AddressPolicy)  # internal addresses opted in


@dataclass(frozen=True)
class Response:
    """What a fetch brought back: the body (empty when not modified) and what describes it."""

    url: str  # after redirects
    status: int  # 200, or 304 when the validators sent say it has not changed
    body: bytes
    media_type: str  # "text/html", in lower case; "" when the server sent none
    charset: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """One HTTP client for a run; `get` fetches one address."""

    def __init__(self, config: FetchConfig | None = None) -> None:
        self.config = config or FetchConfig()
        self._client: httpx.Client | None = None
        self._deadline: Deadline | None = None

    def get(
        self,
        url: str,
        *,
        accept: Sequence[str],
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """`url`'s body if its content type is one of `accept` (or unstated), else FetchError.

        With `etag` or `last_modified` from an earlier fetch, the server may answer 304 (not
        modified) and nothing is downloaded.
        """
        headers = {
            "Accept": ", ".join([*accept, "*/*;q=0.1"]),
            "Accept-Encoding": ", ".join(_ENCODINGS),
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        cfg = self.config
        client = self._http()
        assert self._deadline is not None
        # One deadline for all of it: the tries, the pauses between them, every redirect and read.
        deadline = time.monotonic() + cfg.timeout
        self._deadline.at = deadline
        try:
            for attempt in range(cfg.retries + 1):
                try:
                    return self._follow(client, url, headers, accept)
                except _Retry as retry:
                    pause = min(retry.after or cfg.backoff * 2**attempt, _MAX_RETRY_AFTER)
                    if attempt == cfg.retries or time.monotonic() + pause >= deadline:
                        tries = f" after {attempt + 1} tries" if attempt else ""
                        raise FetchError(f"{retry.reason}{tries}") from None
                    time.sleep(pause)
        finally:
            self._deadline.at = None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _follow(
        self, client: httpx.Client, url: str, headers: dict[str, str], accept: Sequence[str]
    ) -> Response:
        """One try: the request and its redirects, each checked."""
        seen = [url]
        while True:
            with self._request(client, url, headers) as response:
                if not response.has_redirect_location:
                    return self._read(response, accept)
                target = response.next_request.url if response.next_request else None
            if target is None or target.scheme not in ("http", "https"):
                raise FetchError("redirected to an address that is not http(s)")
            url = str(target)
            if url in seen:
                raise FetchError(f"redirect loop ({' → '.join([*seen[seen.index(url) :], url])})")
            seen.append(url)
            if len(seen) > self.config.max_redirects + 1:
                raise FetchError(f"more than {self.config.max_redirects} redirects")

    @contextmanager
    def _request(
        self, client: httpx.Client, url: str, headers: dict[str, str]
    ) -> Iterator[httpx.Response]:
        import httpx

        try:
            with client.stream("GET", url, headers=headers) as response:
                yield response
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.config.timeout:g} s") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError(f"not a valid http(s) address ({exc})") from None
        except httpx.ConnectError as exc:
            raise _Retry(f"could not connect ({_detail(exc)})") from None
        except httpx.TransportError as exc:
            raise _Retry(f"the connection failed ({_detail(exc)})") from None

    def _read(self, response: httpx.Response, accept: Sequence[str]) -> Response:
        """The body of a final (not redirecting) response, within the limits."""
        status = response.status_code
        if status in _RETRY_STATUS:
            raise _Retry(f"HTTP {status} {response.reason_phrase}", _retry_after(response))
        if status >= 400 or (300 <= status < 400 and status != 304):
            raise FetchError(f"HTTP {status} {response.reason_phrase}")
        media_type, charset = _content_type(response.headers.get("content-type", ""))
        if status == 200 and media_type and media_type not in accept:
            raise FetchError(f"not a web page or feed (content type {media_type})")
        body = b"" if status == 304 else self._body(response)
        return Response(
            url=str(response.url),
            status=304 if status == 304 else 200,
            body=body,
            media_type=media_type,
            charset=charset,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    def _body(self, response: httpx.Response) -> bytes:
        limit = self.config.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"over the size limit ({megabytes(int(declared))}; the limit is {megabytes(limit)})"
            )
        inflate = _Inflater(response.headers.get("content-encoding", ""), limit)
        body = bytearray()
        received = 0
        # The raw bytes, inflated here: httpx inflates each piece whole, and 2 KB of gzip in gzip
        # inflates to gigabytes at once.
        for piece in response.iter_raw():
            received += len(piece)
            body += inflate(piece)
            if len(body) > limit or received > limit:
                raise FetchError(f"over the size limit (more than {megabytes(limit)})")
        body += inflate.end()
        if len(body) > limit:
            raise FetchError(f"over the size limit (more than {megabytes(limit)})")
        return bytes(body)

    def _http(self) -> httpx.Client:
        import httpx

        from index.reading.network import Deadline, GuardedBackend, guarded_transport

        if self._client is None:
            self._deadline = Deadline()
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.config.timeout),
                follow_redirects=False,  # followed here, to tell a loop and count them
                headers={"User-Agent": self.config.user_agent},
                transport=guarded_transport(GuardedBackend(self.config.allow, self._deadline)),
            )
        return self._client


class _Inflater:
    """A body's Content-Encoding undone a piece at a time, never past `limit` bytes out."""

    def __init__(self, header: str, limit: int) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            # No server needs two; a stack of them is a bomb that each layer multiplies.
            raise FetchError(f"refused: more than one content encoding ({header.strip()})")
        if codings and codings[0] not in _ENCODINGS:
            raise FetchError(f"unsupported content encoding ({codings[0]})")
        self.limit = limit
        self._coding = codings[0] if codings else None
        self._zlib = zlib.decompressobj(_ENCODINGS[self._coding]) if self._coding else None
        self._out = 0

    def __call__(self, data: bytes) -> bytes:
        if self._zlib is None:
            return data
        out = bytearray()
        try:
            while data:
                # At most one byte past the room left: enough to tell the limit is passed.
                out += self._zlib.decompress(data, max(self.limit - self._out - len(out), 0) + 1)
                if self._out + len(out) > self.limit:
                    break
                data = self._zlib.unconsumed_tail
        except zlib.error:
            if self._coding == "deflate" and self._out == 0 and not out:
                # Many servers send raw deflate, without the zlib header the name stands for.
                self._zlib, self._coding = zlib.decompressobj(-zlib.MAX_WBITS), "raw deflate"
                return self(data)
            raise FetchError(f"a broken {self._coding} body") from None
        self._out += len(out)
        return bytes(out)

    def end(self) -> bytes:
        return b"" if self._zlib is None else self._zlib.flush()


class _Retry(Exception):
    """A failure that may pass: tried again after a pause, then reported as `reason`."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


def _content_type(value: str) -> tuple[str, str | None]:
    media_type, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return media_type.strip().lower(), charset


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _detail(exc: Any) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:120]
