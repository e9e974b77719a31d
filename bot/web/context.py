"""What every route is handed: the service and the server's state, built once in `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from bot.follows.service import FollowService
from bot.rate_limit import QuestionRateLimiter
from bot.service import NewsService
from bot.web.access import Tokens, count_question
from bot.web.conversations import Conversations
from bot.web.errors import PageUnauthorized, Unauthorized
from bot.web.metrics import Metrics


@dataclass
class Web:
    service: NewsService
    tokens: Tokens
    limiter: QuestionRateLimiter
    conversations: Conversations
    metrics: Metrics
    max_article_bytes: int
    follows: FollowService
    # Where the model is and its key, when one is configured: /readyz asks it for its models.
    model_url: str | None = None
    model_key: str | None = None


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def owner_of(request: Request) -> str:
    """The caller's identity (Unauthorized without a valid token when tokens are set)."""
    return web_of(request).tokens.owner(request)


def visitor_of(request: Request) -> str:
    """The identity of a browser asking for the page: as `owner_of`, but a missing token asks
    the browser for it (Basic authentication, the token as the password)."""
    try:
        return owner_of(request)
    except Unauthorized as error:
        raise PageUnauthorized(
            "this page needs the server's token: give it as the password (any user name)"
        ) from error


def asker_of(request: Request) -> str:
    """The caller's identity, counted against its questions per minute."""
    owner = owner_of(request)
    count_question(web_of(request).limiter, owner)
    return owner


WebDep = Annotated[Web, Depends(web_of)]
Owner = Annotated[str, Depends(owner_of)]
Asker = Annotated[str, Depends(asker_of)]
Visitor = Annotated[str, Depends(visitor_of)]
