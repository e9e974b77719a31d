"""What the core service returns: an answer and the citations that back it, as plain data.

This is the library's data (`from bot import Answer`): every front end renders these and nothing
else, and `Answer.to_json` is what `newsbot ask --json` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from index.ranking.retrieval import Passage
    from index.search.catalog import ChunkRecord

Mode = Literal["extractive", "generated"]
# An answer that has a short answer leads with it: "Pete Hegseth: “The U.S. Secretary...” [1]".
SHORT_ANSWER_SEP = ": "


# Keys that an answer's JSON carries only when they have a value, so that the JSON of an answer
# from .txt and .md files is as it always was.
_WHEN_KNOWN = ("url", "snapshot")


@dataclass(frozen=True)
class Citation:
    """Citation `[n]`: `quote` is exactly the text of `file` between `start` and `end`.

    For an article that is not a .txt or .md file (a page, a feed entry, an export's record, a PDF,
    a draft), that text is `snapshot`, the file its extracted text is kept in; `url` is where the
    article is on the web, when that is known.
    """

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
    url: str | None = None
    snapshot: str | None = None

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
            url=chunk.url or None,
            snapshot=chunk.snapshot or None,
        )


@dataclass(frozen=True)
class ShortAnswer:
    """The fact asked for, as it stands in citation `n`: its file's text between `start` and `end`.

    It is always a span of that citation's quote, never text of newsbot's own.
    """

    text: str
    n: int
    start: int
    end: int


@dataclass(frozen=True)
class DisagreementValue:
    """One value the sources state for what was asked, with the citations that state it."""

    value: str
    citations: tuple[int, ...]
    title: str  # of the first article that states it
    date: str | None  # of the newest that does


@dataclass(frozen=True)
class Disagreement:
    """The quoted articles state different values for what was asked: newest first."""

    values: tuple[DisagreementValue, ...]
    # The newest says it corrects or updates the earlier ones.
    updated: bool = False

    @property
    def summary(self) -> str:
        """ "Sources differ: “A” (2025-10-31) says 250 [2]; “B” (2025-10-30) says 300 [1]." """
        said = [
            f"“{shorten(v.title, 60)}”{f' ({v.date})' if v.date else ''} says {v.value} "
            + "".join(f"[{n}]" for n in v.citations)
            for v in self.values
        ]
        if self.updated and self.values[0].date:
            first, *rest = said
            earlier = "; ".join(s.replace(" says ", " said ", 1) for s in rest)
            return f"Updated on {self.values[0].date}: {first}; earlier, {earlier}."
        return f"Sources differ: {'; '.join(said)}."


@dataclass(frozen=True)
class Verification:
    """What the checker found of a generated answer: its sentences that claim something, and how
    many of them a source backs (the others were dropped)."""

    sentences: int
    supported: int


@dataclass(frozen=True)
class Source:
    """An article offered when the question is refused: the nearest the index has."""

    file: str
    title: str
    date: str | None
    url: str | None = None

    @property
    def headline(self) -> str:
        """The title cut to about a line, at a word, without closing punctuation."""
        return shorten(self.title, 80)


def shorten(text: str, limit: int) -> str:
    """`text` without closing punctuation, cut at a word with "…" when longer than `limit`."""
    text = text.strip().rstrip(".!?:;,")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(".!?:;,") + "…"


@dataclass(frozen=True)
class Answer:
    """The answer to one question, as `NewsService.answer` returns it.

    `text` is what a person reads: quotes or checked sentences, each followed by the markers
    `[n]` of its `citations`. A question the articles don't cover is `refused`, with the nearest
    articles in `closest` and the question's terms that none of them states in `missing`. `mode`
    says what answered ("extractive": quotes; "generated": a model, every sentence checked, the
    count in `verified`); `notice` says why an answer is not what was asked for (the model was
    down, or its answer could not be checked). `as_of` is the day it was answered as of.
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: Mode = "extractive"
    verified: Verification | None = None
    # The question as it was searched for, after a follow-up was made to stand alone.
    standalone: str | None = None
    closest: tuple[Source, ...] = ()
    notice: str | None = None  # e.g. the model was down and this is the extractive answer
    short_answer: ShortAnswer | None = None
    # Why a refusal: the question's key terms that no retrieved passage states.
    missing: tuple[str, ...] = ()
    # The day it was answered as of (nothing published later was used); None: no cutoff.
    as_of: date | None = None
    # The quoted articles state different values for what was asked: no one value is given.
    disagreement: Disagreement | None = None
    # The passages it was answered from, best first: what a citation's passage is looked up in.
    passages: tuple[Passage, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The answer as `newsbot ask --json` prints it."""
        data: dict[str, Any] = {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "short_answer": self.short_answer.text if self.short_answer else None,
            "citations": [
                {k: v for k, v in asdict(c).items() if k != "also_in" and k not in _WHEN_KNOWN}
                | {"also_in": list(c.also_in)}
                | _known(c)
                for c in self.citations
            ],
        }
        if self.short_answer is not None:
            data["short_answer_at"] = {
                k: v for k, v in asdict(self.short_answer).items() if k != "text"
            }
        if self.missing:
            data["missing"] = list(self.missing)
        if self.verified is not None:
            data["verified"] = asdict(self.verified)
        if self.standalone and self.standalone != self.question:
            data["standalone_question"] = self.standalone
        if self.closest:
            data["closest"] = [
                {k: v for k, v in asdict(s).items() if k not in _WHEN_KNOWN} | _known(s)
                for s in self.closest
            ]
        if self.notice:
            data["notice"] = self.notice
        if self.disagreement is not None:
            data["disagreements"] = [
                {"value": v.value, "citations": list(v.citations), "date": v.date}
                for v in self.disagreement.values
            ]
            data["updated"] = self.disagreement.updated
        return data

    @property
    def short_answer_text(self) -> str | None:
        return self.short_answer.text if self.short_answer is not None else None

    @property
    def rest(self) -> str:
        """The text after its leading short answer, for front ends that show that one in bold."""
        lead = f"{self.short_answer.text}{SHORT_ANSWER_SEP}" if self.short_answer else ""
        return self.text[len(lead) :] if lead and self.text.startswith(lead) else self.text

    @property
    def differs(self) -> tuple[str, str] | None:
        """When the sources differ: the sentence that says so, and the quotes after it, for front
        ends that show that sentence apart."""
        if self.disagreement is None:
            return None
        summary = self.disagreement.summary
        if not self.text.startswith(summary):
            return None
        return summary, self.text[len(summary) :]

    def quoted_chunk(self, citation: Citation) -> ChunkRecord | None:
        """The retrieved chunk that holds the citation's quote, if the answer kept it."""
        return quoted_chunk(citation, self.passages)

    def chunks_of(self, file: str) -> list[ChunkRecord]:
        """The retrieved chunks of `file` that the answer kept (a generated answer may keep none)."""
        return [p.chunk for p in self.passages if p.chunk.file == file]


def quoted_chunk(citation: Citation, passages: Sequence[Passage]) -> ChunkRecord | None:
    """The chunk of `passages` that holds the whole of the citation's quote: the passage that
    `/source N` shows, in every front end."""
    for passage in passages:
        chunk = passage.chunk
        if (
            chunk.file == citation.file
            and chunk.start <= citation.start
            and citation.end <= chunk.end
        ):
            return chunk
    return None


def _known(item: Citation | Source) -> dict[str, Any]:
    """The keys of `_WHEN_KNOWN` that `item` has a value for."""
    return {k: v for k in _WHEN_KNOWN if (v := getattr(item, k, None))}
