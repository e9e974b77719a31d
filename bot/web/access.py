"""Who may use the server and how much: the bind rule, bearer tokens, CORS, size and rate limits.

Bound to loopback, anyone on the machine may ask. On any other address the server refuses to start
unless NEWSBOT_API_TOKENS is set, and then every route but /healthz needs `Authorization: Bearer
<token>`, or the token as the password of Basic authentication, which is what a browser asks its
user for when the page answers 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Collection

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import ConfigError
from bot.rate_limit import QuestionRateLimiter
from bot.web.errors import LengthRequired, RateLimited, TooLarge, Unauthorized, error_body

LOCAL = "local"  # the owner of what is asked without tokens


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or "localhost") is on loopback only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, tokens: Collection[str]) -> None:
    """ConfigError unless the server may listen on `host`: loopback, or any address with tokens."""
    if not tokens and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without NEWSBOT_API_TOKENS: set one or more bearer "
            "tokens (comma-separated), or serve on 127.0.0.1"
        )


def parse_tokens(value: str | None) -> frozenset[str]:
    """The tokens of NEWSBOT_API_TOKENS ("a,b,c"); empty without any."""
    return frozenset(t.strip() for t in (value or "").split(",") if t.strip())


class Tokens:
    """The bearer tokens; with none, every request is the local user's."""

    def __init__(self, tokens: Collection[str]) -> None:
        self._digests = [hashlib.sha256(t.encode()).digest() for t in tokens]

    @property
    def required(self) -> bool:
        return bool(self._digests)

    def owner(self, request: Request) -> str:
        """Who is asking: a digest of the request's token, or LOCAL when no tokens are set;
        Unauthorized for a missing or unknown token."""
        if not self.required:
            return LOCAL
        token = _token_of(request.headers.get("authorization", ""))
        if not token:
            raise Unauthorized("this server needs `Authorization: Bearer <token>`")
        digest = hashlib.sha256(token.strip().encode()).digest()
        # Every token is compared, in constant time, so timing says nothing of which is near.
        if not sum(hmac.compare_digest(digest, known) for known in self._digests):
            raise Unauthorized("that token is not one of this server's")
        return digest.hex()[:16]


def _token_of(header: str) -> str:
    """The token of `Authorization: Bearer <token>`, or the password of `Basic` (what a browser
    sends for the page, after asking for it); "" without one."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2].strip()
    return ""


def count_question(limiter: QuestionRateLimiter, owner: str) -> None:
    """Count a question of `owner`'s; RateLimited when it is one too many this minute."""
    decision = limiter.check(owner)
    if not decision.allowed:
        raise RateLimited(decision.retry_in)


class BodyLimit:
    """ASGI middleware: a body over `max_bytes`, or one without a Content-Length, is refused before
    it is read (uvicorn holds a request to the length it declares)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            problem: TooLarge | LengthRequired | None = None
            if length is None:
                problem = LengthRequired("send the request's body with a Content-Length")
            elif not length.isdigit() or int(length) > self.max_bytes:
                problem = TooLarge(f"the request is over the limit of {self.max_bytes} bytes")
            if problem is not None:
                await _send_error(send, problem.status, str(problem))
                return
        await self.app(scope, receive, send)


async def _send_error(send: Send, status: int, message: str) -> None:
    import json

    body = json.dumps(error_body(message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
