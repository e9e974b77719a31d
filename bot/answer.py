"""What the core service returns: an answer and the citations that back it, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from index.lexical import ChunkRecord

Mode = Literal["extractive", "generated"]


@dataclass(frozen=True)
class Citation:
    """Citation `[n]`: `quote` is exactly the text of `file` between `start` and `end`."""

    n: int
    file: str
    title: str
    date: str | None
    quote: str
    start: int
    end: int
    score: float
    # Other files that report the same sentence (syndicated copies of one story).
    also_in: tuple[str, ...] = ()

    @classmethod
    def of_chunk(
        cls,
        n: int,
        chunk: ChunkRecord,
        *,
        quote: str,
        start: int,
        end: int,
        score: float,
        also_in: tuple[str, ...] = (),
    ) -> Citation:
        """Citation `[n]` of the span `start:end` (absolute offsets) of the chunk's file."""
        return cls(
            n=n,
            file=chunk.file,
            title=chunk.title,
            date=chunk.date or None,
            quote=quote,
            start=start,
            end=end,
            score=score,
            also_in=also_in,
        )


@dataclass(frozen=True)
class Verification:
    sentences: int
    supported: int


@dataclass(frozen=True)
class Source:
    """An article offered when the question is refused: the nearest the index has."""

    file: str
    title: str
    date: str | None


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation, as the service needs it for follow-up questions."""

    question: str
    answer: str


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: Mode = "extractive"
    verified: Verification | None = None
    # The question as it was searched for, after a follow-up was made to stand alone.
    standalone_question: str | None = None
    closest: tuple[Source, ...] = ()
    notice: str | None = None  # e.g. the model was down and this is the extractive answer
    passages: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "citations": [
                {k: v for k, v in asdict(c).items() if k != "also_in"}
                | {"also_in": list(c.also_in)}
                for c in self.citations
            ],
        }
        if self.verified is not None:
            data["verified"] = asdict(self.verified)
        if self.standalone_question and self.standalone_question != self.question:
            data["standalone_question"] = self.standalone_question
        if self.closest:
            data["closest"] = [asdict(s) for s in self.closest]
        if self.notice:
            data["notice"] = self.notice
        return data

    @property
    def dates(self) -> list[str]:
        """The publication dates of the articles the answer rests on, oldest first."""
        return sorted({c.date for c in self.citations if c.date})
