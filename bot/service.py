"""The core service: a question and its conversation in, a cited answer out.

Every front end (command line, terminal chat, Telegram) calls this and nothing below it. It keeps no
state between calls: the caller owns the conversation and passes it in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.answer import Answer, Turn
from bot.errors import QuestionError
from bot.extractive import ExtractiveAnswerer
from index.retrieval import Passage, Retriever

# Retrieval reads this much of a question; the embedding model sees far less anyway.
MAX_QUESTION_CHARS = 2000
_FOLLOW_UP = re.compile(
    r"^(and|but|so|also|what about|how about)\b|\b(they|them|their|it|its|he|she|him|her|"
    r"that|this|those|these|there|then)\b",
    re.I,
)


def clean_question(question: str) -> str:
    """The question without control characters and surplus whitespace; QuestionError if empty."""
    text = "".join(
        " " if unicodedata.category(ch)[0] == "C" and ch not in "\n\t" else ch for ch in question
    )
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("Please ask a question in words, for example: who met at the summit?")
    return text[:MAX_QUESTION_CHARS]


@dataclass(frozen=True)
class IndexStats:
    """What is indexed and what answers: for /stats, /help and the chat's greeting."""

    articles: int
    chunks: int
    newest: str | None  # the newest publication date among the articles
    indexed_at: datetime | None
    embed_model: str
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
    ) -> None:
        self.retriever = retriever
        self.extractive = extractive
        self.top_k = top_k
        self.history_turns = history_turns

    def search(
        self, question: str, *, k: int | None = None, as_of: date | None = None
    ) -> list[Passage]:
        return self.retriever.search(clean_question(question), k=k or self.top_k, as_of=as_of)

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        as_of: date | None = None,
        k: int | None = None,
    ) -> Answer:
        question = clean_question(question)
        standalone = self.standalone_question(question, history)
        passages = self.retriever.search(standalone, k=k or self.top_k, as_of=as_of)
        return self.extractive.answer(
            question, passages, search_text=standalone if standalone != question else None
        )

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        as_of: date | None = None,
        k: int | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text in pieces as it is produced, then the final, checked Answer."""
        answer = self.answer(question, history, as_of=as_of, k=k)
        yield answer.text
        yield answer

    @property
    def answerer_name(self) -> str:
        return "extractive"

    def stats(self) -> IndexStats:
        catalog = self.retriever.catalog
        files = {r.file for r in catalog.records}
        dates = [r.date for r in catalog.records if r.date]
        stamp = self.retriever.store.metadata.get("indexed_at")
        return IndexStats(
            articles=len(files),
            chunks=len(catalog),
            newest=max(dates) if dates else None,
            indexed_at=datetime.fromtimestamp(float(stamp)) if stamp else None,
            embed_model=self.retriever.embedder.name,
            answerer=self.answerer_name,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and when was that?") made searchable by adding the question it follows."""
        recent = list(history)[-self.history_turns :] if self.history_turns else []
        if not recent or not _FOLLOW_UP.search(question):
            return question
        return f"{question} ({recent[-1].question})"
