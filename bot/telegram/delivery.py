"""Getting messages to Telegram: retried through server errors, each delivered once.

Flood control (429 with retry_after) is handled below this by python-telegram-bot's
AIORateLimiter. What is left are 5xx answers and connection failures: Telegram did not take the
request, so sending again cannot duplicate it. A read timeout is different (the message may have
arrived), so a send that timed out after it went out is not repeated: one answer, never two.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import httpx
from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.telegram.formatting import draft_html
from bot.telegram.splitting import split_html

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 7  # waits of 0.5, 1, 2, 4, 8, 8 s: about 23 s of outage survived
EDIT_INTERVAL = 1.0  # Telegram allows about one edit a second per chat
TYPING_EVERY = 4.5  # "typing…" shows for 5 s
# A link quoted from an article must not make Telegram fetch it.
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _never_sent(exc: TimedOut) -> bool:
    return isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout) or (
        "not* sent" in exc.message
    )


async def retrying(call: Callable[[], Awaitable[T]], *, what: str, resend: bool = False) -> T:
    """`call()`, again after server errors; `resend` when repeating it is harmless (edits)."""
    delay = 0.5
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except TimedOut as exc:
            if attempt == ATTEMPTS or not (resend or _never_sent(exc)):
                raise
            problem: TelegramError = exc
        except NetworkError as exc:
            if attempt == ATTEMPTS:
                raise
            problem = exc
        log.warning("%s failed (%s); trying again in %.1f s", what, problem, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")


async def send_html(
    bot: Bot, chat_id: int, html: str, *, reply_to: int | None = None
) -> list[Message]:
    """Send `html` as one message, or several when it is longer than Telegram allows."""
    return [await _send(bot, chat_id, piece, reply_to) for piece in split_html(html)]


async def _send(bot: Bot, chat_id: int, html: str, reply_to: int | None) -> Message:
    reply = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to is not None
        else None
    )
    return await retrying(
        lambda: bot.send_message(
            chat_id,
            html,
            parse_mode=ParseMode.HTML,
            reply_parameters=reply,
            link_preview_options=_NO_PREVIEW,
        ),
        what="sendMessage",
    )


async def _edit(bot: Bot, chat_id: int, message_id: int, html: str) -> None:
    async def call() -> None:
        try:
            await bot.edit_message_text(
                html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
            )
        except BadRequest as exc:
            # A repeated edit (the first one did arrive) is a success, not an error.
            if "not modified" not in exc.message:
                raise

    await retrying(call, what="editMessageText", resend=True)


async def keep_typing(bot: Bot, chat_id: int) -> None:
    """Show "typing…" until cancelled; it is only a hint, so failures are not retried."""
    while True:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("sendChatAction failed: %s", exc)
        await asyncio.sleep(TYPING_EVERY)


class LiveReply:
    """One reply that grows as the answer is written, then becomes the final answer."""

    def __init__(self, bot: Bot, chat_id: int, *, reply_to: int | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.reply_to = reply_to
        self.message_id: int | None = None
        self._shown = ""
        self._last_edit = 0.0

    async def show(self, text: str) -> None:
        """Show the text so far, at most once a second; a draft that fails is skipped."""
        if time.monotonic() - self._last_edit < EDIT_INTERVAL:
            return
        html = draft_html(text)
        if html == self._shown:
            return
        self._last_edit = time.monotonic()
        try:
            if self.message_id is None:
                self.message_id = (await _send(self.bot, self.chat_id, html, self.reply_to)).id
            else:
                await _edit(self.bot, self.chat_id, self.message_id, html)
            self._shown = html
        except TelegramError as exc:
            log.debug("draft not shown: %s", exc)

    async def finish(self, pieces: Sequence[str]) -> None:
        """Replace the draft with the first piece and send the rest after it."""
        first, *rest = pieces
        if self.message_id is None:
            await _send(self.bot, self.chat_id, first, self.reply_to)
        elif first != self._shown:
            try:
                await _edit(self.bot, self.chat_id, self.message_id, first)
            except BadRequest:
                # The draft is gone (deleted by the user, say): send the answer anew.
                await _send(self.bot, self.chat_id, first, self.reply_to)
        for piece in rest:
            await _send(self.bot, self.chat_id, piece, self.reply_to)

    async def fail(self, html: str) -> None:
        """End with a short message instead of an answer."""
        try:
            await self.finish([html])
        except TelegramError as exc:
            log.warning("could not tell the user what went wrong: %s", exc)
