"""Typed candidate answers in a sentence, and how the sentence states what the question is about.

A sentence is parsed (index/language/pipeline), and each of its entities of a kind the question
wants (a PERSON for "who", MONEY for "how much did they pay") is a candidate, as are a role beside
a name the question asks about ("U.S. Secretary of War, Pete Hegseth") and the object of the
question's stranded preposition ("crashed into *a dump truck*"). A candidate is linked to the
question when the parse puts it near a word that states the question's focus or relation
("ambassador", "paid"): matched by lemma, by WordNet, or as a form of the same name. A candidate
that only repeats the question is no candidate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.answering.entities import entities, proper_runs
from bot.answering.mentions import (
    abbreviated,
    abbreviates,
    lemmas_of,
    name_in,
    refers_back,
    stated,
    token_states,
    undot,
    word_forms,
)
from index.language.answer_types import parse_day
from index.language.questions import Question
from index.language.words import WORD_WITH_SIGNS as _WORD

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# A dateline or credit opening a sentence: "LONDON —", "New York (CNN Business) —".
_OPENING_CREDIT = re.compile(r"^[^.!?]{0,40}?(\((CNN|AP|Reuters|AFP)[^)]*\)|\s[—–]\s|:\s)")
# "U.S.", "D.C.", "Inc.": the full stop belongs to the name.
_ABBREVIATION = re.compile(r"(\b\w\.){2,}$|\b(Inc|Corp|Co|Ltd|Jr|Sr|St)\.$")
# The dot after each letter of "U.S." or "U.K.", so that "U.S." reads as "US".
_ABBREVIATION_DOT = re.compile(r"(?<=\b[A-Za-z])\.(?=[A-Za-z]\b)")


@dataclass
class Found:
    """A candidate answer: the sentence's text between `start` and `end`."""

    start: int
    end: int
    text: str
    fit: float  # how well its type fits the question's kind, 0 to 1
    link: float  # 1 beside the word that states the question's focus or relation, towards 0 far
    key: str  # folded, to count the articles that state it
    members: tuple[tuple[int, int], ...] = ()  # the other names of a list ("X and Y")
    on_focus: bool = False  # linked to the question's focus itself, in its own sentence
    files: int = 1

    @property
    def strength(self) -> float:
        # Another article stating it counts as much as standing right beside the focus.
        return self.fit * (0.5 + self.link + min(self.files - 1, 2))


@dataclass
class Statement:
    """What one sentence states of a question."""

    focus: bool  # it states the question's focus (or it needs none)
    verb: bool  # it states the question's relation (or it needs none)
    acts: bool  # ... as a verb: "fired", not "live fire drills"
    title_focus: bool  # its article's title states the question's focus
    names: frozenset[str]  # the question's names it states
    bound: bool  # it states the names bound to the focus, in it or the sentence before
    near_focus: bool  # it states the focus itself, in it or the sentence before
    numbers: frozenset[str]
    days: bool  # it states the question's month and day (or it asks none)
    content: frozenset[str]  # the question's content lemmas it states, in it or the one before
    in_passage: frozenset[str]  # ... or anywhere in its passage
    found: list[Found] = field(default_factory=list)


def read_sentence(
    question: Question,
    doc: Doc,
    context: str,
    title: str,
    passage: str,
    known: Mapping[str, str] | None = None,
    near_focus: frozenset[str] = frozenset(),
) -> Statement:
    """What `doc` (one sentence) states of the question, and its candidate answers.

    Its words are read with the sentence before it (`context`), which its "it" and "they" refer
    to; the names, numbers and focus of the question may stand anywhere in its `passage` or the
    article's `title`: the passage is about them.
    """
    anchors, verb_tokens, statement = _statement(question, doc, context, title, passage, near_focus)
    link_to = (
        anchors
        or verb_tokens
        or [
            t for t in doc if t.lemma_.casefold() in question.content or _is_name_token(t, question)
        ]
    )
    statement.found = _candidates(question, doc, link_to, known or {})
    for found in statement.found:
        found.on_focus = bool(anchors) and found.link >= 0.33
    if not anchors and not question.focus_generic:
        # Near other words of the question, but the one it asks about is not in the sentence.
        for found in statement.found:
            found.link *= 0.5
    return statement


def _statement(
    question: Question,
    doc: Doc,
    context: str,
    title: str,
    passage: str,
    near_focus: frozenset[str],
) -> tuple[list[Token], list[Token], Statement]:
    """What the sentence states of the question, with the tokens that state its focus (anchors)
    and its relation; its candidates are found after."""
    lemmas = lemmas_of(doc)
    around = lemmas | word_forms(context) | word_forms(title)
    everywhere = around | word_forms(passage)
    text_around = undot(" ".join([doc.text, context, title, passage]).casefold())
    anchors = (
        [
            t
            for t in doc
            if token_states(question.focus, t)
            or abbreviates(t, question.focus)
            or t.lemma_.casefold() in near_focus
        ]
        if question.focus
        else []
    )
    verb_tokens = [t for t in doc if token_states(question.verb, t)] if question.verb else []
    names = frozenset(n for n in question.names if name_in(n, text_around, around))
    numbers = frozenset(
        n for n in question.numbers if re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", text_around)
    )
    days = (
        not question.days
        or any(parse_day(ent.text) in question.days for ent in doc.ents)
        or parse_day(context) in question.days
    )
    content = frozenset(c for c in question.content if stated(c, around))
    in_passage = frozenset(c for c in question.content if stated(c, everywhere))
    text_near = undot(" ".join([doc.text, context]).casefold())
    near = lemmas | word_forms(context)
    statement = Statement(
        acts=question.verb is None or any(t.pos_ in ("VERB", "AUX") for t in verb_tokens),
        title_focus=bool(question.focus) and stated(question.focus or "", set(word_forms(title))),
        # Whose focus it is ("Thailand's minister") is said in the same sentence as the focus.
        # (or the sentence before, when this one refers to it: "she earned...").
        bound=all(
            name_in(n, undot(doc.text.casefold()), lemmas)
            or (refers_back(doc) and name_in(n, undot(context.casefold()), near))
            for n in question.bound
        ),
        near_focus=question.focus_generic
        or bool(anchors)
        or stated(question.focus or "", near)
        or abbreviated(question.focus or "", text_near),
        focus=question.focus_generic
        or bool(anchors)
        or stated(question.focus or "", everywhere)
        or abbreviated(question.focus or "", text_around),
        verb=question.verb is None or bool(verb_tokens) or stated(question.verb, around),
        names=names,
        numbers=numbers,
        days=days,
        content=content,
        in_passage=in_passage,
    )
    return anchors, verb_tokens, statement


def _candidates(
    question: Question, doc: Doc, link_to: Sequence[Token], known: Mapping[str, str]
) -> list[Found]:
    spans: list[tuple[Span, float]] = []
    credit = _OPENING_CREDIT.match(doc.text)
    credit_end = credit.end() if credit else 0
    if question.kind == "role":
        spans = [(s, 1.0) for s in _roles(question, doc)]
    elif question.prep is not None and not question.typed:
        spans = [(s, 0.8) for s in _prep_objects(question, doc)]
    else:
        spans = _typed_spans(question, doc, link_to, known)
    found: list[Found] = []
    for span, fit in spans:
        label = span.label_
        while len(span) > 1 and span[0].pos_ == "DET":
            span = span[1:]  # "the U.S. Secretary of War" is quoted as "U.S. Secretary of War"
        if span.start_char < credit_end or _echoes(question, span):
            continue
        text = span.text.rstrip(",;:'’").removesuffix("'s").removesuffix("’s")
        if text.endswith(".") and not _ABBREVIATION.search(text):
            text = text[:-1]
        if len(text) < 2:
            continue
        link = _link(span, link_to)
        members = _list_members(span, label) if question.plural else ()
        found.append(
            Found(
                start=span.start_char,
                end=span.start_char + len(text),
                text=text,
                fit=fit,
                link=link,
                key=_key(text, question),
                members=members,
            )
        )
    return found


def _in_units(ent: Span, units: frozenset[str]) -> bool:
    """Whether the entity, or the words right after it ("85 miles an hour"), give one of `units`."""
    words = f" {' '.join(t.lower_ for t in ent.doc[ent.start : ent.end + 3])} "
    return any(f" {unit} " in words for unit in units)


def _typed_spans(
    question: Question, doc: Doc, link_to: Sequence[Token], known: Mapping[str, str]
) -> list[tuple[Span, float]]:
    """The sentence's entities of the kinds the question wants, each with how well it fits, and
    runs of names shaped like the kind when the model gave them another label."""
    spans: list[tuple[Span, float]] = []
    for ent in entities(doc, known):
        fit = question.labels.get(ent.label_, 0.0)
        if question.kind == "date" and _DURATION.match(ent.text):
            fit = min(fit, 0.3)  # "27 years" is how long, not when
        if question.units and not _in_units(ent, question.units):
            fit = min(fit, 0.3)  # "85 passengers" is no speed
        head = ent.root.head
        if ent.root.dep_ in _MODIFIER and head.pos_ in ("NOUN", "PROPN") and head not in link_to:
            # "U.S. HIMARS", "Malaysia's minister": it says which, it is not the thing.
            fit *= 0.5
        if fit > 0:
            spans.append((ent, fit))
    if question.kind == "person":
        # A name the model took for a place or a thing ("Amara Nightingale", FAC) is still
        # shaped like a person's: two to four capitalised proper nouns.
        taken = {t.i for s, _ in spans for t in s}
        for run in proper_runs(doc):
            if 2 <= len(run) <= 4 and not any(t.i in taken for t in run):
                spans.append((run, 0.6))
    if question.kind == "place":
        # "near the city of Mendon": a name after a word of place is a place.
        taken = {t.i for s, _ in spans for t in s}
        for run in proper_runs(doc):
            head = run.root.head
            placed = head.lower_ in _PLACE_WORDS or (
                head.lower_ == "of" and head.head.lemma_.casefold() in _PLACE_NOUNS
            )
            if placed and not any(t.i in taken for t in run):
                spans.append((run, 0.6))
    if question.kind == "named":
        taken = {t.i for s, _ in spans for t in s}
        for chunk in doc.noun_chunks:
            proper = [t for t in chunk if t.pos_ == "PROPN"]
            if proper and not any(t.i in taken for t in chunk):
                spans.append((doc[proper[0].i : proper[-1].i + 1], 0.6))
    return spans


_DURATION = re.compile(
    r"^(about |some |nearly |almost |more than |over )?[\d.,]+\s*(-\s*)?"
    r"(years?|months?|weeks?|days?|hours?|minutes?)\b(?! ago)",
    re.I,
)
_MODIFIER = frozenset({"compound", "amod", "poss", "nmod"})


_PLACE_WORDS = frozenset({"in", "at", "near", "outside", "off", "from", "to", "across"})
_PLACE_NOUNS = frozenset({"city", "town", "village", "state", "county", "province", "region"})


def _roles(question: Question, doc: Doc) -> list[Span]:
    """Titles beside a name the question asks about: "U.S. Secretary of War, Pete Hegseth",
    "Edgard D. Kagan, Ambassador", "Defence Minister Mohamed Khaled"."""
    out: list[Span] = []
    for ent in doc.ents:
        if ent.label_ != "PERSON" or not any(
            name_in(n, ent.text.casefold(), set()) for n in question.names
        ):
            continue
        root = ent.root
        # "Secretary of War, Pete Hegseth": the name in apposition to the title.
        if root.dep_ == "appos" and root.head.pos_ in ("NOUN", "PROPN"):
            head = root.head
            left = min(t.i for t in head.subtree if t.i < ent.start or t.i == head.i)
            right = head.i + 1
            for t in head.rights:
                if t.dep_ == "prep" and t.i < ent.start:
                    right = max(x.i for x in t.subtree) + 1
            if left < right <= ent.start:
                out.append(doc[left:right])
        for child in root.children:
            if child.dep_ == "appos" and child.i > root.i:
                sub = sorted(child.subtree, key=lambda t: t.i)
                out.append(doc[sub[0].i : sub[-1].i + 1])
        # "Defense Secretary Pete Hegseth": title words before the name in one phrase.
        before = [t for t in root.lefts if t.dep_ in ("compound", "nmod") and t.i < ent.start]
        if before:
            out.append(doc[min(t.i for t in before[0].subtree) : ent.start])
    return [s for s in out if any(t.pos_ in ("NOUN", "PROPN") for t in s)]


def _prep_objects(question: Question, doc: Doc) -> list[Span]:
    """The noun phrases a verb like the question's governs through its preposition ("died *of
    cancer*", "crashed *into a dump truck*"), or as its object."""
    out: list[Span] = []
    for t in doc:
        if t.dep_ == "prep" and t.lemma_.casefold() == question.prep:
            for obj in t.children:
                if obj.dep_ == "pobj":
                    sub = sorted(obj.subtree, key=lambda x: x.i)
                    out.append(doc[sub[0].i : sub[-1].i + 1])
    return out


def _list_members(span: Span, label: str) -> tuple[tuple[int, int], ...]:
    """The names joined to this one by "and" ("Hegseth and Khaled"), as character spans; a name
    in apposition stands for its title ("Secretary of War, Pete Hegseth, and Malaysia's
    Minister of Defense, Mohamed Khaled")."""
    root = span.root
    heads = [root, root.head] if root.dep_ == "appos" else [root]
    members = []
    for head in heads:
        for t in head.conjuncts:
            for cand in [t, *(c for c in t.children if c.dep_ == "appos")]:
                ent = next(
                    (e for e in t.doc.ents if e.start <= cand.i < e.end and e.label_ == label),
                    None,
                )
                if ent is not None and ent != span:
                    members.append((ent.start_char, ent.end_char))
                    break
    return tuple(sorted(set(members)))


def _link(span: Span, anchors: Sequence[Token]) -> float:
    """1 / the parse's distance from the span to the nearest anchor (1 inside or beside it)."""
    if not anchors:
        return 0.0
    best = min(_distance(span.root, a) for a in anchors)
    if any(span.start <= a.i < span.end for a in anchors):
        best = 1
    return 1.0 / max(1, best)


def _distance(a: Token, b: Token) -> int:
    """The steps between two words in the parse, a preposition on the way not counted: "drills
    involving ... *in* the Straits" is two steps."""
    up_a = [a, *a.ancestors]
    up_b = [b, *b.ancestors]
    depth_b = {t.i: n for n, t in enumerate(up_b)}
    for n, t in enumerate(up_a):
        if t.i in depth_b:
            path = up_a[1:n] + up_b[1 : depth_b[t.i]]
            return n + depth_b[t.i] - sum(p.pos_ == "ADP" for p in path)
    return len(up_a) + len(up_b)


def _echoes(question: Question, span: Span) -> bool:
    """A span whose every word is in the question says nothing new."""
    words = [t.lemma_.casefold() for t in span if not t.is_punct and not t.is_stop]
    if not words:
        return True
    if question.days and span.label_ == "DATE" and parse_day(span.text) in question.days:
        return True
    return all(w in question.words or w in _name_words(question) for w in words)


@lru_cache(maxsize=1024)
def _name_words_of(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.casefold() for n in names for w in _WORD.findall(n))


def _name_words(question: Question) -> frozenset[str]:
    return _name_words_of(question.names)


def _is_name_token(token: Token, question: Question) -> bool:
    return token.pos_ == "PROPN" and token.lower_ in _name_words(question)


def _key(text: str, question: Question) -> str:
    if question.kind == "date" and (day := parse_day(text)) is not None:
        return f"{day[0]:02d}-{day[1]:02d}"
    # "U.S." and "US" are one answer: an abbreviation's dots are no word breaks.
    text = _ABBREVIATION_DOT.sub("", text)
    return " ".join(w.casefold() for w in _WORD.findall(text))
