"""`newsbot chat` on a terminal: prompt_toolkit for the line, rich for the answer, Ctrl-C to stop.

The chat itself (commands, questions, the conversation) is `bot.terminal.chat.Chat`; this module
gives it a rich view and streams each answer as it is written.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.as_of import today
from bot.conversation import Turn
from bot.errors import NewsbotError, describe
from bot.results import Answer, Citation, shorten
from bot.service import IndexStats, NewsService
from bot.terminal.answer_thread import AnswerThread
from bot.terminal.chat import PROMPT, Chat, as_of_line
from bot.terminal.render import printable
from index.errors import EmptyIndex

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from rich.console import Console

log = logging.getLogger("newsbot.chat")


@dataclass
class RichView:
    """The chat's view on a terminal: rich text, and errors in red."""

    console: Console

    def answer(self, answer: Answer) -> None:
        from bot.terminal.render_rich import answer_view

        self.console.print(answer_view(answer))
        self.console.print()

    def sources(self, answer: Answer) -> None:
        from bot.terminal.render_rich import sources_view

        self.console.print(sources_view(answer))
        self.console.print()

    def source(self, answer: Answer, citation: Citation) -> None:
        from bot.terminal.render_rich import source_view

        self.console.print(source_view(answer, citation))
        self.console.print()

    def info(self, text: str) -> None:
        self.console.print(printable(text), style="dim", markup=False)

    def error(self, text: str) -> None:
        self.console.print(printable(f"error: {text}"), style="bold red", markup=False)


class TerminalChat:
    """The chat on a terminal: prompt_toolkit for the line, rich for the answer, Ctrl-C to stop."""

    def __init__(
        self,
        service: NewsService,
        console: Console,
        *,
        k: int | None,
        history_file: Path | None,
        as_of: date | None = None,
    ) -> None:
        self.service = service
        self.console = console
        self.k = k
        self.as_of = as_of  # `--as-of`; without it, the service decides (`bot.as_of`)
        self.history_file = history_file
        self.chat = Chat(RichView(console), self.ask)
        self._previous: AnswerThread | None = None

    def greet(self) -> None:
        try:
            stats = self.service.stats()
        except Exception as exc:
            self.chat.view.error(describe(exc))
            return
        self.console.print(printable(greeting(stats)), markup=False)
        if self.as_of is not None:
            self.console.print(as_of_line(self.as_of), style="yellow", markup=False)
        if not stats.articles:
            hint = describe(EmptyIndex())
            self.console.print(hint[:1].upper() + hint[1:], style="yellow", markup=False)
        self.console.print("Ask a question; /help lists the commands; Ctrl-D leaves.", style="dim")
        self.console.print()

    def ask(self, question: str, history: Sequence[Turn]) -> Answer | None:
        """The answer, streamed as it is written; None when Ctrl-C stopped it."""
        from bot.terminal.render_rich import answer_text

        if self._previous is not None and self._previous.thread.is_alive():
            # A stopped answer is still winding down; one service call at a time.
            with self.console.status("finishing the stopped answer…"):
                self._previous.thread.join()
        thread = AnswerThread(
            lambda: self.service.stream(question, history, as_of=self.as_of, now=today(), k=self.k)
        )
        self._previous = thread
        answer, draft = self._show_as_written(thread)
        if answer is not None:
            return answer
        if thread.stop.is_set():
            if draft:
                self.console.print(answer_text(draft), style="dim")
            self.console.print("(stopped)", style="yellow")
            self.console.print()
            return None
        raise NewsbotError("the answer ended before it was complete; please ask again")

    def _show_as_written(self, thread: AnswerThread) -> tuple[Answer | None, str]:
        """The final Answer (None if none came) and the text shown until then, drawn live."""
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        from bot.terminal.render_rich import answer_text

        draft = ""
        live = Live(
            Spinner("dots", Text("searching the articles…", style="dim")),
            console=self.console,
            transient=True,
            refresh_per_second=12,
            vertical_overflow="visible",
        )
        # Ctrl-C only sets a flag while an answer is produced: an exception could strike the
        # display halfway through drawing; the stream is closed at its next piece instead.
        previous_handler = signal.signal(signal.SIGINT, lambda *_: thread.stop.set())
        try:
            with live:
                for piece in thread.pieces():
                    if isinstance(piece, Answer):
                        return piece, draft
                    draft += piece
                    live.update(answer_text(draft), refresh=True)
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        return None, draft

    def run(self) -> int:
        """Greet, then answer line after line until Ctrl-D or /quit; the exit status."""
        session = self._prompt_session()
        self.greet()
        while True:
            try:
                line = session.prompt([("bold ansicyan", PROMPT)])
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt clears the line, as in a shell
            except EOFError:
                break
            try:
                if not self.chat.handle(line):
                    break
            except KeyboardInterrupt:
                self.console.print("(stopped)", style="yellow")
        self.console.print("Bye.", style="dim")
        return 0

    def _prompt_session(self) -> PromptSession[str]:
        """The line editor, with the questions of earlier chats for the up arrow when it can."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory
        from prompt_toolkit.output import ColorDepth

        history: History = InMemoryHistory()
        if self.history_file is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                # The questions asked are the user's own business.
                self.history_file.touch(mode=0o600)
                self.history_file.chmod(0o600)
                history = FileHistory(str(self.history_file))
            except OSError as exc:
                log.debug("question history not kept: %s", exc)
        return PromptSession(
            history=history,
            auto_suggest=AutoSuggestFromHistory(),
            color_depth=ColorDepth.MONOCHROME if self.console.no_color else None,
        )


def greeting(stats: IndexStats) -> str:
    """The first line: what is indexed (the newest article, when the index last changed), and
    what answers."""
    if stats.articles:
        newest = f", newest {stats.newest}" if stats.newest else ""
        if stats.newest and stats.newest_title:
            newest += f": {shorten(stats.newest_title, 60)}"
        indexed = f"{stats.articles} article{'s' if stats.articles != 1 else ''} indexed{newest}"
        if stats.indexed_at:
            indexed += f" · index changed {stats.indexed_at:%Y-%m-%d %H:%M}"
    else:
        indexed = "no articles indexed"
    if stats.answerer == "extractive":
        answerer = "extractive (quotes the best sentences; no model)"
    else:
        answerer = f"{stats.answerer} (generated, every citation checked)"
    return f"newsbot · {indexed} · answers: {answerer}"


def run_terminal(
    service: NewsService,
    *,
    history_file: Path | None,
    k: int | None = None,
    as_of: date | None = None,
    color: bool = True,
) -> int:
    from rich.console import Console

    console = Console(highlight=False, no_color=not color or None)
    return TerminalChat(service, console, k=k, history_file=history_file, as_of=as_of).run()
