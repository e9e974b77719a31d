"""Whether the quoted articles state different values for what the question asks.

A bot that quotes one outlet's "300" while another says "250" misleads, so the answer says that
the sources differ instead of picking one. Only what is clearly the asked-for slot counts: a
candidate of the kind asked for, in a sentence that states the question's names and numbers
("Tesla", "2020"), linked by the parse to its focus ("revenue") or, for a question with no focus
of its own ("How many died?"), to its relation. Two such values disagree when they can't both be
true:
- amounts and counts when their ranges don't meet: "about 300" is 270 to 330, "more than 250"
  is 250 and up, so "300" agrees with both and "250" disagrees with "about 300";
- dates when both name a day (or both only a year) and those differ: "May 2012" and
  "May 15, 2012" don't disagree;
- people and organisations asked for by a role ("the CEO") when neither name is a form of the
  other ("Biden" and "Joe Biden", "Cristophe" and "Christophe" are one).
A date of another year than the question names is another event's. One article stating two values ("9.7 million customers, including 1.8 million abroad") is no
disagreement: each value must come from articles of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.answering.candidates import Found, Statement
from bot.answering.mentions import name_stated
from bot.results import Disagreement, DisagreementValue
from index.language.dates import HEADER_LINE
from index.language.questions import Question

# The kinds of answer whose value can be told apart: an amount, a date, a role's holder.
_VALUE_KINDS = frozenset({"money", "count", "quantity", "percent", "date"})
_NAME_KINDS = frozenset({"person", "organisation"})
_MIN_FIT = 0.8
_MIN_LINK = 0.5
# An approximate amount ("about 300") spans this share either side of it.
_ABOUT = 0.1
# Two names this alike are one name spelled two ways.
_SAME_NAME = 0.85

_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_AMOUNT = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*"
    r"(thousand|million|billion|trillion|mn|bn|tn|k|m|b)?(?![a-z])",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "hundred": 100,
}
_APPROXIMATE = re.compile(
    r"\b(about|around|roughly|nearly|almost|approximately|some|an estimated|estimated|close to|"
    r"up to|more than|over|at least|less than|under|fewer than|upwards of)\s*$",
    re.IGNORECASE,
)
_LOWER_BOUND = frozenset({"more than", "over", "at least", "upwards of"})
_UPPER_BOUND = frozenset({"up to", "less than", "under", "fewer than", "nearly", "almost"})
# An article that says it corrects or updates what was reported ("Correction: ...", "an earlier
# version of this story said ..."); a bare "Updated:" header line only dates the page.
_CORRECTS = re.compile(
    r"\b(corrections?|corrects|corrected|an earlier version|has been updated|was updated|"
    r"updated (?:figures?|toll|count|total)|revised (?:up|down|figures?|toll|count|total))\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^\d{4}$")
_DAY_KEY = re.compile(r"^\d{2}-\d{2}$")


@dataclass(frozen=True)
class Quoted:
    """One quoted sentence of the answer: what it states, where it is, and its citation."""

    statement: Statement
    text: str  # the sentence
    context: str  # the sentence before it, which its "it" and "they" refer to
    files: tuple[str, ...]  # the article and its syndicated copies
    title: str
    date: str | None
    passage: str  # the sentence's passage, where an article says it corrects another
    n: int


def disagreement(question: Question, quoted: Sequence[Quoted]) -> Disagreement | None:
    """The values the quoted articles state for the asked-for slot, when they differ."""
    if not _asks_value(question):
        return None
    values: list[tuple[Found, Quoted]] = []
    for q in quoted:
        found = _slot_value(question, q)
        if found is not None:
            values.append((found, q))
    groups: list[list[tuple[Found, Quoted]]] = []
    for found, q in values:
        for group in groups:
            if _agree(question, group[0][0], found):
                group.append((found, q))
                break
        else:
            groups.append([(found, q)])
    if len(groups) < 2:
        return None
    files = [{f for _, q in g for f in q.files} for g in groups]
    if any(a & b for i, a in enumerate(files) for b in files[i + 1 :]):
        # An article stating two values is answering two slots, not disagreeing.
        return None
    stated = [
        DisagreementValue(
            value=g[0][0].text,
            citations=tuple(sorted({q.n for _, q in g})),
            title=g[0][1].title,
            date=max((q.date for _, q in g if q.date), default=None),
        )
        for g in groups
    ]
    stated.sort(key=lambda v: v.date or "", reverse=True)
    newest = stated[0]
    newest_quoted = [q for g in groups for _, q in g if q.n in newest.citations]
    corrects = (
        newest.date is not None
        and all(v.date is not None and v.date < newest.date for v in stated[1:])
        and any(_CORRECTS.search(HEADER_LINE.sub("", q.passage)) for q in newest_quoted)
    )
    return Disagreement(values=tuple(stated), updated=corrects)


def _asks_value(question: Question) -> bool:
    if question.kind in _VALUE_KINDS:
        return True
    return question.kind in _NAME_KINDS and not question.focus_generic


def _slot_value(question: Question, q: Quoted) -> Found | None:
    """The sentence's value for the slot, when it clearly is that slot's: the question's names
    and numbers in it (or the sentence before), and a candidate of the kind linked to the focus."""
    near = f"{q.context} {q.text}"
    if not all(name_stated(n, near) for n in question.names):
        return None
    if not all(re.search(rf"(?<![\d.,]){re.escape(n)}(?!\d)", near) for n in question.numbers):
        return None
    if question.kind in _NAME_KINDS and not _role_of_bound(question, q.text):
        return None
    linked = [
        f
        for f in q.statement.found
        if f.fit >= _MIN_FIT
        and f.link >= (1.0 if question.kind in _NAME_KINDS else _MIN_LINK)
        and (f.on_focus or question.focus_generic)
        and not _echo(question, f)
        and not _other_year(question, f)
    ]
    return max(linked, key=lambda f: f.strength, default=None)


def _role_of_bound(question: Question, sentence: str) -> bool:
    """ "The CEO of Nintendo": whose role it is, said in the very sentence that names them, and
    not the role of someone else's ("CEO of Illumination")."""
    if not all(name_stated(n, sentence) for n in question.bound):
        return False
    focus = question.spelled.get(question.focus or "", question.focus or "")
    bound = {w.casefold() for n in question.bound for w in re.findall(r"\w+", n) if len(w) > 1}
    role = rf"\b{re.escape(focus)}s?\s+(?:of|at)\s+((?:[A-Z][\w&.-]*\s*)+)"
    for match in re.finditer(role, sentence):
        if not bound & {w.casefold() for w in re.findall(r"\w+", match.group(1))}:
            return False
    return True


def _other_year(question: Question, found: Found) -> bool:
    """A date of another year than the one asked about ("the 2021 draft") is another event's."""
    asked = set(re.findall(r"\b(?:19|20)\d{2}\b", question.text))
    years = set(re.findall(r"\b(?:19|20)\d{2}\b", found.text))
    return bool(asked and years and not years & asked)


def _echo(question: Question, found: Found) -> bool:
    return any(n.casefold() in found.text.casefold() for n in question.numbers)


def _agree(question: Question, a: Found, b: Found) -> bool:
    if a.key == b.key:
        return True
    if question.kind == "date":
        return not (_same_shape(a.key, b.key))
    if question.kind in _NAME_KINDS:
        wa, wb = set(a.key.split()), set(b.key.split())
        return wa <= wb or wb <= wa or SequenceMatcher(None, a.key, b.key).ratio() >= _SAME_NAME
    ra, rb = _range(a.text), _range(b.text)
    if ra is None or rb is None:
        return True  # not a value we can compare: say nothing rather than guess
    return ra[0] <= rb[1] and rb[0] <= ra[1]


def _same_shape(a: str, b: str) -> bool:
    """Both keys a month and day, or both a year: then different keys are different dates."""
    return bool(_DAY_KEY.match(a) and _DAY_KEY.match(b)) or bool(_YEAR.match(a) and _YEAR.match(b))


def _range(text: str) -> tuple[float, float] | None:
    """The values an amount as written allows: "about 300" is 270 to 330."""
    value = _amount(text)
    if value is None:
        return None
    low, high = value * (1 - 1e-9), value * (1 + 1e-9)
    hedge = _APPROXIMATE.search(text[: _first_digit(text)])
    if hedge is None:
        return low, high
    word = " ".join(hedge.group(1).casefold().split())
    if word in _LOWER_BOUND:
        return low, float("inf")
    if word in _UPPER_BOUND:
        return value * (1 - _ABOUT) if word in ("nearly", "almost") else 0.0, high
    return value * (1 - _ABOUT), value * (1 + _ABOUT)


def _first_digit(text: str) -> int:
    match = re.search(r"\d", text)
    if match is not None:
        return match.start()
    words = re.search(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", text, re.I)
    return words.start() if words is not None else len(text)


def _amount(text: str) -> float | None:
    match = _AMOUNT.search(text)
    if match is None:
        words = re.findall(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b", text, re.I)
        return float(_WORD_NUMBERS[words[0].casefold()]) if len(words) == 1 else None
    whole, fraction, scale = match.groups()
    value = float(whole.replace(",", "") + (fraction or ""))
    if scale:
        value *= _SCALES[scale.casefold()]
    return value
