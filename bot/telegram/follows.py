"""/follow, /following, /unfollow, and the job that delivers what a follow matched.

The handlers parse and render; `bot.follows.service` decides what is followed, what matches and
what is sent. Alerts come in the follower's private chat with the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut

from bot.as_of import today
from bot.errors import NewsbotError
from bot.follows.service import (
    TELEGRAM,
    Alert,
    Batch,
    Follow,
    FollowService,
    telegram_chat,
    telegram_follower,
)
from bot.follows.store import Counts
from bot.telegram.delivery import send_html
from bot.telegram.formatting import citation_block, escape, linked
from bot.telegram.state import BotState, Context, bot_state

log = logging.getLogger(__name__)
FOLLOW_USAGE = "Use /follow TOPIC, a question or a few words: /follow harbour strike in Velden"
UNFOLLOW_USAGE = "Use /unfollow N, where N is the number /following shows"


async def _reply(update: Update, context: Context, html: str) -> None:
    message = update.effective_message
    if message is not None:
        await send_html(context.bot, message.chat_id, html)


def _private_follower(update: Update) -> str | None:
    """The follower key of the sender of a message in a private chat; None elsewhere."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    return telegram_follower(user.id)


async def follow_command(update: Update, context: Context) -> None:
    """/follow TOPIC: be sent each new article about TOPIC."""
    follower = _private_follower(update)
    if follower is None:
        await _reply(update, context, "Follow topics in a private chat with me: alerts come there.")
        return
    text = " ".join(context.args or [])
    if not text.strip():
        await _reply(update, context, escape(FOLLOW_USAGE))
        return
    message = update.effective_message
    day = message.date.date() if message is not None else today()
    follows = _follows(context)
    follow = await asyncio.to_thread(follows.follow, follower, text, today=day)
    await _reply(
        update,
        context,
        f"Following “{escape(follow.topic)}”: I'll send you each new article about it. "
        "/following lists what you follow.",
    )


async def following_command(update: Update, context: Context) -> None:
    """/following: what you follow, numbered, with when each was added."""
    follower = _private_follower(update)
    found = await asyncio.to_thread(_follows(context).following, follower) if follower else []
    await _reply(update, context, following_html(found))


def following_html(follows: Sequence[Follow]) -> str:
    if not follows:
        return "You follow nothing yet. " + escape(FOLLOW_USAGE)
    lines = [
        f"{n}. {escape(f.topic)} (added {f.added_at:%Y-%m-%d %H:%M} UTC)"
        for n, f in enumerate(follows, 1)
    ]
    return "<b>You follow</b>\n" + "\n".join(lines) + "\n\n/unfollow N stops one."


async def unfollow_command(update: Update, context: Context) -> None:
    """/unfollow N: stop following topic N of /following."""
    follower = _private_follower(update)
    args = context.args or []
    if follower is None or len(args) != 1 or not args[0].isdigit():
        await _reply(update, context, escape(UNFOLLOW_USAGE) + ".")
        return
    gone = await asyncio.to_thread(_follows(context).unfollow_nth, follower, int(args[0]))
    if gone is None:
        await _reply(update, context, f"There is no follow {escape(args[0])}. {UNFOLLOW_USAGE}.")
        return
    await _reply(update, context, f"Stopped following “{escape(gone.topic)}”.")


def _follows(context: Context) -> FollowService:
    return bot_state(context).follows


def counts_html(counts: Counts) -> str:
    """The follows' lines of /stats."""
    return (
        f"\n\n<b>Follows</b>\nFollows: {counts.follows}\nFollowers: {counts.followers}\n"
        f"Alerts sent: {counts.alerts_sent}"
    )


# --- the job -------------------------------------------------------------------------------------


async def follows_job(context: Context) -> None:
    """The JobQueue's repeating job: look for new articles, then deliver what matched."""
    shared = bot_state(context)
    if not shared.following.locked():  # a run is under way: it does what this one would
        await run_follows(context.bot, shared)


async def run_follows(bot: Bot, shared: BotState) -> None:
    """Match what the index added since the handled version, then deliver every pending alert."""
    await look_for_news(shared)
    await deliver_pending(bot, shared)


async def look_for_news(shared: BotState) -> None:
    """Write the alerts for what changed in the index since the handled version; one look at a
    time (the job, and /reindex right after indexing)."""
    async with shared.following:
        try:
            written = await asyncio.to_thread(shared.follows.check)
        except NewsbotError as exc:
            log.warning("follows: could not look for new articles: %s", exc)
        else:
            if written:
                log.info("follows: %d new alerts", written)


async def deliver_pending(bot: Bot, shared: BotState) -> None:
    """Send every alert not yet sent to a Telegram follower, one delivery at a time."""
    async with shared.following:
        dropped: set[str] = set()
        for batch in await asyncio.to_thread(shared.follows.pending, TELEGRAM):
            if batch.follower not in dropped and not await _deliver(bot, shared, batch):
                dropped.add(batch.follower)


async def _deliver(bot: Bot, shared: BotState, batch: Batch) -> bool:
    """Send one follower's batch, marking each message's alerts sent as it goes; False when the
    follower blocked the bot and was dropped."""
    chat = telegram_chat(batch.follower)
    follows = shared.follows
    if not shared.access.allows(chat, chat):  # no longer allowed: nothing is sent to them
        await asyncio.to_thread(follows.sent, batch.ids)
        return True
    messages = [(alert_html(a), [a.id]) for a in batch.alerts]
    if batch.more:
        messages.append((digest_html(batch), [a.id for a in batch.more]))
    for html, ids in messages:
        try:
            await send_html(bot, chat, html)
        except Forbidden as exc:
            log.info("follows: dropping a follower who blocked the bot (%s)", exc.message)
            await asyncio.to_thread(follows.drop, batch.follower)
            return False
        except TimedOut as exc:
            # The message may have arrived: it is marked sent, so it never comes twice.
            log.warning("follows: an alert timed out, perhaps delivered: %s", exc)
        except BadRequest as exc:
            log.warning("follows: Telegram refused an alert: %s", exc.message)
        except (NetworkError, TelegramError) as exc:
            log.warning("follows: alerts left for the next run: %s", exc)
            return True
        await asyncio.to_thread(follows.sent, ids)
    return True


def alert_html(alert: Alert) -> str:
    """One matching article: the topic, its source line (title, link, file, date) and quote."""
    return f"New on “{escape(alert.topic)}”:\n\n{citation_block(alert.citation)}"


def digest_html(batch: Batch) -> str:
    """The digest after the best alerts of one run: a line per topic with the other titles."""
    lines = []
    for topic, alerts in batch.more_by_topic().items():
        n = len(alerts)
        titles = "; ".join(linked(a.citation.title, a.citation.url) for a in alerts)
        noun = "article matches" if n == 1 else "articles match"
        lines.append(f"…and {n} more {noun} “{escape(topic)}”: {titles}")
    return "\n".join(lines)
