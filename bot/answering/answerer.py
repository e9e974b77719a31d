"""The answerer: the one step of the pipeline that differs between quoting and a model.

`NewsService` runs the same pipeline for every question: it cleans the question, decides the day
it is answered as of (`bot.as_of`), makes a follow-up stand alone, retrieves the passages, has the
extractive answerer read them, and decides whether they cover the question (`bot.answering.refusal`).
Only then is its `Answerer`, picked when the service is built, asked to answer from what was found:
`Quoting` (the passages' best sentences, no model) or `bot.answering.generated.GeneratedAnswerer`
(a model writes, the checker keeps what the passages back).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.errors import ModelError

if TYPE_CHECKING:
    from bot.answering.extractive import ExtractiveAnswerer, Reading
    from bot.conversation import Turn
    from bot.results import Answer
    from index.ranking.retrieval import Passage


@dataclass(frozen=True)
class FollowUp:
    """A follow-up question made to stand alone, and the model's failure if it was asked to."""

    standalone: str
    failure: ModelError | None = None


@dataclass(frozen=True)
class Retrieved:
    """What the pipeline found for a question, as its answerer gets it."""

    question: str  # as asked, cleaned
    standalone: str | None  # as searched, when it is a follow-up made to stand alone
    passages: Sequence[Passage]  # best first, without the articles' orders to their readers
    reading: Reading  # their sentences, read for the question as searched
    # What read them: it also quotes them, as the answer or as a generated answer's fallback.
    extractive: ExtractiveAnswerer
    # The answer that says the articles don't cover the question, when they don't: it is given as
    # it is, and no model is asked (nor paid) for it.
    refusal: Answer | None = None
    failure: ModelError | None = None  # the model failed making the follow-up stand alone


class Answerer(Protocol):
    """Answers a question from what the pipeline retrieved for it."""

    @property
    def name(self) -> str:
        """What answers: "extractive", or the model's name."""
        ...

    def follow_up(self, question: str, standalone: str, recent: Sequence[Turn]) -> FollowUp:
        """The follow-up `question`, made to stand alone as `standalone` by the question it follows,
        as this answerer would search it (`recent`: the turns it may refer to)."""
        ...

    def respond(self, found: Retrieved, *, stream: bool) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces that are safe to show (when `stream`), then the Answer."""
        ...


class Quoting:
    """The extractive answerer as an `Answerer`: the best sentences of the passages, quoted."""

    name = "extractive"

    def follow_up(self, question: str, standalone: str, recent: Sequence[Turn]) -> FollowUp:
        return FollowUp(standalone)

    def respond(self, found: Retrieved, *, stream: bool) -> Iterator[str | Answer]:
        answer = found.refusal
        if answer is None:
            answer = found.extractive.answer(
                found.question, found.passages, standalone=found.standalone, reading=found.reading
            )
        if stream:
            yield answer.text  # all at once: a quote is never half shown
        yield answer


QUOTING = Quoting()
