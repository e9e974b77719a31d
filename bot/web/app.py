"""The ASGI app of `newsbot serve`: the routers, the access rules and the one error boundary."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response

from bot.factory import build_follows
from bot.rate_limit import QuestionRateLimiter
from bot.service import NewsService
from bot.settings import OPENAI_API, Settings
from bot.web import api, api_docs, follows, openai_compat, page
from bot.web.access import BodyLimit, Tokens, parse_tokens
from bot.web.context import Web, owner_of, web_of
from bot.web.conversations import Conversations
from bot.web.errors import install_error_handlers, unexpected_error
from bot.web.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("newsbot.web")


def create_app(service: NewsService, settings: Settings) -> FastAPI:
    """The app over `service`, with the access rules of `settings`."""
    app = FastAPI(
        title="newsbot",
        summary="Questions about the indexed news articles, answered with cited quotes.",
        version=_version(),
        # Both are bot/web/api_docs.py's: Swagger UI loads from a CDN, and the schema is behind
        # the token like every route but /healthz.
        docs_url=None,
        openapi_url=None,
        redoc_url=None,
    )
    tokens = settings.api_tokens.get_secret_value() if settings.api_tokens else None
    metrics = Metrics(service.stats)
    app.state.web = Web(
        service=service,
        tokens=Tokens(parse_tokens(tokens)),
        limiter=QuestionRateLimiter(settings.api_questions_per_minute),
        conversations=Conversations(
            limit=settings.api_conversations, ttl=settings.api_conversation_ttl
        ),
        metrics=metrics,
        max_article_bytes=settings.max_article_bytes,
        follows=build_follows(settings, service.retriever),
        model_url=(settings.openai_base_url or OPENAI_API) if settings.llm_configured else None,
        model_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
    )
    install_error_handlers(app, metrics.error)
    app.include_router(api.router)
    app.include_router(follows.router)
    app.include_router(openai_compat.router)
    app.include_router(page.router)
    app.include_router(api_docs.router)
    app.add_api_route("/metrics", _metrics, include_in_schema=False)
    app.middleware("http")(_log_counts)
    if settings.api_cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api_cors),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_request_bytes)
    return app


def _metrics(request: Request) -> Response:
    owner_of(request)
    return Response(web_of(request).metrics.render(), media_type=CONTENT_TYPE)


async def _log_counts(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """One debug line per request: method, path and status, never the query (it holds questions).

    A bug's exception ends here as a 500 with one line: Starlette's own last handler would answer
    the same but raise it again, for uvicorn to print its traceback to the server's stderr.
    """
    started = time.perf_counter()
    try:
        response: Response = await call_next(request)
    except Exception as exc:
        response = unexpected_error(exc, web_of(request).metrics.error)
    log.debug(
        "%s %s %d %.3fs",
        request.method,
        request.url.path,
        response.status_code,
        time.perf_counter() - started,
    )
    return response


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsbot")
    except PackageNotFoundError:
        return "0"
