"""What every handler needs (the service, the access rules, the settings), kept in `bot_data`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from telegram.ext import CallbackContext, ExtBot

from bot.service import NewsService
from bot.settings import Settings
from bot.telegram.access import AccessPolicy, QuestionRateLimiter
from bot.telegram.conversation import ChatState
from index.indexing import IndexSummary

Context: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], ChatState, dict[Any, Any]]
_KEY = "newsbot"


@dataclass
class Runtime:
    service: NewsService
    settings: Settings
    access: AccessPolicy
    limiter: QuestionRateLimiter
    reindex: Callable[[], IndexSummary]  # blocking: run it off the event loop
    reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def install(self, bot_data: dict[Any, Any]) -> None:
        bot_data[_KEY] = self


def runtime(context: Context) -> Runtime:
    found = context.bot_data.get(_KEY)
    if not isinstance(found, Runtime):
        raise RuntimeError("the Telegram application was built without its runtime")
    return found


def chat_state(context: Context) -> ChatState:
    state = context.chat_data
    if state is None:  # only for updates that belong to no chat, which the bot never handles
        raise RuntimeError("no chat for this update")
    return state
