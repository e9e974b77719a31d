"""Wiring python-telegram-bot's Application: handlers, rate limiter, error handler, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from pydantic import SecretStr
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.errors import ConfigError, NewsbotError, describe
from bot.rate_limit import QuestionRateLimiter
from bot.redaction import cut, protect
from bot.service import NewsService
from bot.settings import Settings
from bot.telegram.access import AccessPolicy
from bot.telegram.delivery import send_html
from bot.telegram.follows import follows_job
from bot.telegram.formatting import escape
from bot.telegram.handlers import ADMIN_COMMANDS, COMMANDS, gate
from bot.telegram.questions import on_question
from bot.telegram.state import BotState, ChatState, Context
from index.indexing import IndexSummary

log = logging.getLogger(__name__)
BotApp: TypeAlias = Application[
    ExtBot[int], Context, dict[Any, Any], ChatState, dict[Any, Any], JobQueue[Any]
]
UPDATES = [Update.MESSAGE]
# Blocking work (retrieval, answering) runs in worker threads. Waiting on a model server must not
# hold up other chats, so a generating bot has many; extractive answers are pure CPU, where more
# threads than cores only make every answer finish late instead of most of them early.
MODEL_WORKERS = 16
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def build_application(
    settings: Settings,
    service: NewsService,
    reindex: Callable[[], IndexSummary],
    *,
    announce: Callable[[str], None] | None = None,
) -> BotApp:
    """The bot, ready to run: `reindex` re-runs the incremental index for /reindex."""
    token = check_token(settings)
    protect_secrets(token, settings.telegram_webhook_secret)
    workers = worker_count(service)

    async def post_init(app: BotApp) -> None:
        unquiet_library_log()
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(workers, thread_name_prefix="newsbot")
        )
        await _register_commands(app, settings.telegram_admin_users)
        if announce:
            announce(f"newsbot is answering on Telegram as @{app.bot.username}")

    root = settings.telegram_api_base_url
    app: BotApp = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(chat_data=ChatState))
        .rate_limiter(AIORateLimiter(max_retries=5))
        .concurrent_updates(True)
        .post_init(post_init)
        .build()
    )
    _bot_state(settings, service, reindex).install(app.bot_data)
    _add_handlers(app)
    _schedule_follows(app, settings.follow_poll)
    return app


def protect_secrets(token: str, webhook_secret: SecretStr | None) -> None:
    """Mask the bot token and the webhook secret in every log line from now on."""
    protect(token)
    protect(token.partition(":")[2])  # the part after the bot id is what must stay secret
    if webhook_secret:
        protect(webhook_secret.get_secret_value())


def worker_count(service: NewsService) -> int:
    """Threads for blocking work: one a core for extractive answers, MODEL_WORKERS with a model."""
    return (os.cpu_count() or 2) if service.answerer_name == "extractive" else MODEL_WORKERS


def _schedule_follows(app: BotApp, every: float) -> None:
    """Look for new articles that match a follow every `every` seconds, from the bot's start."""
    if app.job_queue is None:  # pragma: no cover - python-telegram-bot[job-queue] is a dependency
        raise ConfigError("python-telegram-bot was installed without its job queue")
    app.job_queue.run_repeating(follows_job, interval=every, first=0.0, name="follows")


def _bot_state(
    settings: Settings, service: NewsService, reindex: Callable[[], IndexSummary]
) -> BotState:
    from bot.factory import build_follows

    return BotState(
        service=service,
        access=AccessPolicy(
            allowed_users=frozenset(settings.telegram_allowed_users),
            allowed_chats=frozenset(settings.telegram_allowed_chats),
            admins=frozenset(settings.telegram_admin_users),
        ),
        limiter=QuestionRateLimiter(settings.telegram_questions_per_minute),
        reindex=reindex,
        follows=build_follows(settings, service.retriever),
    )


def _add_handlers(app: BotApp) -> None:
    """The access gate first, then the commands and questions, and the last-chance error handler."""
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, (handler, _) in (COMMANDS | ADMIN_COMMANDS).items():
        app.add_handler(CommandHandler(name, handler))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_question))
    app.add_error_handler(on_error)


async def _register_commands(app: BotApp, admins: set[int]) -> None:
    """The command menu; admins see their commands too, in their private chat with the bot."""
    public = [BotCommand(name, about) for name, (_, about) in COMMANDS.items()]
    admin = public + [BotCommand(name, about) for name, (_, about) in ADMIN_COMMANDS.items()]
    try:
        await app.bot.set_my_commands(public)
        for user_id in admins:
            await app.bot.set_my_commands(admin, scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        # The menu is a convenience: the commands work without it.
        log.warning("could not register the command menu: %s", exc)


async def on_error(update: object, context: Context) -> None:
    """Log the error with its traceback; tell the user briefly; keep running."""
    error = context.error
    if isinstance(error, NewsbotError):
        log.warning("%s", error)
        text = escape(describe(error))
    else:
        log.error("error while handling an update", exc_info=error)
        text = APOLOGY
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await send_html(context.bot, update.effective_chat.id, text)
        except TelegramError as exc:
            log.warning("could not send the apology: %s", exc)


def check_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in "
            "TELEGRAM_BOT_TOKEN (environment or .env)."
        )
    return settings.telegram_bot_token.get_secret_value().strip()


def run_bot(
    settings: Settings,
    *,
    folders: Sequence[Path] = (),
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run until interrupted: long polling, or a webhook server behind a proxy at `webhook_url`.

    `folders` are what /reindex indexes again (default: seeds/).
    """
    check_token(settings)
    from bot.factory import build_indexer, build_service

    service = build_service(settings)
    roots = list(folders) or [Path("seeds")]

    def reindex() -> IndexSummary:
        return build_indexer(settings, service.embedder).run(roots)

    app = build_application(settings, service, reindex, announce=announce)
    quiet_library_log()
    with start_errors(settings):
        if webhook_url:
            _run_webhook(app, settings, webhook_url, listen=listen, port=port)
        else:
            app.run_polling(allowed_updates=UPDATES, bootstrap_retries=5)


def _run_webhook(
    app: BotApp, settings: Settings, webhook_url: str, *, listen: str, port: int
) -> None:
    """Serve the webhook; Telegram proves each update is its own with the secret set here."""
    secret = (
        settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret
        else secrets.token_urlsafe(32)
    )
    protect(secret)
    app.run_webhook(
        listen=listen,
        port=port,
        url_path=urlsplit(webhook_url).path.lstrip("/"),
        webhook_url=webhook_url,
        secret_token=secret,
        allowed_updates=UPDATES,
        bootstrap_retries=5,
    )


@contextmanager
def start_errors(settings: Settings) -> Iterator[None]:
    """A bot that can't start says why in one ConfigError: the token, or the way to Telegram."""
    try:
        yield
    except InvalidToken:
        raise ConfigError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather."
        ) from None
    except NetworkError as exc:
        raise ConfigError(
            f"could not reach the Telegram Bot API at {settings.telegram_api_base_url} "
            f"({cut(str(exc), 200)})"
        ) from None


# A failed start is reported in one line (start_errors), not as python-telegram-bot's tracebacks;
# once the bot is up, the library logs as configured again.
def quiet_library_log() -> None:
    logging.getLogger("telegram.ext").setLevel(logging.CRITICAL)


def unquiet_library_log() -> None:
    logging.getLogger("telegram.ext").setLevel(logging.NOTSET)
