"""A question in a chat: whether it is meant for the bot, and its answer delivered as messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import TypeVar

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatType

from bot.errors import NewsbotError, describe
from bot.results import Answer
from bot.telegram.delivery import LiveReply, keep_typing, send_html
from bot.telegram.formatting import answer_messages, escape
from bot.telegram.state import Context, bot_state, chat_state

log = logging.getLogger(__name__)
T = TypeVar("T")


def _command_target(message: Message) -> str | None:
    """`None` for no command, "" for `/cmd`, the bot's name for `/cmd@name`."""
    entity = next((e for e in message.entities if e.offset == 0), None)
    if entity is None or entity.type != MessageEntity.BOT_COMMAND or not message.text:
        return None
    _, _, target = message.text[: entity.length].partition("@")
    return target


def is_reply_to_bot(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def _mentions(message: Message, bot: Bot) -> list[str]:
    """The bits of text that mention this bot (`@name`, or a mention of it by its name)."""
    found = []
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    for entity, text in entities.items():
        if (
            entity.type == MessageEntity.MENTION and text[1:].casefold() == bot.username.casefold()
        ) or (entity.user is not None and entity.user.id == bot.id):
            found.append(text)
    return found


def addressed_to_bot(message: Message, bot: Bot) -> bool:
    """Private chats: everything. Groups: our commands, mentions of us, replies to us."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    target = _command_target(message)
    if target is not None:
        return target == "" or target.casefold() == bot.username.casefold()
    return bool(_mentions(message, bot)) or is_reply_to_bot(message, bot)


def question_from(message: Message, bot: Bot) -> str:
    """The message's text without the mentions of the bot."""
    text = message.text or ""
    for mention in _mentions(message, bot):
        text = re.sub(re.escape(mention), " ", text, count=1, flags=re.I)
    return " ".join(text.split())


async def on_question(update: Update, context: Context) -> None:
    """A text message that the access gate let through: answer it, within the user's rate."""
    message = update.message
    if message is None or message.text is None:
        return
    shared = bot_state(context)
    user_id = message.from_user.id if message.from_user else message.chat_id
    decision = shared.limiter.check(user_id)
    if not decision.allowed:
        if decision.warn:
            await send_html(
                context.bot,
                message.chat_id,
                f"You are asking more than {shared.limiter.per_minute} questions a minute; "
                f"please wait {math.ceil(decision.retry_in)} s.",
                reply_to=_reply_target(message),
            )
        return
    await answer_question(message, question_from(message, context.bot), context)


def _reply_target(message: Message) -> int | None:
    # In a group the answer quotes its question, so people see which question it answers.
    return None if message.chat.type == ChatType.PRIVATE else message.message_id


async def answer_question(message: Message, question: str, context: Context) -> None:
    shared = bot_state(context)
    state = chat_state(context)
    now = message.date.date()  # the day it was sent, even when the bot reads it later
    async with state.lock:
        history = state.conversation.history()
        live = LiveReply(context.bot, message.chat_id, reply_to=_reply_target(message))
        typing = asyncio.create_task(keep_typing(context.bot, message.chat_id))
        try:
            answer = await _stream_into(
                live, lambda: shared.service.stream(question, history, now=now)
            )
        except NewsbotError as exc:
            log.info("question not answered: %s", exc)
            await live.fail(escape(describe(exc)))
            return
        finally:
            typing.cancel()
        state.conversation.record(answer)
        await live.finish(answer_messages(answer))


async def _stream_into(live: LiveReply, make: Callable[[], Iterator[str | Answer]]) -> Answer:
    """Show the answer's text as it comes; return the final Answer."""
    text = ""
    async with contextlib.aclosing(batches_off_loop(make)) as batches:
        async for batch in batches:
            for item in batch:
                if isinstance(item, Answer):
                    return item
                text += item
            await live.show(text)
    raise RuntimeError("the answer stream ended without an answer")


async def batches_off_loop(
    make: Callable[[], Iterator[T]], *, linger: float = 0.05
) -> AsyncGenerator[list[T], None]:
    """Run a blocking iterator in a worker thread; yield what it produces, in batches.

    A batch takes in what follows its first item within `linger` seconds, so an answer that
    comes all at once (the extractive one) is sent as one message rather than a draft and an edit.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bool, object]] = asyncio.Queue()
    stop = threading.Event()

    def post(item: tuple[bool, object]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            for item in make():
                post((True, item))
                if stop.is_set():
                    return
        except BaseException as exc:
            post((False, exc))
        else:
            post((False, None))

    loop.run_in_executor(None, pump)
    try:
        while True:
            got = [await queue.get()]
            deadline = loop.time() + linger
            while got[-1][0] and (left := deadline - loop.time()) > 0:
                try:
                    got.append(await asyncio.wait_for(queue.get(), left))
                except TimeoutError:
                    break
            items: list[T] = []
            for is_item, value in got:
                if is_item:
                    items.append(value)  # type: ignore[arg-type]
                elif isinstance(value, BaseException):
                    raise value
                else:
                    if items:
                        yield items
                    return
            yield items
    finally:
        stop.set()
