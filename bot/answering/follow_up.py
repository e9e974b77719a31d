"""Follow-up questions made to stand alone: from the previous turn, or by the model.

A follow-up ("where is it based?", "for how much?", "and how about Oppenheimer?") can't be searched
for as it is. Without a model, its pronouns are resolved from the previous turn (the short answer
it gave, else the names its question gave), "how about X" puts X in the previous question's place,
and a fragment or a question that names nothing gets the previous question as context, in
parentheses after its own words, which lead. With a model, the model rewrites it from the recent
turns, bounded in turns and in tokens. Which turns are recent is the service's to say
(`history_turns`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answering.prompts import rewrite_messages
from bot.conversation import Turn

if TYPE_CHECKING:
    from bot.answering.llm import ChatModel

# A turn's answer can be long (quotes, lists); what a follow-up refers to is near its start.
MAX_ANSWER_CHARS = 600
MAX_REWRITE_CHARS = 300
_LABEL = re.compile(r"^\s*(rewritten|standalone)?\s*question\s*:\s*", re.I)
_FOLLOW_UP = re.compile(
    r"^(and|but|so|also|what about|how about)\b|\b(they|them|their|it|its|he|she|him|her|"
    r"that|this|those|these|there|then)\b",
    re.I,
)


_PRONOUN = re.compile(r"\b(it|they|them|he|she|him|her|its|their|his|hers)\b", re.I)
_POSSESSIVE = frozenset({"its", "their", "his", "her"})
_THERE = re.compile(r"\bthere\b", re.I)
_HOW_ABOUT = re.compile(r"^\W*(and\s+|but\s+|so\s+)?(what|how)\s+about\s+(?P<x>.+?)\W*$", re.I)
# "What did *the train* crash into?": a thing the conversation has already named.
_DEFINITE = re.compile(r"\bthe\s+\w+", re.I)


def with_previous_question(question: str, previous: Turn) -> str | None:
    """A follow-up made to stand alone from the previous turn; None when `question` does not read
    as one."""
    from index.language.questions import analyse

    before = analyse(previous.question)
    referent = previous.short_answer or (before.names[0] if before.names else None)
    if (about := _HOW_ABOUT.match(question)) is not None:
        # "And how about Oppenheimer?" after "How much did Barbie gross?": Oppenheimer's gross.
        if before.names:
            return previous.question.replace(before.names[0], about.group("x"), 1)
        return f"{previous.question} ({about.group('x')})"
    resolved = question
    if referent is not None and _PRONOUN.search(question):
        resolved = _PRONOUN.sub(lambda m: _pronoun_for(m.group(0), referent), question, count=1)
    if _THERE.search(resolved) and previous.short_answer and previous.short_answer != referent:
        resolved = _THERE.sub(previous.short_answer, resolved, count=1)
    now = analyse(resolved)
    if resolved != question and now.names:
        return resolved
    refers = bool(_FOLLOW_UP.search(question) or _DEFINITE.search(question))
    if now.names or not (refers or now.verb is None or len(question.split()) <= 4):
        # It names what it is about, or reads as a question of its own ("which agreement was
        # renewed?"): nothing to take from the turn before.
        return None
    context = previous.question.rstrip("?. ")
    if previous.short_answer:
        context += f" {previous.short_answer}"
    return f"{resolved} ({context})"


def _pronoun_for(pronoun: str, referent: str) -> str:
    if pronoun.casefold() in _POSSESSIVE:
        return f"{referent}'s"
    return referent


def estimate_tokens(text: str) -> int:
    """About four characters a token, for English text and the usual tokenizers."""
    return len(text) // 4 + 1


def bounded_history(history: Sequence[Turn], *, turns: int, tokens: int) -> list[Turn]:
    """The most recent turns, at most `turns` of them and about `tokens` tokens in all."""
    kept: list[Turn] = []
    budget = tokens
    for turn in reversed(list(history)[-turns:] if turns else []):
        short = Turn(turn.question, turn.answer[:MAX_ANSWER_CHARS], turn.short_answer)
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
    # Here, not at the top: the service imports this module, and claims loads the lexicon, which
    # only the model's path needs (`newsbot ask` without a model starts without it).
    from bot.answering.checker.claims import content_words

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
