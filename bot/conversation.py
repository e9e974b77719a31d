"""Follow-up questions: the conversation, bounded, and the model's standalone rewrite of a follow-up."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer import Turn
from bot.answering.claims import content_words
from bot.answering.llm import ChatModel
from bot.answering.prompts import rewrite_messages

# A turn's answer can be long (quotes, lists); what a follow-up refers to is near its start.
MAX_ANSWER_CHARS = 600
MAX_REWRITE_CHARS = 300
_LABEL = re.compile(r"^\s*(rewritten|standalone)?\s*question\s*:\s*", re.I)


def estimate_tokens(text: str) -> int:
    """About four characters a token, for English text and the usual tokenizers."""
    return len(text) // 4 + 1


def bounded_history(history: Sequence[Turn], *, turns: int, tokens: int) -> list[Turn]:
    """The most recent turns, at most `turns` of them and about `tokens` tokens in all."""
    kept: list[Turn] = []
    budget = tokens
    for turn in reversed(list(history)[-turns:] if turns else []):
        short = Turn(turn.question, turn.answer[:MAX_ANSWER_CHARS])
        cost = estimate_tokens(short.question) + estimate_tokens(short.answer)
        if cost > budget:
            break
        budget -= cost
        kept.append(short)
    kept.reverse()
    return kept


def rewrite_follow_up(model: ChatModel, question: str, history: Sequence[Turn]) -> str | None:
    """`question` rewritten by the model to stand on its own, or None if the rewrite is unusable.

    A rewrite is used only if it brings in words from the conversation that the question lacked
    (the names it referred to); otherwise it resolved nothing and the caller's fallback is better.
    Raises ModelError when the model fails.
    """
    if not history:
        return None
    reply = model.complete(rewrite_messages(question, history), max_tokens=64, temperature=0.0)
    lines = [line for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    rewrite = _LABEL.sub("", lines[0]).strip().strip("\"“”'")
    if not rewrite or len(rewrite) > MAX_REWRITE_CHARS:
        return None
    context = set().union(*(content_words(f"{t.question} {t.answer}") for t in history))
    brought_in = (content_words(rewrite) - content_words(question)) & context
    if not brought_in:
        return None
    if not rewrite.rstrip().endswith("?"):
        # A weak model may answer instead of rewriting; its words still say what was meant.
        rewrite = f"{question} ({rewrite})"
    return rewrite
