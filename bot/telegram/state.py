"""What the handlers keep: for the whole bot in `bot_data` (the service, the access rules, the
rate limiter, /reindex, the follows), and for each chat in `chat_data` (its conversation)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from telegram.ext import CallbackContext, ExtBot

from bot.conversation import Conversation
from bot.follows.service import FollowService
from bot.rate_limit import QuestionRateLimiter
from bot.service import NewsService
from bot.telegram.access import AccessPolicy
from index.indexing import IndexSummary


@dataclass
class ChatState:
    """One chat's conversation (python-telegram-bot keeps one per chat in `context.chat_data`)."""

    conversation: Conversation = field(default_factory=Conversation)
    # One question at a time per chat, so a follow-up sees the answer before it.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


Context: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], ChatState, dict[Any, Any]]
_KEY = "newsbot"


@dataclass
class BotState:
    """What every handler needs, for the whole bot."""

    service: NewsService
    access: AccessPolicy
    limiter: QuestionRateLimiter
    reindex: Callable[[], IndexSummary]  # blocking: run it off the event loop
    follows: FollowService
    reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)
    following: asyncio.Lock = field(default_factory=asyncio.Lock)  # one follows run at a time

    def install(self, bot_data: dict[Any, Any]) -> None:
        bot_data[_KEY] = self


def bot_state(context: Context) -> BotState:
    found = context.bot_data.get(_KEY)
    if not isinstance(found, BotState):
        raise RuntimeError("the Telegram application was built without its state")
    return found


def chat_state(context: Context) -> ChatState:
    state = context.chat_data
    if state is None:  # only for updates that belong to no chat, which the bot never handles
        raise RuntimeError("no chat for this update")
    return state
