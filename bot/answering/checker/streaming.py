"""The check of an answer while the model writes it: only checked text is ever shown."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.checker.check import CitationChecker
from bot.answering.checker.markers import split_answer
from bot.answering.checker.result import Assembly, CheckedSentence, CheckResult, assemble
from bot.answering.prompts import SourceView

_SENTENCE_END = re.compile(r"[.!?\n\]]")


class StreamingCheck:
    """Checks an answer while the model writes it, so that only checked text is ever shown.

    `feed` takes the model's next piece and returns the sentences it completed that a source
    supports, as the answer will show them (markers renumbered); a sentence is complete once the
    next one has begun, and the last one at `result`. What the model wrote and nothing backs is
    never returned. `result` is the check of the whole answer, reusing each sentence's check.
    """

    def __init__(self, checker: CitationChecker, sources: Sequence[SourceView]) -> None:
        self.checker = checker
        self.sources = {s.n: s for s in sources}
        self.raw = ""
        self._assembly = Assembly(self.sources)
        self._done = 0  # sentences of `raw` already checked
        self._memo: dict[tuple[str, tuple[int, ...]], CheckedSentence] = {}
        self._ended_sentence = False

    def feed(self, piece: str) -> list[str]:
        self.raw += piece
        if _SENTENCE_END.search(piece):
            self._ended_sentence = True
            return []
        if not self._ended_sentence or not any(ch.isalpha() for ch in piece):
            return []
        # A sentence ended in an earlier piece and this one begins the next: split again.
        self._ended_sentence = False
        sentences = split_answer(self.raw)
        return self._show(sentences[:-1])

    def result(self) -> CheckResult:
        """The check of everything fed; the last sentence is shown only from here on."""
        sentences = split_answer(self.raw)
        checked = [self._check(text, markers) for text, markers in sentences]
        return assemble(checked, self.sources)

    def rest(self) -> list[str]:
        """The sentences not yet returned by `feed`, once the model has finished."""
        return self._show(split_answer(self.raw))

    def _show(self, complete: list[tuple[str, list[int]]]) -> list[str]:
        shown = []
        for text, markers in complete[self._done :]:
            part = self._assembly.add(self._check(text, markers))
            if part is not None:
                shown.append(part if len(self._assembly.parts) == 1 else " " + part)
        self._done = max(self._done, len(complete))
        return shown

    def _check(self, text: str, markers: list[int]) -> CheckedSentence:
        key = (text, tuple(markers))
        if key not in self._memo:
            self._memo[key] = self.checker.check_sentence(text, markers, self.sources)
        return self._memo[key]
