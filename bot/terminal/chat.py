"""`newsbot chat`, line by line: commands and questions, and the plain view for a pipe.

The chat owns only the conversation (recent turns, the last answer) and how it is shown; every
answer comes from `NewsService`, which keeps no state, so the turns are passed in with each question.
On a terminal, `bot.terminal.console` shows the same chat with rich text and prompt_toolkit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TextIO

from bot.as_of import today
from bot.conversation import Conversation, Turn, cited
from bot.errors import describe
from bot.results import Answer, Citation
from bot.service import NewsService
from bot.terminal.render import (
    answer_as_text,
    passage_of,
    printable,
    sources_lines,
    sources_with_quotes,
)
from index.errors import EmptyIndex

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

    view: View
    ask: Callable[[str, Sequence[Turn]], Answer | None]
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
            answer = self.ask(line, self.conversation.history())
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
            citation = cited(last, command.argument)
            if not isinstance(citation, Citation):
                self.errors += 1
                self.view.error(f"use /source N with N from 1 to {len(last.citations)}")
            else:
                self.view.source(last, citation)
        else:
            self.errors += 1
            self.view.error(f"unknown command /{name}: /help lists the commands")
        return True


# --- plain: no terminal, one question a line --------------------------------------------------


@dataclass
class PlainView:
    """The chat's view in a pipe: plain text on `out`, errors on `err`."""

    out: TextIO
    err: TextIO

    def answer(self, answer: Answer) -> None:
        self._print(answer_as_text(answer) + "\n")

    def sources(self, answer: Answer) -> None:
        self._print(sources_with_quotes(answer) + "\n")

    def source(self, answer: Answer, citation: Citation) -> None:
        excerpt = passage_of(answer, citation)
        header = sources_lines(answer)[citation.n - 1]
        of = f" of {citation.snapshot}" if citation.snapshot else ""
        where = f"characters {citation.start}-{citation.end}{of}, marked >> <<"
        self._print(f"{header}\n{where}\n\n{excerpt.before}>>{excerpt.quote}<<{excerpt.after}\n")

    def info(self, text: str) -> None:
        self._print(text + "\n")

    def error(self, text: str) -> None:
        print(printable(f"error: {text}"), file=self.err, flush=True)

    def _print(self, text: str) -> None:
        # Article text may hold escape sequences (a window title, a screen clear): shown, not obeyed.
        print(printable(text), file=self.out, flush=True)


def as_of_line(as_of: date) -> str:
    """What the chat says first when it answers as of a day (`--as-of`)."""
    return f"Answering as of {as_of.isoformat()}: articles published after it are left out."


def run_plain(
    service: NewsService,
    lines: Iterable[str],
    out: TextIO,
    err: TextIO,
    *,
    k: int | None = None,
    as_of: date | None = None,
) -> int:
    """Answer each line of `lines` in turn (as of `as_of` when given, `--as-of`); exit status 1 if
    any line failed, else 0."""
    stats = service.stats()
    if not stats.articles:
        print(f"error: {describe(EmptyIndex())}", file=err)
        return 1
    if as_of is not None:
        # On stderr, as `ask`'s notes are: stdout holds only the answers.
        print(f"note: {as_of_line(as_of)}", file=err, flush=True)

    def ask(question: str, history: Sequence[Turn]) -> Answer:
        return service.answer(question, history, as_of=as_of, now=today(), k=k)

    chat = Chat(PlainView(out, err), ask)
    for line in lines:
        if not chat.handle(line):
            break
    return 1 if chat.errors else 0
