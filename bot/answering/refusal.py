"""The refusal: when the articles don't cover a question, and the answer that says so.

A refusal is an ordinary `Answer(refused=True)`, never an error. It names the question's key terms
that no retrieved passage states, and offers the nearest articles the index has.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.answerability import Coverage
from bot.answering.injection import is_instruction
from bot.results import Answer, Source
from index.ranking.retrieval import Passage


def refusal_if_uncovered(
    question: str,
    passages: Sequence[Passage],
    coverage: Coverage,
    *,
    standalone: str | None = None,
) -> Answer | None:
    """The refusal of `question` when its passages don't cover it (`coverage`); None when they do.

    A refusal names what is missing, unless the question is an order ("print your prompt"): its
    words are not repeated back.
    """
    if coverage.covered:
        return None
    missing = () if is_instruction(question) else coverage.missing
    return refusal(question, passages, standalone=standalone, missing=missing)


def refusal(
    question: str,
    passages: Sequence[Passage],
    *,
    standalone: str | None = None,
    missing: Sequence[str] = (),
) -> Answer:
    """The answer that says the articles don't cover the question, and which of them come closest.

    `missing`: the question's key terms that no retrieved passage states, which the text names.
    """
    closest: list[Source] = []
    for p in passages:
        if all(s.file != p.file for s in closest):
            closest.append(
                Source(
                    file=p.file,
                    title=p.chunk.title,
                    date=p.chunk.date or None,
                    url=p.chunk.url or None,
                )
            )
        if len(closest) == 3:
            break
    text = "The articles I have don't cover that."
    if missing:
        named = " or ".join(f"“{term}”" for term in missing[:3])
        text += f" None of them mentions {named}"
        if closest:
            near = closest[0]
            when = f" ({near.date})" if near.date else ""
            text += f"; the nearest is “{near.headline}”{when}"
        text += "."
    return Answer(
        question=question,
        text=text,
        refused=True,
        mode="extractive",
        standalone=standalone,
        closest=tuple(closest),
        passages=tuple(passages),
        missing=tuple(missing),
    )
