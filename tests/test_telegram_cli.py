"""`newsbot telegram` as a person runs it: a subprocess against the Bot API stand-in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import SEED_A, run_newsbot
from tests.support.telegram_standin import BOT_USERNAME, TelegramStandIn, parse_telegram_html

TOKEN = "5151515151:AAF-cli-test-token_keep-it-secret"


@contextmanager
def newsbot_telegram(
    data_dir: Path, standin: TelegramStandIn, *args: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """`python -m bot telegram ARGS` pointed at the stand-in; stopped with SIGTERM on exit."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    full_env |= {
        "NEWSBOT_DATA_DIR": str(data_dir),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.url,
        **(env or {}),
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "telegram", *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield bot
    finally:
        if bot.poll() is None:
            bot.send_signal(signal.SIGTERM)
        bot.wait(60)


def main_case(data_dir: Path, env: dict[str, str] | None = None) -> None:
    """A question asked over polling gets a cited answer; the bot stops cleanly; no token logged.

    Other tests call this with other settings (a Chroma server, say).
    """
    with TelegramStandIn(TOKEN) as standin:
        with newsbot_telegram(data_dir, standin, env={"NEWSBOT_DEBUG": "1", **(env or {})}) as bot:
            standin.wait_polling(120)
            standin.push_message(5, "Which rocket systems were fired in the Straits of Malacca?")
            (reply,) = standin.wait_for(
                lambda: [m for m in standin.sent(5) if "Sources" in m.text], timeout=120
            )
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=60)
        visible = parse_telegram_html(reply.text).text
        assert "HIMARS" in visible and "[1]" in visible and SEED_A in visible
        assert bot.returncode == 0, err[-2000:]
        assert f"newsbot is answering on Telegram as @{BOT_USERNAME}" in err
        # NEWSBOT_DEBUG logs every request python-telegram-bot makes, yet never the token.
        assert "getUpdates" in err and TOKEN not in err + out
        assert TOKEN.split(":")[1] not in err + out


@pytest.mark.slow
def test_polling_bot_answers_and_never_logs_its_token(seeded_data_dir: Path) -> None:
    main_case(seeded_data_dir)


def test_missing_token_is_one_clear_line(seeded_data_dir: Path) -> None:
    done = run_newsbot("telegram", data_dir=seeded_data_dir)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in "
        "TELEGRAM_BOT_TOKEN (environment or .env)."
    ]


def test_rejected_token_is_reported_without_echoing_it(seeded_data_dir: Path) -> None:
    with TelegramStandIn("1:the-real-token") as standin:
        done = run_newsbot(
            "telegram",
            data_dir=seeded_data_dir,
            env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": standin.url},
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather."
    )
    assert "Traceback" not in done.stderr
    assert TOKEN.split(":")[1] not in done.stderr + done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_listening(port: int, timeout: float = 60.0) -> None:
    # The bot registers its webhook just before its server starts listening.
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _post(url: str, update: dict[str, object], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(update).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_webhook_accepts_only_updates_with_the_secret_token(seeded_data_dir: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/newsbot-hook"
    secret = "webhook-secret_0123456789"
    with (
        TelegramStandIn(TOKEN) as standin,
        newsbot_telegram(
            seeded_data_dir,
            standin,
            "--webhook",
            url,
            "--port",
            str(port),
            env={"TELEGRAM_WEBHOOK_SECRET": secret},
        ),
    ):
        registered = standin.wait_for(lambda: standin.webhook, timeout=120)
        assert registered["url"] == url and registered["secret_token"] == secret
        _wait_listening(port)
        question = "Where will they meet next year?"
        assert _post(url, standin.new_update(31, question), None) == 403
        assert _post(url, standin.new_update(32, question), "wrong-secret") == 403
        assert _post(url, standin.new_update(33, question), secret) == 200
        (answer,) = standin.wait_sent(33, timeout=120)
        assert "Pentagon" in answer.visible
        standin.settle()
        assert standin.sent(31) == [] and standin.sent(32) == []
        assert not standin.calls_to("getUpdates")
