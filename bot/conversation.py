"""The conversation window, the same in every front end: a chat's recent turns and its last
answer, and the citation of that answer a person names with `/source N`.

The terminal chat holds one `Conversation`, the Telegram bot one per chat. Each question is asked with
the conversation's turns; the service decides how many of them a follow-up may refer to
(`history_turns`), so a conversation only has to keep as many as that can ever be.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from bot.results import Answer, Citation

# The most turns `history_turns` may be set to: older turns can never be used, so they are dropped.
MAX_TURNS = 50


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, as the service needs it for follow-up questions."""

    question: str
    answer: str
    # The fact the answer led with, which a follow-up's "it" or "there" may refer to.
    short_answer: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        return cls(answer.question, answer.text, answer.short_answer_text)


@dataclass(frozen=True)
class Uncited:
    """Why `/source N` names no citation of the last answer; each front end words it its own way."""

    reason: Literal["no answer", "no citations", "not a number", "no such citation"]
    count: int = 0  # the citations the last answer has
    n: int | None = None  # the number asked for, when it was one


# `/source 2` or `/source [2]`, as the answer shows its markers.
_CITATION_NUMBER = re.compile(r"\[?(\d{1,9})\]?")


def citation_number(argument: str) -> int | None:
    """The N of `/source N` ("2" or "[2]"); None when the argument is not one such number."""
    found = _CITATION_NUMBER.fullmatch(argument.strip())
    return int(found.group(1)) if found else None


@dataclass
class Conversation:
    """Recent turns for follow-up questions, and the last answer for /sources and /source N."""

    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))
    last: Answer | None = None

    def history(self) -> tuple[Turn, ...]:
        """The turns to ask the next question with, oldest first."""
        return tuple(self.turns)

    def record(self, answer: Answer) -> None:
        """Remember `answer` as the last one, and as the newest turn."""
        self.last = answer
        self.turns.append(Turn.of(answer))

    def reset(self) -> None:
        """Forget everything: the next question starts afresh."""
        self.turns.clear()
        self.last = None


def cited(answer: Answer | None, argument: str) -> Citation | Uncited:
    """The citation of `answer` (the last one) that `/source N` names, or why there is none."""
    if answer is None:
        return Uncited("no answer")
    count = len(answer.citations)
    if not count:
        return Uncited("no citations")
    n = citation_number(argument)
    if n is None:
        return Uncited("not a number", count)
    found = next((c for c in answer.citations if c.n == n), None)
    return Uncited("no such citation", count, n) if found is None else found
