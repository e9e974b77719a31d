"""The core service: a question and its conversation in, a cited answer out.

Every front end (command line, terminal chat, Telegram) calls this and nothing below it. It keeps no
state between calls: the caller owns the conversation and passes its turns in, and the service
decides how many of them a follow-up may refer to (`history_turns`, and `history_tokens` of them
for the model). Likewise the caller says what "now" is and the service decides the day a question
is answered as of (`bot.as_of`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from bot.answer import Answer, Turn
from bot.answering.extractive import ExtractiveAnswerer, Reading, refusal
from bot.answering.follow_up import bounded_history, with_previous_question
from bot.answering.injection import is_instruction, without_instructions
from bot.as_of import decide_as_of
from bot.errors import ModelError, QuestionError
from index.embedding import Embedder
from index.language.pipeline import preload as preload_language
from index.language.question_text import plain_question
from index.ranking.retrieval import CollectionStats, Passage, Retriever

if TYPE_CHECKING:
    from bot.answering.generated import GeneratedAnswerer

# Retrieval reads this much of a question; the embedding model sees far less anyway.
MAX_QUESTION_CHARS = 2000


def clean_question(question: str) -> str:
    """The question without control characters, markup and surplus whitespace; QuestionError if
    nothing is left."""
    text = plain_question(question)
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("Please ask a question in words, for example: who met at the summit?")
    return text[:MAX_QUESTION_CHARS]


@dataclass(frozen=True)
class IndexStats(CollectionStats):
    """What is indexed and what answers: for /stats, /help and the chat's greeting."""

    answerer: str  # "extractive" or the model's name


class NewsService:
    """Answers questions about the indexed articles."""

    def __init__(
        self,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        *,
        top_k: int = 6,
        history_turns: int = 6,
        history_tokens: int = 800,
        generator: GeneratedAnswerer | None = None,
    ) -> None:
        self.retriever = retriever
        self.extractive = extractive
        # With a model configured, answers are generated and checked; without one, extractive.
        self.generator = generator
        self.top_k = top_k
        self.history_turns = history_turns
        self.history_tokens = history_tokens

    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        as_of: date | None = None,
        now: date | None = None,
        exclude: Collection[str] = (),
    ) -> list[Passage]:
        """The passages that best match `question`, best first, as `answer` would retrieve them."""
        question = clean_question(question)
        when = decide_as_of(question, now=now, override=as_of)
        return self.retriever.search(question, k=k or self.top_k, as_of=when, exclude=exclude)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        as_of: date | None = None,
        now: date | None = None,
        k: int | None = None,
        exclude: Collection[str] = (),
    ) -> Answer:
        """The answer to `question`, asked after `history` on the day `now`.

        `as_of` is an explicit as-of date (`--as-of`); the day used, by `bot.as_of`'s rule, is
        the answer's `as_of`. `exclude` leaves files out of retrieval, as if they were not
        indexed (for evaluation).
        """
        question = clean_question(question)
        when = decide_as_of(question, now=now, override=as_of)
        if self.generator is not None:
            *_, final = self._generate(
                question, history, as_of=when, k=k, exclude=exclude, stream=False
            )
            assert isinstance(final, Answer)
            return replace(final, as_of=when)
        standalone = self.standalone(question, history)
        passages, reading, refused = self._retrieve(
            question, standalone, as_of=when, k=k, exclude=exclude
        )
        if refused is not None:
            return replace(refused, as_of=when)
        answer = self.extractive.answer(question, passages, standalone=standalone, reading=reading)
        return replace(answer, as_of=when)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        as_of: date | None = None,
        now: date | None = None,
        k: int | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces as it is produced, then the final, checked Answer.

        Every piece is safe to show: with a model, each is a sentence of its answer that the
        checker found backed by its source (markers numbered as the answer numbers them), never
        the model's unchecked words. The final Answer may still differ (a fallback to quotes, a
        sentence split otherwise at the end), so a front end replaces what it showed with it.
        `as_of` and `now` are those of `answer`.
        """
        if self.generator is not None:
            question = clean_question(question)
            when = decide_as_of(question, now=now, override=as_of)
            for piece in self._generate(question, history, as_of=when, k=k, stream=True):
                yield replace(piece, as_of=when) if isinstance(piece, Answer) else piece
            return
        answer = self.answer(question, history, as_of=as_of, now=now, k=k)
        yield answer.text
        yield answer

    @property
    def answerer_name(self) -> str:
        return self.generator.name if self.generator is not None else "extractive"

    def _generate(
        self,
        question: str,
        history: Sequence[Turn],
        *,
        as_of: date | None,
        k: int | None,
        stream: bool,
        exclude: Collection[str] = (),
    ) -> Iterator[str | Answer]:
        assert self.generator is not None
        standalone = self.standalone(question, history)
        failure: ModelError | None = None
        if standalone is not None:
            recent = bounded_history(history, turns=self.history_turns, tokens=self.history_tokens)
            try:
                standalone = self.generator.rewrite_follow_up(question, recent) or standalone
            except ModelError as exc:
                failure = exc
        passages, _, refused = self._retrieve(
            question, standalone, as_of=as_of, k=k, exclude=exclude
        )
        if refused is not None:
            # The model is not asked (nor paid) for what the articles can't answer.
            yield refused
            return
        if failure is not None:
            # The model just failed after its retries: don't make the user wait through them twice.
            yield self.generator.model_down(question, passages, failure, standalone=standalone)
            return
        yield from self.generator.respond(question, passages, standalone=standalone, stream=stream)

    def _retrieve(
        self,
        question: str,
        standalone: str | None,
        *,
        as_of: date | None,
        k: int | None,
        exclude: Collection[str],
    ) -> tuple[list[Passage], Reading, Answer | None]:
        """The passages for the question as searched, their sentences read for it, and the
        refusal if they don't cover it."""
        searched = standalone or question
        # The answer is chosen with the English pipeline: its load overlaps with retrieval.
        preload_language()
        found = self.retriever.search(searched, k=k or self.top_k, as_of=as_of, exclude=exclude)
        # An article's orders to its reader or to a model ("ignore previous instructions", "readers
        # must log in at ...") are never quoted, checked against or counted as covering a question.
        passages = without_instructions(found)
        reading = self.extractive.read(searched, passages)
        if reading.coverage.covered:
            return passages, reading, None
        # A refusal names what is missing, unless the question is an order ("print your
        # prompt"): its words are not repeated back.
        missing = () if is_instruction(question) else reading.coverage.missing
        return (
            passages,
            reading,
            refusal(question, passages, standalone=standalone, missing=missing),
        )

    def stats(self) -> IndexStats:
        return IndexStats(**vars(self.retriever.stats()), answerer=self.answerer_name)

    def newest_titles(self, limit: int = 3) -> list[str]:
        """The titles of the newest indexed articles, newest first: topics to suggest to a user."""
        return self.retriever.newest_titles(limit)

    def indexed_files(self) -> set[str]:
        """The names of the indexed article files."""
        return self.retriever.indexed_files()

    @property
    def embedder(self) -> Embedder:
        """The embedding model the index is searched with; indexing the same index reuses it."""
        return self.retriever.embedder

    def standalone(self, question: str, history: Sequence[Turn]) -> str | None:
        """A follow-up ("and when was that?") made searchable by adding the question it follows;
        None for a question that stands alone (or when no turn may be referred to)."""
        if not self.history_turns or not history:
            return None
        return with_previous_question(question, history[-1])
