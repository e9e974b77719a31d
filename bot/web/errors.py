"""What a request can get wrong, and the one boundary where every error becomes `{"error": ...}`.

index.errors.NewsbotError
└── RequestError        the request can't be served as sent; `status` is its HTTP status
    ├── Unauthorized    no bearer token, or not one of NEWSBOT_API_TOKENS
    │   └── PageUnauthorized  the same for the page, which a browser asks for itself
    ├── RateLimited     the token asked more questions this minute than it may
    ├── TooLarge        the request's body is over the size limit
    ├── LengthRequired  a body without a Content-Length
    └── NotFound        no such article or conversation (never says which exist)
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bot.errors import ConfigError, FollowError, ModelError, QuestionError, describe
from index.errors import EmptyIndex, NewsbotError, ServerUnavailable, StoreBusy, StoreError


class RequestError(NewsbotError):
    """A request newsbot can't serve as sent; the message says what to change."""

    status = 400
    headers: dict[str, str] = {}  # noqa: RUF012 (each subclass replaces it, never changes it)


class Unauthorized(RequestError):
    """The request has no valid bearer token."""

    status = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012


class PageUnauthorized(Unauthorized):
    """The page (or the API's reference) without the server's token: a browser asks its user for
    it, as the password of Basic authentication, and sends it with every request after."""

    headers = {"WWW-Authenticate": 'Basic realm="newsbot", charset="UTF-8"'}  # noqa: RUF012


class RateLimited(RequestError):
    """Too many questions from one token this minute."""

    status = 429

    def __init__(self, retry_in: float) -> None:
        seconds = max(1, round(retry_in))
        super().__init__(f"too many questions: ask again in {seconds} s")
        self.headers = {"Retry-After": str(seconds)}


class TooLarge(RequestError):
    """The request's body is over NEWSBOT_API_MAX_REQUEST_BYTES."""

    status = 413


class LengthRequired(RequestError):
    """A request body must say its length, so that the size limit is known before it is read."""

    status = 411


class NotFound(RequestError):
    """No article or conversation has that id (or it is not this token's)."""

    status = 404


# The status of the project's own errors: a bad question is the asker's, a store or model that is
# down is the server's, and said as such.
_STATUS: dict[type[NewsbotError], int] = {
    QuestionError: 400,
    FollowError: 400,
    EmptyIndex: 503,
    ServerUnavailable: 503,
    StoreBusy: 503,
    StoreError: 503,
    ModelError: 502,
    ConfigError: 500,
}


def status_of(exc: NewsbotError) -> int:
    if isinstance(exc, RequestError):
        return exc.status
    return next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), 500)


def error_body(message: str) -> dict[str, str]:
    """The body of every error response: the one line a user may see."""
    return {"error": " ".join(message.split())}


def install_error_handlers(app: FastAPI, count: Callable[[str], None]) -> None:
    """Make every error a JSON `{"error": "<one line>"}` with its status; `count` is told the kind
    of each (for /metrics). Tracebacks go to the debug log only."""

    async def newsbot_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NewsbotError)
        count(type(exc).__name__)
        headers = exc.headers if isinstance(exc, RequestError) else None
        return JSONResponse(error_body(describe(exc)), status_code=status_of(exc), headers=headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        count("InvalidRequest")
        return JSONResponse(error_body(_validation_line(exc)), status_code=422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        count(f"HTTP{exc.status_code}")
        return JSONResponse(
            error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(exc, count)

    app.add_exception_handler(NewsbotError, newsbot_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def unexpected_error(exc: Exception, count: Callable[[str], None]) -> JSONResponse:
    """A bug's response: 500 and `describe`'s line (which logs the traceback at debug level)."""
    count(type(exc).__name__)
    return JSONResponse(error_body(describe(exc)), status_code=500)


def _validation_line(exc: RequestValidationError) -> str:
    """The first problem pydantic found, as "field: message" (the question's text never echoed)."""
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query"))
        problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)
