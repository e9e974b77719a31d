"""The access gate and the bot's commands; each handler parses its input and renders a reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.conversation import cited
from bot.errors import NewsbotError
from bot.results import Answer, Citation, shorten
from bot.service import IndexStats, NewsService
from bot.telegram.access import Verdict
from bot.telegram.delivery import send_html
from bot.telegram.follows import (
    counts_html,
    deliver_pending,
    follow_command,
    following_command,
    look_for_news,
    unfollow_command,
)
from bot.telegram.formatting import (
    escape,
    help_html,
    passage_html,
    sources_html,
    stats_html,
)
from bot.telegram.questions import addressed_to_bot
from bot.telegram.state import Context, bot_state, chat_state

log = logging.getLogger(__name__)
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


async def gate(update: Update, context: Context) -> None:
    """Runs before every other handler: what is not for the bot, or not allowed, stops here."""
    message = update.message
    if message is None or not addressed_to_bot(message, context.bot):
        raise ApplicationHandlerStop
    user = message.from_user
    verdict = bot_state(context).access.check(user.id if user else None, message.chat_id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.REFUSE:
        who = f" Your Telegram id is {user.id}." if user else ""
        await send_html(
            context.bot,
            message.chat_id,
            "Sorry, this bot only answers the people its owner has allowed." + who,
        )
    raise ApplicationHandlerStop


async def _reply(update: Update, context: Context, html: str) -> None:
    message = update.effective_message
    if message is not None:
        await send_html(context.bot, message.chat_id, html)


async def help_command(update: Update, context: Context) -> None:
    """/start, /help: what the bot does, how to ask, and questions to try."""
    shared = bot_state(context)
    user = update.effective_user
    stats, titles = await asyncio.to_thread(_overview, shared.service)
    examples = [f"What happened: {shorten(title, 70)}?" for title in titles]
    html = help_html(
        stats,
        examples,
        bot_name=context.bot.username,
        admin=shared.access.is_admin(user.id if user else None),
    )
    await _reply(update, context, html)


def _overview(service: NewsService) -> tuple[IndexStats | None, list[str]]:
    try:
        return service.stats(), service.newest_titles(3)
    except NewsbotError as exc:
        log.warning("no index overview for /help: %s", exc)
        return None, []


async def sources_command(update: Update, context: Context) -> None:
    """/sources: the last answer's sources with their quotes."""
    await _reply(update, context, sources_html(chat_state(context).conversation.last))


def citation_number(args: Sequence[str], answer: Answer | None) -> int | str:
    """The N of `/source N`, or what to tell the user instead."""
    found = cited(answer, " ".join(args))
    if isinstance(found, Citation):
        return found.n
    if found.reason == "no answer":
        return "Ask a question first; then /source N shows the passage behind citation [N]."
    if found.reason == "no citations":
        return "The last answer has no citations."
    usage = f"Use /source N, where N is a citation number of the last answer: 1 to {found.count}."
    if found.reason == "no such citation":
        return f"There is no citation [{found.n}]. {usage}"
    return usage


async def source_command(update: Update, context: Context) -> None:
    """/source N: the full passage behind citation N of the last answer, with its file."""
    answer = chat_state(context).conversation.last
    n = citation_number(context.args or [], answer)
    if isinstance(n, str) or answer is None:
        await _reply(update, context, escape(str(n)))
        return
    await _reply(update, context, passage_html(answer.citations[n - 1], answer.passages))


async def reset_command(update: Update, context: Context) -> None:
    """/reset: forget this chat's conversation."""
    chat_state(context).conversation.reset()
    await _reply(update, context, "Done: I have forgotten this chat's conversation.")


def admin_only(handler: Handler) -> Handler:
    """Admin commands do nothing but say so for anyone else."""

    async def guarded(update: Update, context: Context) -> None:
        user = update.effective_user
        if not bot_state(context).access.is_admin(user.id if user else None):
            await _reply(update, context, "This command is only for the bot's admins.")
            return
        await handler(update, context)

    guarded.__doc__ = handler.__doc__
    return guarded


@admin_only
async def stats_command(update: Update, context: Context) -> None:
    """/stats: articles, chunks, embedding model, last index time; follows and alerts sent."""
    shared = bot_state(context)
    stats = await asyncio.to_thread(shared.service.stats)
    counts = await asyncio.to_thread(shared.follows.counts)
    await _reply(update, context, stats_html(stats) + counts_html(counts))


@admin_only
async def reindex_command(update: Update, context: Context) -> None:
    """/reindex: index new and changed articles, then report what changed."""
    shared = bot_state(context)
    if shared.reindexing.locked():
        await _reply(update, context, "Indexing is already running; I'll report when it's done.")
        return
    async with shared.reindexing:
        await _reply(update, context, "Indexing the articles…")
        summary = await asyncio.to_thread(shared.reindex)
        # Before the reply: the look brings the bot's catalogue up to date, so a question asked
        # on reading the reply is answered from the new articles, not the ones before.
        await look_for_news(shared)
    lines = [escape(summary.line())]
    lines += [f"skipped {escape(name)}: {escape(why)}" for name, why in summary.skipped[:20]]
    await _reply(update, context, "\n".join(lines))
    await deliver_pending(context.bot, shared)  # what the new articles matched goes out now


COMMANDS: dict[str, tuple[Handler, str]] = {
    "start": (help_command, "What this bot does"),
    "help": (help_command, "How to ask, with examples"),
    "sources": (sources_command, "The last answer's sources and quotes"),
    "source": (source_command, "The passage behind citation N: /source N"),
    "reset": (reset_command, "Forget this chat's conversation"),
    "follow": (follow_command, "Be sent new articles about a topic: /follow TOPIC"),
    "following": (following_command, "What you follow"),
    "unfollow": (unfollow_command, "Stop following topic N: /unfollow N"),
}
ADMIN_COMMANDS: dict[str, tuple[Handler, str]] = {
    "stats": (stats_command, "What is indexed"),
    "reindex": (reindex_command, "Index new and changed articles"),
}
