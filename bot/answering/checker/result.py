"""What a check found, sentence by sentence, and the answer as shown: the supported sentences
with their markers renumbered in order of first use, each quote cited once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.answering.checker.markers import with_markers
from bot.answering.prompts import SourceView
from bot.results import Citation, Verification


@dataclass(frozen=True)
class Support:
    """A run of a source's sentences that backs a claim: the file's text between start and end."""

    source: int
    start: int
    end: int
    quote: str
    coverage: float


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # the model's sentence without its markers
    kind: Literal["claim", "refusal", "filler"]
    cited: tuple[int, ...] = ()  # markers to sources that exist
    invented: tuple[int, ...] = ()  # markers to sources that don't
    support: tuple[Support, ...] = ()
    attributed: bool = False  # supported by a source the model did not cite
    # Web addresses in the sentence that are not the link of the article supporting it: the
    # sentence is dropped, whatever else backs it (an article can't send readers elsewhere).
    foreign_links: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return bool(self.support)

    @property
    def citations_verified(self) -> bool:
        """Every marker the model wrote points at a source that supports the sentence."""
        backed = {s.source for s in self.support}
        return not self.invented and bool(self.cited) and set(self.cited) <= backed


@dataclass(frozen=True)
class CheckResult:
    """The check of a whole answer: each sentence, and the answer as shown with its citations."""

    sentences: tuple[CheckedSentence, ...]
    text: str  # the answer as shown: supported sentences with their renumbered markers
    citations: tuple[Citation, ...]

    @property
    def claims(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.kind == "claim"]

    @property
    def verification(self) -> Verification:
        claims = self.claims
        return Verification(sentences=len(claims), supported=sum(s.supported for s in claims))

    @property
    def refused(self) -> bool:
        """The model said the sources don't answer, and claimed nothing."""
        return not self.claims and any(s.kind == "refusal" for s in self.sentences)

    @property
    def removed(self) -> int:
        """Claims dropped because no source supports them."""
        v = self.verification
        return v.sentences - v.supported

    @property
    def all_citations_verified(self) -> bool:
        """The model cited every claim, and every one of its markers was right."""
        claims = self.claims
        return bool(claims) and all(s.citations_verified for s in claims)


def assemble(checked: list[CheckedSentence], sources: dict[int, SourceView]) -> CheckResult:
    """The answer as shown from its checked sentences: the supported ones, with their citations."""
    assembly = Assembly(sources)
    # "... but the sources don't say when" is worth keeping beside verified claims.
    keep_refusals = any(s.supported for s in checked)
    for sentence in checked:
        assembly.add(sentence, keep_refusal=keep_refusals)
    return CheckResult(
        sentences=tuple(checked), text=" ".join(assembly.parts), citations=tuple(assembly.citations)
    )


class Assembly:
    """The answer as shown, built sentence by sentence: supported claims with their markers
    renumbered in order of first use, each quote cited once."""

    def __init__(self, sources: dict[int, SourceView]) -> None:
        self.sources = sources
        self.citations: list[Citation] = []
        self.parts: list[str] = []
        self._numbers: dict[tuple[str, int, int], int] = {}
        self._seen: set[str] = set()

    def add(self, sentence: CheckedSentence, *, keep_refusal: bool = False) -> str | None:
        """The sentence as shown, or None when it isn't (unsupported, a repeat, filler)."""
        if sentence.text.casefold() in self._seen:
            return None  # small models repeat themselves; a repeat adds nothing
        shown: str | None = None
        if sentence.kind == "claim" and sentence.supported:
            self._seen.add(sentence.text.casefold())
            markers = [f"[{self._number(support)}]" for support in sentence.support]
            shown = with_markers(sentence.text, "".join(dict.fromkeys(markers)))
        elif sentence.kind == "refusal" and keep_refusal:
            shown = sentence.text
        if shown is not None:
            self.parts.append(shown)
        return shown

    def _number(self, support: Support) -> int:
        chunk = self.sources[support.source].passage.chunk
        key = (chunk.file, support.start, support.end)
        if key not in self._numbers:
            self._numbers[key] = len(self.citations) + 1
            self.citations.append(
                Citation.of_chunk(
                    self._numbers[key],
                    chunk,
                    quote=support.quote,
                    start=support.start,
                    end=support.end,
                    score=support.coverage,
                )
            )
        return self._numbers[key]
