"""What newsbot prints and sends is safe to show: no terminal escapes from articles, no link cut on
Telegram, no secret (or a piece of one, or a case-changed copy) in a message, and the settings'
origin said at start-up. All through `newsbot` as a user runs it."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pexpect
import pytest

from bot.factory import build_indexer
from bot.settings import Settings
from tests.conftest import SEEDS, invoke_newsbot, run_newsbot
from tests.support.telegram_standin import TelegramStandIn, parse_telegram_html
from tests.test_telegram_cli import TOKEN, newsbot_telegram

TITLE_SET = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J\x1b[H"
ESCAPED = f"""Harbour of Velden reopens{TITLE_SET}

Published: 2025-11-03

The harbour of Velden reopened on Monday{CLEAR} after three weeks of storm repairs, the port authority said.\x9b2J The repairs to the north quay cost 4.2 million euros.\x07\x08
"""
QUESTION = "When did the harbour of Velden reopen?"
LONG_URL = "https://news.example/velden?" + "q=harbour&" * 410  # 4,128 characters


def leaks(text: str, secret: str, run: int = 8) -> list[str]:
    """Every run of `run` characters of `secret` found in `text`, in any case."""
    low = text.casefold()
    return [
        secret[i : i + run]
        for i in range(len(secret) - run + 1)
        if secret[i : i + run].casefold() in low
    ]


@pytest.fixture(scope="module")
def escaped_data(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Path:
    root = tmp_path_factory.mktemp("escapes")
    folder = root / "articles"
    shutil.copytree(SEEDS, folder)
    (folder / "velden.txt").write_text(ESCAPED, encoding="utf-8")
    record = {
        "id": "quay-7",
        "title": "Velden quay gets new cranes",
        "text": "Two new cranes were installed at the Velden container quay on Thursday, the port "
        "operator said. The cranes can lift 65 tonnes each.",
        "datePublished": "2025-11-04",
        "url": LONG_URL,
    }
    (folder / "cms.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    build_indexer(Settings(_env_file=None, data_dir=root / "data"), embedder).run([folder])  # type: ignore[arg-type]
    return root / "data"


def assert_no_escapes(text: str) -> None:
    for bad in ("\x1b]0;", "\x1b[2J", "\x9b", "\x07", "\x08"):
        assert bad not in text, repr(bad)


# --- terminal escapes in article text -----------------------------------------------------------


def test_ask_and_search_print_article_text_without_its_escapes(escaped_data: Path) -> None:
    for args in (("ask", QUESTION), ("ask", "--source-only", QUESTION), ("search", QUESTION)):
        done = invoke_newsbot(*args, data_dir=escaped_data)
        assert done.returncode == 0, done.stderr
        assert "Velden" in done.stdout
        assert_no_escapes(done.stdout + done.stderr)


def test_the_piped_chat_prints_article_text_without_its_escapes(
    escaped_data: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(escaped_data, data)
    done = invoke_newsbot("chat", data_dir=data, stdin=f"{QUESTION}\n/sources\n/source 1\n")
    assert done.returncode == 0, done.stderr
    assert "Velden" in done.stdout
    assert_no_escapes(done.stdout + done.stderr)


@pytest.mark.parametrize("command", [["ask", QUESTION], ["chat"]])
def test_the_rich_terminal_shows_article_text_without_its_escapes(
    escaped_data: Path, tmp_path: Path, command: list[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(escaped_data, data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "OPENAI_"))}
    env |= {"NEWSBOT_DATA_DIR": str(data), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable, ["-m", "bot", *command], env=env, encoding="utf-8", dimensions=(50, 200),
        timeout=90,
    )  # fmt: skip
    # Everything the terminal was sent, not only what came after the last match: the answer,
    # the sources and the passage are all checked for escapes.
    child.logfile_read = transcript = io.StringIO()
    try:
        if command == ["chat"]:
            child.expect_exact("> ")
            for line in (QUESTION, "/sources", "/source 1"):
                child.sendline(line)
                child.expect("Velden")
                child.expect_exact("> ")
            child.sendline("/quit")
        child.expect(pexpect.EOF)
        seen = transcript.getvalue()
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert "Velden" in seen
    assert "\x1b]0;pwned" not in seen and "\x1b[2J" not in seen and "\x9b" not in seen


# --- Telegram: a link longer than a message ---------------------------------------------------


@pytest.mark.slow
def test_a_citation_with_a_4100_character_link_reaches_telegram_whole(escaped_data: Path) -> None:
    with TelegramStandIn(TOKEN) as standin:
        with newsbot_telegram(escaped_data, standin) as bot:
            standin.wait_polling(120)
            standin.push_message(
                9, "How much can the new cranes at the Velden container quay lift?"
            )
            replies = standin.wait_for(
                lambda: [m for m in standin.sent(9) if "Sources" in m.text], timeout=120
            )
            standin.settle()
            bot.send_signal(signal.SIGTERM)
            bot.communicate(timeout=60)
        sent = standin.sent(9)
    visible = "".join(parse_telegram_html(m.text).text for m in sent)
    assert "Velden container quay" in visible and "Velden quay gets new cranes" in visible
    assert "Sorry" not in visible
    assert all(LONG_URL not in link for m in replies for link in parse_telegram_html(m.text).links)


# --- secrets ----------------------------------------------------------------------------------


class _Quoting(ThreadingHTTPServer):
    """An HTTP server on loopback whose every answer is `status` with a JSON body `body`."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def __enter__(self) -> _Quoting:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def quoting_chroma() -> Iterator[tuple[_Quoting, str]]:
    """A "Chroma server" behind a proxy that quotes the token back, where a cut at 200 characters
    falls inside it, and again upper-cased."""
    token = "chroma-proxy-TOKEN-0123456789abcdefXYZ"
    message = "x" * 130 + " Bearer " + token + " / " + token.upper()
    with _Quoting(401, {"error": "Unauthorized", "message": message}) as server:
        yield server, token


def test_a_chroma_error_quoting_the_token_shows_none_of_it(
    quoting_chroma: tuple[_Quoting, str], tmp_path: Path
) -> None:
    server, token = quoting_chroma
    env = {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(server.server_address[1]),
        "CHROMA_AUTH_TOKEN": token,
        "NEWSBOT_DEBUG": "1",
    }
    done = invoke_newsbot("ask", QUESTION, data_dir=tmp_path / "data", env=env)
    assert done.returncode == 1
    assert "could not open the Chroma server" in done.stderr
    assert "***" in done.stderr
    assert not leaks(done.stdout + done.stderr, token)


# About 20 s; the token is kept out of what the bot prints by tests/test_telegram_cli.py too.
@pytest.mark.slow
def test_a_bot_api_error_quoting_the_token_upper_cased_shows_none_of_it(
    seeded_data_dir: Path,
) -> None:
    token = TOKEN
    description = f"Bad Gateway: upstream HTTP://API/BOT{token.upper()}/GETME failed"
    with _Quoting(502, {"ok": False, "error_code": 502, "description": description}) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        done = run_newsbot(
            "telegram",
            data_dir=seeded_data_dir,
            env={"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": url, "NEWSBOT_DEBUG": "1"},
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr.splitlines()[-1]
    assert not leaks(done.stdout + done.stderr, token.split(":")[1])


# --- where the settings came from -------------------------------------------------------------


@pytest.mark.slow
def test_telegram_says_which_env_file_it_read_and_a_planted_bot_api(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    with TelegramStandIn(TOKEN) as standin:
        env_file = tmp_path / ".env"
        env_file.write_text(f"TELEGRAM_API_BASE_URL={standin.url}\n", encoding="utf-8")
        bot = run_newsbot_in(
            tmp_path, "telegram", data_dir=seeded_data_dir, env={"TELEGRAM_BOT_TOKEN": TOKEN}
        )
        try:
            standin.wait_polling(120)
        finally:
            bot.send_signal(signal.SIGTERM)
            _, err = bot.communicate(timeout=60)
    assert f"settings: read {env_file.resolve()}" in err
    assert f"settings: the Bot API is at {standin.url}" in err
    assert TOKEN.split(":")[1] not in err


def test_chat_says_which_env_file_it_read_and_the_model_host_but_ask_json_stays_clean(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "OPENAI_BASE_URL=http://user:pw@127.0.0.9:9/v1\nNEWSBOT_LLM_RETRIES=0\n", encoding="utf-8"
    )
    data = tmp_path / "data"
    shutil.copytree(seeded_data_dir, data)
    chat = invoke_newsbot("chat", data_dir=data, stdin="")
    assert f"settings: read {(tmp_path / '.env').resolve()}" in chat.stderr
    assert "settings: the model is at http://127.0.0.9:9" in chat.stderr
    assert "pw" not in chat.stderr
    done = invoke_newsbot("ask", "--json", "Which agreement was renewed?", data_dir=data)
    json.loads(done.stdout)  # stdout is the JSON object alone
    assert "settings:" not in done.stdout


def run_newsbot_in(
    cwd: Path, *args: str, data_dir: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSBOT_", "OPENAI_", "TELEGRAM_"))
    }
    base |= {"NEWSBOT_DATA_DIR": str(data_dir), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=base, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
