"""Sentences of an article that speak to whoever reads it rather than report news: injected orders.

An article may be written to steer the model that reads it: "Ignore all previous instructions",
"Note for automated summarisers: ...", "Disregard everything above; new task: ...", "Readers must
log in at ...". Such a sentence is left out of the prompt, is never support for a claim of a
generated answer, and is never quoted (`without_instructions` takes it out of the passages that the
answerers see).

The rule is general rather than a list of known phrasings. A sentence is an order when it
- addresses an automated reader (a note, a "dear", "if you are" to an AI, a model, a summariser,
  an assistant, an automated system), or tells one what it must say;
- tries to override what came before ("ignore/disregard/forget ... everything above / previous
  instructions") or hands out a new task or role;
- orders the human reader about: "readers must log in", "click here", "tell users to ...".
Matching runs on a normalised copy (`normalise`): compatibility forms folded (NFKC/NFKD), accents,
invisible and zero-width characters dropped, and letters of other scripts that look like Latin
ones ("о", Cyrillic) read as those Latin letters, from Unicode's confusables table as the
`confusable_homoglyphs` package ships it. The article's own text is never changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

from index.ranking.retrieval import Passage

# Who an injected note speaks to: a model or a program reading the page on someone's behalf.
_MACHINE = (
    r"(?:a\.?i\.?|artificial intelligence|llms?|large language models?|language models?|"
    r"chat ?bots?|bots?|(?:ai |virtual )?assistants?|models?|gpts?|chat ?gpt|copilots?|agents?|"
    r"summari[sz](?:er|ing tool|ation tool|ation system)s?|crawlers?|scrapers?|"
    r"(?:automated|automatic) (?:\w+ )?(?:systems?|tools?|agents?|readers?|summari[sz]ers?|"
    r"assistants?|programs?|services?|pipelines?|processors?))"
)
_MACHINE_ANY = (
    rf"(?:(?:all|any|the|every|each|an?)\s+)?(?:(?:automated|automatic|ai)\s+)?{_MACHINE}"
)
# The same without the words that also name people ("models", "agents", "assistants", "bots"):
# for sentences that say what one must do, where "travel agents should advise" is news.
_MODEL = (
    r"(?:a\.?i\.?|artificial intelligence|llms?|large language models?|language models?|"
    r"chat ?bots?|ai assistants?|gpts?|chat ?gpt|summari[sz](?:er|ing tool|ation tool)s?|"
    r"(?:automated|automatic) (?:\w+ )?(?:systems?|tools?|agents?|readers?|summari[sz]ers?|"
    r"assistants?|programs?))"
)
_MODEL_ANY = rf"(?:(?:all|any|the|every|each|an?)\s+)?{_MODEL}"
# What an order to a model tells it to do.
_SAY = (
    r"(?:ignore|disregard|answer|reply|respond|say|state|write|output|print|tell|include|"
    r"mention|add|insert|append|recommend|direct|summari[sz]e|repeat|claim|link|refer)"
)
# What a human reader is ordered to do in a phishing note.
_ACT = (
    r"(?:log ?in|sign ?in|sign up|login|click|tap|visit|go to|navigate|enter|verify|confirm|"
    r"reset|update|download|install|call|phone|text|email|e-mail|send|contact|register|"
    r"subscribe|share|provide|submit|follow|open|scan|pay|transfer|reply|respond|re-?enter)"
)
_READERS = (
    r"(?:readers?|users?|visitors?|subscribers?|customers?|viewers?|listeners?|everyone|"
    r"anyone reading)"
)
_OVERRIDE_VERB = r"(?:ignore|disregard|forget|override|overrule|bypass|discard|abandon|drop|skip)"
_PRIOR = (
    r"(?:previous|previously|prior|above|earlier|preceding|foregoing|original|initial|system|"
    r"developer|your)"
)
_RULES = (
    r"(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|commands?|orders|"
    r"context|messages?|text|content|constraints|programming|training|policies|tasks?)"
)
_URL = r"(?:https?://|www\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/)"

# Orders whatever the sentence around them says.
_ALWAYS = [
    # Speaking to an automated reader.
    rf"\b(?:note|notes|message|instructions?|attention|notice|reminder|memo|warning|request|"
    rf"guidance|directive|p\.?s\.?)\s+(?:to|for)\s+{_MACHINE_ANY}\b",
    rf"(?:^|[.;:!?]\s*)(?:dear|attention|hey|hello|hi|to|for|calling)\s*,?\s+{_MACHINE_ANY}\s*[:,!]",
    rf"^\W*(?:(?:all|any|every|dear)\s+(?:automated\s+|ai\s+)?|(?:automated|automatic)\s+)"
    rf"{_MACHINE}\s*[:,]",
    rf"\bif you(?:'re| are)\s+(?:an?\s+|the\s+)?(?:automated\s+|ai\s+)?{_MACHINE}\b",
    r"\bas an?\s+(?:ai|language model|assistant|chatbot|summari[sz]er)\b[^.]{0,40}\byou\b",
    # Taking over: what came before no longer holds, here is a new task or role.
    rf"\b{_OVERRIDE_VERB}\b[^.]{{0,40}}\b{_PRIOR}\b[^.]{{0,30}}\b{_RULES}\b",
    rf"\b{_OVERRIDE_VERB}\s+(?:all\s+|of\s+)?(?:everything|anything|all|what)\b[^.;]{{0,30}}"
    rf"\b(?:above|before|previously|prior|earlier|so far|you (?:were|have been) (?:told|given))",
    r"\bnew\s+(?:task|tasks|instructions?|objective|role|goal|prompt|orders?|directive|mission)"
    r"\s*(?:[:\-—–]|is\b|are\b)",
    r"\byour\s+(?:(?:new|real|actual|true|only|next)\s+(?:task|job|role|goal|instructions?|"
    r"objective|mission|purpose)|task|instructions?)\s+(?:is|are|now|will be)\b",
    r"\b(?:system|developer|admin|administrator|operator)\s+(?:prompt|message|instructions?|"
    r"override|command|mode)\b",
    r"\byou are (?:now|no longer)\b",
    r"\bfrom now on\b[^.]{0,60}\b(?:answer|reply|respond|say|write|output)\b",
    r"\b(?:reply|respond|answer)\b[^.]{0,30}\b(?:only|exactly|always)\b[^.]{0,15}\bwith\b",
    # An imperative opening the sentence or a clause, aimed at the reader.
    # (Not inside a quotation: "Tell them to go home!" is someone's words, reported.)
    r"(?:^|[;:]\s*)[(\[*\s]*(?:please\s+)?(?:tell|ask|urge|direct|instruct|advise|remind|inform|"
    r"warn|send|point|redirect)\s+(?:the\s+|all\s+|any\s+|your\s+)?(?:users?|readers?|"
    r"visitors?|subscribers?|everyone)\b",
    rf"(?:^|[;:]\s*)[(\[*\s]*(?:please\s+)?{_ACT}\b[^.]{{0,80}}(?:{_URL}|\bhere\b|\bthis link\b)",
]
# Orders unless someone is reported saying them ("users must update their phones, Apple said";
# "AI chatbots must tell users they are bots, under the new law"): news about an order.
_UNLESS_REPORTED = [
    rf"\b{_MODEL_ANY}\b[^.]{{0,40}}\b(?:must|should|shall|are to|is to|need to|needs to|"
    rf"have to|has to|are required to|is required to|will now|are instructed to)\s+"
    rf"(?:now\s+|instead\s+|always\s+|only\s+|also\s+|not\s+|never\s+)*{_SAY}\b",
    rf"\b{_READERS}\s+(?:must|should|need to|needs to|have to|has to|are required to|"
    rf"are asked to|are urged to|are advised to)\s+(?:now\s+|immediately\s+|first\s+|please\s+)*"
    rf"{_ACT}\b",
    # "You must pay to park" is advice an explainer gives; with a link to follow, it is phishing.
    rf"\byou\s+(?:must|should|need to|have to)\s+(?:now\s+|immediately\s+|first\s+)*{_ACT}\b"
    rf"[^.]{{0,80}}{_URL}",
]
_ORDER = re.compile("|".join(f"(?:{p})" for p in _ALWAYS), re.I)
_REPORTABLE_ORDER = re.compile("|".join(f"(?:{p})" for p in _UNLESS_REPORTED), re.I)
_REPORTED = re.compile(
    r"\b(?:said|says|told|tells|according to|warned|announced|added|wrote|reported|"
    r"law|laws|rules?|regulations?|regulators?|ruled|bill|act|guidelines|policy)\b",
    re.I,
)

# Characters that draw nothing: zero-width spaces and joiners, the BOM, soft hyphens, bidi marks.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})
_ZERO_WIDTH_SPACES = frozenset("\u200b\u2060\ufeff\u180e")


def normalise(text: str) -> str:
    """`text` as it reads: compatibility forms folded, marks and invisible characters dropped,
    look-alike letters of other scripts made Latin, whitespace folded, in lower case."""
    return _fold(text, zero_width_as_space=False)


def is_instruction(sentence: str) -> bool:
    """Whether an article's sentence reads as an order to an AI or to its reader rather than as news.

    Tried twice: with zero-width characters dropped ("Ig\u200bnore") and read as spaces
    ("Ignore\u200ball"), since either may be how an attacker hid the words.
    """
    if sentence.isascii() and "\x1b" not in sentence:
        variants = [" ".join(sentence.split()).casefold()]
    else:
        variants = list(
            dict.fromkeys(
                (
                    _fold(sentence, zero_width_as_space=False),
                    _fold(sentence, zero_width_as_space=True),
                )
            )
        )
    return any(_is_order(v) for v in variants)


def without_instructions(passages: Sequence[Passage]) -> list[Passage]:
    """The passages with their order-like sentences taken out of the sentences an answer may quote.

    The chunk's text stays as it is (offsets and `/source N` are unchanged); only its list of
    sentences loses the orders, and every answerer quotes from that list.
    """
    out = []
    for passage in passages:
        chunk = passage.chunk
        kept = tuple((s, e) for s, e in chunk.sentences if not is_instruction(chunk.text_at(s, e)))
        if len(kept) != len(chunk.sentences):
            passage = replace(passage, chunk=replace(chunk, sentences=kept))
        out.append(passage)
    return out


def _is_order(text: str) -> bool:
    if _ORDER.search(text):
        return True
    return _REPORTABLE_ORDER.search(text) is not None and _REPORTED.search(text) is None


def _fold(text: str, *, zero_width_as_space: bool) -> str:
    if zero_width_as_space:
        text = "".join(" " if ch in _ZERO_WIDTH_SPACES else ch for ch in text)
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch if ch >= " " or ch in "\t\n" else " ")
            continue
        category = unicodedata.category(ch)
        if category in _INVISIBLE_CATEGORIES:
            continue
        if category[0] == "Z":
            out.append(" ")
            continue
        out.append(_latin_lookalikes().get(ch, ch) if category[0] == "L" else ch)
    return " ".join("".join(out).split()).casefold()


@cache
def _latin_lookalikes() -> dict[str, str]:
    """Each letter of another script that Unicode's confusables table says looks like a Latin
    letter (or two), and those letters: "о" (Cyrillic) is "o", "ı" is "i"."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        for glyph in glyphs:
            target = glyph["c"]
            if target.isascii() and target.isalpha():
                table[char] = target
                break
    return table
