"""`newsbot chat`: a conversation about the articles in the terminal, or one question a line from a pipe.

The chat owns only the conversation (recent turns, the last answer) and its rendering; every answer
comes from `NewsService`, which keeps no state, so the turns are passed in with each question.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from bot.answer import Answer, Citation, Turn
from bot.conversation import Conversation
from bot.errors import NewsbotError, describe
from bot.service import IndexStats, NewsService
from bot.terminal.render import answer_as_text, passage_of, sources_lines, sources_with_quotes
from index.errors import EmptyIndex

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger("newsbot.chat")

PROMPT = "newsbot> "
HELP = """\
Ask a question about the articles; a follow-up question uses the conversation.
  /sources     the sources of the last answer, with their quotes
  /source N    the whole passage behind citation [N], and its file
  /reset       forget the conversation and start afresh
  /help        this help
  /quit        leave (Ctrl-D does too)
Ctrl-C stops an answer while it is being produced."""


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""


def parse_command(line: str) -> Command | None:
    """`/source 2` → Command("source", "2"); anything not starting with a slash is a question."""
    if not line.startswith("/"):
        return None
    name, _, argument = line[1:].partition(" ")
    return Command(name.strip().lower(), argument.strip())


class View(Protocol):
    """How a chat shows things: rich on a terminal, plain lines in a pipe."""

    def answer(self, answer: Answer) -> None: ...
    def sources(self, answer: Answer) -> None: ...
    def source(self, answer: Answer, citation: Citation) -> None: ...
    def info(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...


@dataclass
class Chat:
    """Reads one line at a time: a command, or a question answered with the conversation so far."""

    service: NewsService
    view: View
    ask: Callable[[str, list[Turn]], Answer | None]
    conversation: Conversation = field(default_factory=Conversation)
    errors: int = 0

    def handle(self, line: str) -> bool:
        """Act on one line; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        try:
            command = parse_command(line)
            if command is not None:
                return self.run_command(command)
            answer = self.ask(line, list(self.conversation.turns))
            if answer is not None:
                self.conversation.record(answer)
                self.view.answer(answer)
        except Exception as exc:
            self.errors += 1
            self.view.error(describe(exc))
        return True

    def run_command(self, command: Command) -> bool:
        name, last = command.name, self.conversation.last
        if name in {"quit", "exit", "q"}:
            return False
        if name in {"help", "h", "?"}:
            self.view.info(HELP)
        elif name == "reset":
            self.conversation.reset()
            self.view.info("Conversation cleared: the next question starts afresh.")
        elif name in {"sources", "source"} and (last is None or not last.citations):
            self.view.info(
                "No sources yet: ask a question first."
                if last is None
                else "The last answer has no sources: the articles don't cover it."
            )
        elif name == "sources" and last is not None:
            self.view.sources(last)
        elif name == "source" and last is not None:
            citation = _citation(last, command.argument)
            if citation is None:
                self.errors += 1
                self.view.error(f"use /source N with N from 1 to {len(last.citations)}")
            else:
                self.view.source(last, citation)
        else:
            self.errors += 1
            self.view.error(f"unknown command /{name}: /help lists the commands")
        return True


def _citation(answer: Answer, argument: str) -> Citation | None:
    number = argument.strip().strip("[]")
    if not number.isdigit():
        return None
    return next((c for c in answer.citations if c.n == int(number)), None)


# --- plain: no terminal, one question a line --------------------------------------------------


@dataclass
class PlainView:
    out: TextIO
    err: TextIO

    def answer(self, answer: Answer) -> None:
        self._print(answer_as_text(answer) + "\n")

    def sources(self, answer: Answer) -> None:
        self._print(sources_with_quotes(answer) + "\n")

    def source(self, answer: Answer, citation: Citation) -> None:
        excerpt = passage_of(answer, citation)
        header = sources_lines(answer)[citation.n - 1]
        where = f"characters {citation.start}-{citation.end}, marked >> <<"
        self._print(f"{header}\n{where}\n\n{excerpt.before}>>{excerpt.quote}<<{excerpt.after}\n")

    def info(self, text: str) -> None:
        self._print(text + "\n")

    def error(self, text: str) -> None:
        print(f"error: {text}", file=self.err, flush=True)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def run_plain(
    service: NewsService, lines: Iterable[str], out: TextIO, err: TextIO, *, k: int | None = None
) -> int:
    """Answer each line of `lines` in turn; exit status 1 if any line failed, else 0."""
    stats = service.stats()
    if not stats.articles:
        print(f"error: {describe(EmptyIndex())}", file=err)
        return 1

    def ask(question: str, history: list[Turn]) -> Answer:
        return service.answer(question, history, as_of=date.today(), k=k)

    chat = Chat(service, PlainView(out, err), ask)
    for line in lines:
        if not chat.handle(line):
            break
    return 1 if chat.errors else 0


# --- the terminal -----------------------------------------------------------------------------


@dataclass
class RichView:
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
        self.console.print(text, style="dim", markup=False)

    def error(self, text: str) -> None:
        self.console.print(f"error: {text}", style="bold red", markup=False)


class _Producer:
    """Runs one `NewsService.stream` in a thread, so Ctrl-C leaves at once and the service is never
    cut off halfway: a stopped stream is closed at its next piece and what it still yields is
    dropped."""

    def __init__(self, stream: Callable[[], Iterator[str | Answer]]) -> None:
        self._stream = stream
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="newsbot-answer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            pieces = self._stream()
            try:
                for piece in pieces:
                    if self.stop.is_set():
                        break
                    self._queue.put(("piece", piece))
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:
            self._queue.put(("error", exc))
        else:
            self._queue.put(("done", None))

    def pieces(self) -> Iterator[str | Answer]:
        """What the stream yields, as it comes, until it ends or `stop` is set."""
        while not self.stop.is_set():
            # Short waits, so that a stop (Ctrl-C) is seen at once.
            try:
                kind, value = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            if kind == "done":
                return
            assert isinstance(value, str | Answer)
            yield value


class TerminalChat:
    """The chat on a terminal: prompt_toolkit for the line, rich for the answer, Ctrl-C to stop."""

    def __init__(
        self, service: NewsService, console: Console, *, k: int | None, history_file: Path | None
    ) -> None:
        self.service = service
        self.console = console
        self.k = k
        self.history_file = history_file
        self.chat = Chat(service, RichView(console), self.ask)
        self._previous: _Producer | None = None

    def greet(self) -> None:
        try:
            stats = self.service.stats()
        except Exception as exc:
            self.chat.view.error(describe(exc))
            return
        self.console.print(greeting(stats), markup=False)
        if not stats.articles:
            hint = describe(EmptyIndex())
            self.console.print(hint[:1].upper() + hint[1:], style="yellow", markup=False)
        self.console.print("Ask a question; /help lists the commands; Ctrl-D leaves.", style="dim")
        self.console.print()

    def ask(self, question: str, history: list[Turn]) -> Answer | None:
        """The answer, streamed as it is written; None when Ctrl-C stopped it."""
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        from bot.terminal.render_rich import answer_text

        if self._previous is not None and self._previous.thread.is_alive():
            # A stopped answer is still winding down; one service call at a time.
            with self.console.status("finishing the stopped answer…"):
                self._previous.thread.join()
        producer = _Producer(
            lambda: self.service.stream(question, history, as_of=date.today(), k=self.k)
        )
        self._previous = producer
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
        previous_handler = signal.signal(signal.SIGINT, lambda *_: producer.stop.set())
        try:
            with live:
                for piece in producer.pieces():
                    if isinstance(piece, Answer):
                        return piece
                    draft += piece
                    live.update(answer_text(draft), refresh=True)
        finally:
            signal.signal(signal.SIGINT, previous_handler)
        if producer.stop.is_set():
            if draft:
                self.console.print(answer_text(draft), style="dim")
            self.console.print("(stopped)", style="yellow")
            self.console.print()
            return None
        raise NewsbotError("the answer ended before it was complete; please ask again")

    def run(self) -> int:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory
        from prompt_toolkit.output import ColorDepth

        history: History = InMemoryHistory()
        if self.history_file is not None:
            try:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                self.history_file.touch()
                history = FileHistory(str(self.history_file))
            except OSError as exc:
                log.debug("question history not kept: %s", exc)
        session: PromptSession[str] = PromptSession(
            history=history,
            auto_suggest=AutoSuggestFromHistory(),
            color_depth=ColorDepth.MONOCHROME if self.console.no_color else None,
        )
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


def greeting(stats: IndexStats) -> str:
    """The first line: what is indexed, and what answers."""
    if stats.articles:
        newest = f", newest {stats.newest}" if stats.newest else ""
        indexed = f"{stats.articles} article{'s' if stats.articles != 1 else ''} indexed{newest}"
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
    color: bool = True,
) -> int:
    from rich.console import Console

    console = Console(highlight=False, no_color=not color or None)
    return TerminalChat(service, console, k=k, history_file=history_file).run()
