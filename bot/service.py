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

from bot.answering.answerer import QUOTING, Answerer, FollowUp, Retrieved
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.follow_up import bounded_history, with_previous_question
from bot.answering.injection import without_instructions
from bot.answering.refusal import refusal_if_uncovered
from bot.as_of import decide_as_of
from bot.conversation import Turn
from bot.errors import QuestionError
from bot.results import Answer
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
    """Answers questions about the indexed articles: newsbot's library API.

    Build one with `bot.build_service(settings)`, as every front end does::

        service = build_service(Settings())
        answer = service.answer("Who met on October 30?", now=today())
        follow_up = service.answer("Where?", [Turn.of(answer)], now=today())

    It keeps no state between calls, so one service may answer many conversations.

    Every answer runs one pipeline: the question is cleaned (`clean_question`), its as-of day
    decided (`bot.as_of`), a follow-up made to stand alone, the passages retrieved and read, and a
    question they don't cover refused (`bot.answering.refusal`); only what is left differs, by
    the `Answerer` picked when the service is built (`bot.answering.answerer`): quotes, or a model's
    answer with every citation checked.
    """

    def __init__(
        self,
        retriever: Retriever,
        extractive: ExtractiveAnswerer,
        *,
        answerer: Answerer = QUOTING,
        top_k: int = 6,
        history_turns: int = 6,
        history_tokens: int = 800,
    ) -> None:
        self.retriever = retriever
        # Reads every question's passages (whether they cover it), and quotes them.
        self.extractive = extractive
        self.answerer = answerer
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
        indexed (for evaluation). Raises `QuestionError` for a question without words; a question
        the articles don't cover is an ordinary answer, `refused`.
        """
        *_, final = self._pieces(
            question, history, as_of=as_of, now=now, k=k, exclude=exclude, stream=False
        )
        assert isinstance(final, Answer)
        return final

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
        yield from self._pieces(question, history, as_of=as_of, now=now, k=k, stream=True)

    @property
    def answerer_name(self) -> str:
        """What answers: "extractive", or the model's name."""
        return self.answerer.name

    @property
    def generator(self) -> GeneratedAnswerer | None:
        """The model's answerer when answers are generated, else None: for the tests and
        benchmarks that talk to the model itself."""
        from bot.answering.generated import GeneratedAnswerer

        return self.answerer if isinstance(self.answerer, GeneratedAnswerer) else None

    def _pieces(
        self,
        question: str,
        history: Sequence[Turn],
        *,
        as_of: date | None,
        now: date | None,
        k: int | None,
        stream: bool,
        exclude: Collection[str] = (),
    ) -> Iterator[str | Answer]:
        """The pipeline: what `stream` yields, and `answer` the last of."""
        question = clean_question(question)
        when = decide_as_of(question, now=now, override=as_of)
        found = self._retrieve(question, history, as_of=when, k=k, exclude=exclude)
        for piece in self.answerer.respond(found, stream=stream):
            yield replace(piece, as_of=when) if isinstance(piece, Answer) else piece

    def _retrieve(
        self,
        question: str,
        history: Sequence[Turn],
        *,
        as_of: date | None,
        k: int | None,
        exclude: Collection[str],
    ) -> Retrieved:
        """The passages for the question as searched, their sentences read for it, and the
        refusal if they don't cover it."""
        follow_up = self._follow_up(question, history)
        standalone = follow_up.standalone if follow_up is not None else None
        searched = standalone or question
        # The answer is chosen with the English pipeline: its load overlaps with retrieval.
        preload_language()
        found = self.retriever.search(searched, k=k or self.top_k, as_of=as_of, exclude=exclude)
        # An article's orders to its reader or to a model ("ignore previous instructions", "readers
        # must log in at ...") are never quoted, checked against or counted as covering a question.
        passages = without_instructions(found)
        reading = self.extractive.read(searched, passages)
        return Retrieved(
            question,
            standalone,
            passages,
            reading,
            self.extractive,
            refusal=refusal_if_uncovered(
                question, passages, reading.coverage, standalone=standalone
            ),
            failure=follow_up.failure if follow_up is not None else None,
        )

    def _follow_up(self, question: str, history: Sequence[Turn]) -> FollowUp | None:
        """The question made to stand alone by the answerer, when it is a follow-up."""
        standalone = self.standalone(question, history)
        if standalone is None:
            return None
        recent = bounded_history(history, turns=self.history_turns, tokens=self.history_tokens)
        return self.answerer.follow_up(question, standalone, recent)

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
