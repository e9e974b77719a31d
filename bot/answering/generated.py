"""Generated answers: the model writes from the numbered passages, the checker keeps what they back.

When the model is down the extractive answer is given instead, with a notice saying why; when the
checker leaves no supported sentence, the extractive answer is given too (a refusal if the model
said the articles don't cover the question).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

from bot.answering.answerer import FollowUp, Retrieved
from bot.answering.checker.check import CitationChecker
from bot.answering.checker.streaming import StreamingCheck
from bot.answering.follow_up import rewrite_follow_up
from bot.answering.llm import ChatModel
from bot.answering.prompts import answer_messages, source_views
from bot.answering.refusal import refusal
from bot.conversation import Turn
from bot.errors import ModelError
from bot.results import Answer

log = logging.getLogger(__name__)
UNVERIFIED_NOTICE = (
    "the model's answer could not be verified against the articles, so these are quotes instead"
)


class GeneratedAnswerer:
    """Answers with the model, checks every citation, and falls back to quoting the articles."""

    def __init__(self, model: ChatModel, checker: CitationChecker) -> None:
        self.model = model
        self.checker = checker

    @property
    def name(self) -> str:
        return self.model.name

    def rewrite_follow_up(self, question: str, turns: Sequence[Turn]) -> str | None:
        """The model's standalone form of a follow-up to `turns` (the recent ones, as the service
        bounds them), or None when it gives nothing usable.

        Raises ModelError when the model fails.
        """
        return rewrite_follow_up(self.model, question, turns)

    def follow_up(self, question: str, standalone: str, recent: Sequence[Turn]) -> FollowUp:
        """The model's standalone form of the follow-up, else `standalone`; a failure is kept, so
        that the answer says so without waiting through the model's retries twice."""
        try:
            return FollowUp(self.rewrite_follow_up(question, recent) or standalone)
        except ModelError as exc:
            return FollowUp(standalone, failure=exc)

    def respond(self, found: Retrieved, *, stream: bool) -> Iterator[str | Answer]:
        """Yield the answer's checked sentences as the model writes them (when streaming), then
        the checked Answer."""
        if found.refusal is not None:
            yield found.refusal
        elif found.failure is not None:
            yield self.model_down(found, found.failure)
        else:
            yield from self._written(found, stream=stream)

    def _written(self, found: Retrieved, *, stream: bool) -> Iterator[str | Answer]:
        question, passages, standalone = found.question, found.passages, found.standalone
        if not passages:
            yield refusal(question, passages, standalone=standalone)
            return
        quoted = found.extractive.answer(
            question, passages, standalone=standalone, reading=found.reading
        )
        if quoted.disagreement is not None:
            # Which source is right is not the model's to pick: the answer says what each states,
            # quoting them, and the model is not asked.
            yield quoted
            return
        sources = source_views(passages)
        messages = answer_messages(standalone or question, sources)
        checking = StreamingCheck(self.checker, sources)
        try:
            if stream:
                # Only what the checker let through is shown as it comes: each sentence once a
                # source backs it, never the model's own words unchecked.
                for piece in self.model.stream(messages):
                    yield from checking.feed(piece)
                yield from checking.rest()
            else:
                checking.feed(self.model.complete(messages))
        except ModelError as exc:
            yield self.model_down(found, exc)
            return

        result = checking.result()
        log.debug("model wrote %r; shown %r", checking.raw, result.text)
        verified = result.verification
        if result.refused:
            yield replace(
                refusal(question, passages, standalone=standalone),
                mode="generated",
                verified=verified,
            )
        elif verified.supported == 0:
            yield replace(quoted, verified=verified, notice=UNVERIFIED_NOTICE)
        else:
            yield Answer(
                question=question,
                text=result.text,
                citations=result.citations,
                mode="generated",
                verified=verified,
                standalone=standalone,
                passages=tuple(passages),
            )

    def model_down(self, found: Retrieved, error: ModelError) -> Answer:
        """The extractive answer, with a notice that the model failed and why."""
        answer = found.extractive.answer(
            found.question, found.passages, standalone=found.standalone
        )
        return replace(answer, notice=f"{error}. Showing quotes from the articles instead")
