"""`newsbot chat` as a person uses it: typed into a real pseudo-terminal, and fed lines from a pipe."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.conftest import _OUR_VARS, SEED_A, invoke_newsbot

PROMPT = "newsbot> "
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")
ROCKETS = "Which rocket systems were fired in the Straits of Malacca drills?"
# Refused on its own; answered as a follow-up to ROCKETS.
FOLLOW_UP = "Where were they fired?"


def screen_text(raw: str) -> str:
    """What a person would read: no escape codes, carriage returns or wrapping."""
    return " ".join(_ANSI.sub("", raw).replace("\r", "").split())


class Terminal:
    """`newsbot chat` in a pseudo-terminal, typed into line by line."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
        # The pty doesn't answer cursor-position requests, which prompt_toolkit would wait for.
        env |= {
            "NEWSBOT_DATA_DIR": str(data_dir),
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        env.pop("NO_COLOR", None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", "chat", *args],
            env=env,
            encoding="utf-8",
            dimensions=(50, 200),
            timeout=60,
        )
        self.child.delaybeforesend = None

    def until(self, pattern: str) -> str:
        """The screen text up to and including `pattern` (a regex)."""
        self.child.expect(pattern)
        return screen_text(self.child.before + self.child.after)

    def prompt(self) -> str:
        """The screen text up to the next prompt."""
        self.child.expect_exact(PROMPT)
        return screen_text(self.child.before)

    def type(self, line: str, until: str) -> str:
        """Type a line and Enter; the screen text from there to the prompt after `until` appears.

        prompt_toolkit redraws the prompt as the line is typed, so a prompt counts only once the
        output that the line should produce (`until`) has been seen.
        """
        self.child.sendline(line)
        return self.until(until) + " " + self.prompt()

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def data_dir(seeded_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded index, since the chat writes its question history there."""
    target = tmp_path / "chat-data"
    shutil.copytree(seeded_data_dir, target)
    return target


@pytest.fixture
def terminal(data_dir: Path) -> Iterator[Terminal]:
    term = Terminal(data_dir)
    yield term
    term.close()


def test_a_conversation_in_the_terminal(terminal: Terminal, data_dir: Path) -> None:
    greeting = terminal.prompt()
    assert "2 articles indexed, newest 2025-10-30" in greeting
    assert "answers: extractive" in greeting

    first = terminal.type(ROCKETS, r"Sources")
    assert "HIMARS" in first and "[1]" in first
    assert f"[1] {SEED_A}" in first

    follow_up = terminal.type(FOLLOW_UP, r"Sources|don't cover")
    assert "don't cover" not in follow_up
    assert "Straits of Malacca" in follow_up and "[1]" in follow_up

    sources = terminal.type("/sources", r"Sources")
    assert f"[1] {SEED_A}" in sources and "Straits of Malacca" in sources

    passage = terminal.type("/source 1", r"characters \d+–\d+")
    assert SEED_A in passage
    # The whole passage: more of the article than the cited sentence.
    assert "Minister Khaled" in passage or "Secretary Hegseth" in passage

    wrong = terminal.type("/source 9", r"error: [^\n]+")
    assert "use /source N with N from 1 to" in wrong

    cleared = terminal.type("/reset", r"Conversation cleared")
    assert "Conversation cleared" in cleared
    alone = terminal.type(FOLLOW_UP, r"Sources|don't cover")
    assert "don't cover" in alone, "after /reset the follow-up has nothing to follow"

    assert "unknown command /frobnicate" in terminal.type("/frobnicate", r"error: [^\n]+")

    terminal.child.sendline("/quit")
    terminal.child.expect("Bye.")
    terminal.child.expect(pexpect.EOF)
    terminal.child.close()
    assert terminal.child.exitstatus == 0

    history = (data_dir / "chat_history").read_text(encoding="utf-8")
    assert ROCKETS in history and FOLLOW_UP in history


@pytest.mark.slow
def test_ctrl_c_stops_the_answer_not_the_chat(terminal: Terminal, data_dir: Path) -> None:
    terminal.prompt()
    terminal.child.sendline("Which agreement was renewed?")
    # The spinner shows once the question has left the prompt and the answer is being produced.
    terminal.until(r"searching the articles")
    terminal.child.sendintr()
    stopped = terminal.until(r"\(stopped\)") + " " + terminal.prompt()
    assert "Sources" not in stopped and "Acquisition" not in stopped
    assert terminal.child.isalive()

    # Ctrl-C at the prompt only clears the line being typed.
    terminal.child.send("half a question")
    terminal.child.sendintr()
    answered = terminal.type("Which agreement was renewed?", r"Sources")
    assert "Acquisition and Cross-Servicing Agreement" in answered

    # Ctrl-D leaves; the question history is kept for the next session (the up arrow recalls it).
    terminal.child.sendeof()
    terminal.child.expect(pexpect.EOF)
    terminal.child.close()
    assert terminal.child.exitstatus == 0
    again = Terminal(data_dir)
    try:
        again.prompt()
        again.child.send("\x1b[A\r")
        recalled = again.until(r"Sources") + " " + again.prompt()
        assert "Acquisition and Cross-Servicing Agreement" in recalled
    finally:
        again.close()


def test_an_empty_index_says_how_to_build_it(tmp_path: Path) -> None:
    term = Terminal(tmp_path / "empty")
    try:
        greeting = term.prompt()
        assert "no articles indexed" in greeting and "newsbot index seeds/" in greeting
        # An error is one line, and the chat goes on.
        failed = term.type("Who met?", r"error: [^\n]+")
        assert "Traceback" not in failed and "newsbot index" in failed
        assert "/source N" in term.type("/help", r"/reset")
        term.child.sendline("/quit")
        term.child.expect(pexpect.EOF)
    finally:
        term.close()


def test_without_a_terminal_it_answers_line_by_line(data_dir: Path, tmp_path: Path) -> None:
    lines = f"/source 1\n{ROCKETS}\n\n{FOLLOW_UP}\n/sources\n/source 1\n?!\nWhat is the capital of France?\n"
    done = invoke_newsbot("chat", data_dir=data_dir, stdin=lines)
    assert "\x1b" not in done.stdout, "plain text in a pipe"
    blocks = done.stdout.split("\n\n")
    assert blocks[0] == "No sources yet: ask a question first."
    assert "HIMARS" in blocks[1]
    follow_up = next(b for b in blocks[2:] if "Straits of Malacca" in b)
    assert "[1]" in follow_up
    assert ">>" in done.stdout and "<<" in done.stdout  # /source 1 marks the quote in its passage
    refused = done.stdout.rsplit("don't cover that.", 1)[-1]
    assert "Closest articles:" in refused and "Sources" not in refused
    # A line that fails is one line on stderr; the rest are still answered, and the status says so.
    assert done.stderr.startswith("error: Please ask a question in words")
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.returncode == 1

    empty = invoke_newsbot("chat", data_dir=tmp_path / "empty", stdin="Who met?\n")
    assert empty.returncode == 1 and "newsbot index" in empty.stderr


def test_as_of_a_day_the_chat_leaves_out_what_was_published_after_it(data_dir: Path) -> None:
    # ROCKETS is answered from SEED_A alone, published on 2025-10-30 (see the tests above).
    piped = invoke_newsbot("chat", "--as-of", "2025-10-01", data_dir=data_dir, stdin=f"{ROCKETS}\n")
    assert piped.returncode == 0
    assert (
        piped.stderr
        == "note: Answering as of 2025-10-01: articles published after it are left out.\n"
    )
    assert "HIMARS" not in piped.stdout and SEED_A not in piped.stdout

    term = Terminal(data_dir, "--as-of", "2025-10-01")
    try:
        assert "Answering as of 2025-10-01" in term.prompt()
        answered = term.type(ROCKETS, r"Sources|don't cover")
        assert "HIMARS" not in answered and SEED_A not in answered
        term.child.sendline("/quit")
        term.child.expect(pexpect.EOF)
    finally:
        term.close()

    bad = invoke_newsbot("chat", "--as-of", "soon", data_dir=data_dir, stdin="")
    assert bad.returncode == 2 and "--as-of" in bad.stderr and "Traceback" not in bad.stderr


def test_the_chat_shows_the_short_answer_first_in_bold_and_marks_it_in_its_quote() -> None:
    from rich.console import Console

    from bot.results import Answer, Citation, ShortAnswer
    from bot.terminal.render_rich import SHORT, answer_view

    quote = "Jane Holloway took 58 percent of the vote."
    answer = Answer(
        question="Who won?",
        text=f"Jane Holloway: “{quote}” [1]",
        citations=(Citation(1, "a.txt", "Vote", None, quote, 0, len(quote), 1.0),),
        short_answer=ShortAnswer("Jane Holloway", 1, 0, 13),
    )
    console = Console(record=True, width=100, color_system="truecolor", force_terminal=True)
    console.print(answer_view(answer))
    plain = console.export_text(clear=False)
    assert plain.startswith("Jane Holloway: “Jane Holloway took")
    html = console.export_html(inline_styles=True)
    assert html.count("font-weight: bold") >= 2 and "text-decoration: underline" in html
    assert SHORT == "bold"
