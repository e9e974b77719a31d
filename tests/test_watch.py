"""`newsbot index --watch` as a process of its own, with a feed on loopback and a chat running beside
it: what a cycle finds is answerable in the chat without a restart."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.terminal.chat import HELP
from bot.terminal.watch import parse_duration
from tests.conftest import _OUR_VARS, OPT_IN, SEED_A, SEEDS
from tests.support.news_pages import LATE_STORY, STORIES, news_page, rss_feed
from tests.support.web_server import Route, WebServer

HARBOUR = STORIES[0]
FEED_TYPE = "application/rss+xml"


class Process:
    """A newsbot command running on its own, its output read line by line as it comes."""

    def __init__(self, args: list[str], data_dir: Path, *, stdin: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
        env["NEWSBOT_DATA_DIR"] = str(data_dir)
        env.update(OPT_IN)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, text: str, timeout: float = 60) -> str:
        """The first line from now on that holds `text`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} in {timeout} s: {self.seen}") from None
            self.seen.append(line)
            if text in line:
                return line

    def drain(self) -> list[str]:
        """Every line that came and was not read yet."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen

    def ask(self, question: str, timeout: float = 60) -> str:
        """The plain chat's answer to `question`, which may run over several paragraphs.

        `/help` follows the question, so its text marks where the answer ends.
        """
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{question}\n/help\n")
        self.proc.stdin.flush()
        first, last = HELP.splitlines()[0], HELP.splitlines()[-1]
        out: list[str] = []
        while (line := self.until("", timeout)) != last:
            out.append(line)
        return "\n".join(out[: out.index(first)]).strip()

    def stop(self, signum: int) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


@pytest.mark.slow
def test_a_new_feed_entry_is_answered_in_a_running_chat_within_one_cycle(
    tmp_path: Path, processes: list[Process]
) -> None:
    data = tmp_path / "data"
    with WebServer() as web:
        site = web.url("")
        web.route(
            "/feed.rss",
            Route(rss_feed([HARBOUR], full=True, site=site).encode(), FEED_TYPE, etag='"v1"'),
        )
        watcher = Process(["index", "--watch", "--every", "2s", web.url("/feed.rss")], data)
        processes.append(watcher)
        assert "1 added" in watcher.until("cycle 1:")
        chat = Process(["chat"], data, stdin=True)
        processes.append(chat)
        before = chat.ask(LATE_STORY.question)
        assert "Astrid Moen" not in before

        # The feed gains an entry.
        cycles_before = sum(" cycle " in line for line in watcher.drain())
        feed = rss_feed([HARBOUR, LATE_STORY], full=True, site=site)
        web.route("/feed.rss", Route(feed.encode(), FEED_TYPE, etag='"v2"'))
        line = watcher.until("1 added", timeout=30)
        number = int(line.split("cycle ", 1)[1].split(":", 1)[0])
        assert number <= cycles_before + 2, watcher.seen  # the cycle under way, or the next
        assert "1 unchanged" in line and "0 removed" in line

        after = chat.ask(LATE_STORY.question)
        assert "Astrid Moen" in after, after
        assert LATE_STORY.url(site) in after  # the source's link line

        assert watcher.stop(signal.SIGINT) == 0  # Ctrl-C
        assert watcher.until("stopped", timeout=5)
        assert chat.proc.stdin is not None
        chat.proc.stdin.close()
        assert chat.proc.wait(timeout=30) == 0


@pytest.mark.slow
def test_watching_a_folder_rereads_what_changed_and_removes_what_went(
    tmp_path: Path, processes: list[Process]
) -> None:
    folder, data = tmp_path / "articles", tmp_path / "data"
    folder.mkdir()
    (folder / SEED_A).write_bytes((SEEDS / SEED_A).read_bytes())
    page = folder / "harbour.html"
    page.write_text(news_page(HARBOUR, 0))
    watcher = Process(["index", "--watch", "--every", "1s", str(folder)], data)
    processes.append(watcher)
    assert "2 added" in watcher.until("cycle 1:")
    assert "0 added, 0 updated, 2 unchanged, 0 removed" in watcher.until("cycle 2:")
    (folder / SEED_A).unlink()
    page.write_text(news_page(HARBOUR, 1))  # the same story in another layout: a new file
    line = watcher.until("1 removed", timeout=30)
    assert "0 added" in line and "1 unchanged" in line  # the same article text: not embedded
    assert "0 chunks written" in line
    assert watcher.stop(signal.SIGTERM) == 0
    assert watcher.until("stopped", timeout=5)


def test_every_reads_durations() -> None:
    assert parse_duration("10m") == 600
    assert parse_duration("90s") == parse_duration("90") == 90
    assert parse_duration("1h30m") == 5400
    for bad in ("", "ten minutes", "0s", "5x"):
        with pytest.raises(ConfigError, match="--every"):
            parse_duration(bad)
