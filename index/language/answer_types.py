"""What kind of answer a question wants (a name, a number, a date, a place) and where text holds one.

Retrieval uses it to prefer passages that hold an answer of the right kind, and the extractive
answerer to prefer such sentences, so that "who" finds the sentence with the name in it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.language.vocabulary import (
    COUNT_WORD_PATTERN,
    MONTH_PATTERN,
    MONTHS,
    WEEKDAY_PATTERN,
    WEEKDAYS,
    stem,
)

ANSWER_SHAPES: dict[str, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b({COUNT_WORD_PATTERN})\b", re.I),
    "date": re.compile(
        rf"\b({MONTH_PATTERN})\b\.?\s*\d|\b\d{{1,2}}\s+({MONTH_PATTERN})\b|"
        rf"\b({WEEKDAY_PATTERN})\b|\b(1[89]|20)\d\d\b|"
        r"\b(next|last|this) (year|week|month)\b|\b(yesterday|today|tomorrow)\b",
        re.I,
    ),
    "place": re.compile(r"\b(in|at|to|from|near)\s+(the\s+)?[A-Z][\w.-]+"),
    "name": re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][\w'’.-]+)+"),
}
_QUESTION_SHAPES = [
    (
        re.compile(
            r"\bhow (many|much|long|far|old|often)\b|\bwhat (number|percentage|share|amount)\b",
            re.I,
        ),
        "number",
    ),
    (re.compile(r"\bwhen\b|\bwhat (date|day|year|month|time)\b", re.I), "date"),
    (re.compile(r"\bwhere\b|\bwhich (city|country|place|state)\b", re.I), "place"),
    (re.compile(r"\bwho(m|se)?\b", re.I), "name"),
]


def answer_shape(question: str) -> str | None:
    """What kind of answer the question wants: a number, a date, a place, a name, or None."""
    for pattern, shape in _QUESTION_SHAPES:
        if pattern.search(question):
            return shape
    return None


def has_shape(text: str, question: str, shape: str) -> bool:
    """Whether `text` holds an answer of that shape that the question doesn't already state."""
    return _states(ANSWER_SHAPES[shape], text, question)


# A full date ("November 10, 2020", "10 November 2020") and a day of a month ("Nov 15").
_FULL_DATE = re.compile(
    rf"\b({MONTH_PATTERN})\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s+(1[89]|20)\d\d\b|"
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+({MONTH_PATTERN})\.?,?\s+(1[89]|20)\d\d\b",
    re.I,
)
_DAY_OF_MONTH = re.compile(
    rf"\b({MONTH_PATTERN})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b|"
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({MONTH_PATTERN})\b",
    re.I,
)


def answer_strength(text: str, question: str, shape: str) -> float:
    """How fully `text` answers a question of that shape: 0 (not at all) to 1.

    A "when" question wants the day: "released on November 10, 2020" answers it better than
    "released in 2020" or "last week". Other shapes are held or not.
    """
    if shape != "date":
        return 1.0 if has_shape(text, question, shape) else 0.0
    if _states(_FULL_DATE, text, question):
        return 1.0
    if _states(_DAY_OF_MONTH, text, question):
        return 0.5
    return 0.25 if has_shape(text, question, shape) else 0.0


def _states(pattern: re.Pattern[str], text: str, question: str) -> bool:
    q = question.casefold()
    return any(m.group(0).casefold() not in q for m in pattern.finditer(text))


# --- answer candidates: the spans of a sentence that could be the fact asked for -------------

# "which show", "what company": a named thing; "what did ... do" and "why" have no such shape.
_WHICH_WHAT = re.compile(
    r"\b(which|what)\s+(?!(is|was|are|were|did|does|do|has|have|had)\b)\w+", re.I
)
_CONNECTORS = r"of|on|for|de|del|da|di|du|la|le|van|von|der|bin|al|&"
_CAPITAL_RUN = re.compile(
    rf"(?:[A-Z][\w'’.&-]*)(?:(?:\s+(?:{_CONNECTORS})){{0,2}}\s+(?:[A-Z][\w'’.&-]*|\d+\b))*"
)
# A thing's name may join two words with "and" ("Acquisition and Cross-Servicing Agreement"); a
# person's may not ("Hegseth and Khaled" are two).
_THING_RUN = re.compile(
    rf"(?:[A-Z][\w'’.&-]*)(?:(?:\s+(?:{_CONNECTORS}|and)){{0,2}}\s+(?:[A-Z][\w'’.&-]*|\d+\b))*"
)
# A quoted title ("“Squid Game”"): capitalised and short, unlike a quoted remark.
_QUOTED = re.compile(r"[“\"‘]([A-Z0-9][^”\"’\n]{1,40})[”\"’]")
# A dateline or credit opening a sentence: "LONDON —", "New York (CNN Business) —", "KUALA LUMPUR:".
_OPENING_CREDIT = re.compile(r"^[^.!?]{0,40}?(\((CNN|AP|Reuters|AFP)[^)]*\)|\s[—–]\s|:\s)")
_AMOUNT = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent\b|per cent\b)|"
    r"(?:\s(?:million|billion|trillion|thousand|hundred))\b)?|"
    rf"\b(?:{COUNT_WORD_PATTERN})\b(?:\s(?:million|billion|trillion|thousand|hundred)\b)?",
    re.I,
)
_DATE_SPAN = re.compile(
    rf"\b(?:{MONTH_PATTERN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:1[89]|20)\d\d)?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTH_PATTERN})\b(?:,?\s+(?:1[89]|20)\d\d\b)?|"
    rf"\b(?:{MONTH_PATTERN})\.?\s+(?:1[89]|20)\d\d\b|\b(?:{WEEKDAY_PATTERN})\b|\b(?:1[89]|20)\d\d\b",
    re.I,
)
# Capitalised words that open sentences or name times, not things.
_NOT_NAMES = (
    frozenset(
        [
            "a",
            "an",
            "the",
            "this",
            "that",
            "these",
            "those",
            "it",
            "its",
            "he",
            "she",
            "they",
            "we",
            "i",
            "you",
            "his",
            "her",
            "their",
            "our",
            "my",
            "in",
            "on",
            "at",
            "of",
            "for",
            "from",
            "to",
            "by",
            "with",
            "as",
            "and",
            "but",
            "or",
            "if",
            "when",
            "while",
            "after",
            "before",
            "during",
            "since",
            "according",
            "also",
            "however",
            "meanwhile",
            "mr",
            "mrs",
            "ms",
            "dr",
        ]
    )
    | WEEKDAYS
)
_MONTH_WORDS = re.compile(rf"^(?:{MONTH_PATTERN})\.?$", re.I)


_ASKS_DATE = re.compile(r"\b(dates?|(what|which) (year|day|month))\b", re.I)
_ASKS_AMOUNT = re.compile(
    r"\b(what|which)\b.*\b(revenue|price|cost|salary|population|percentage|rate|score|amount|"
    r"worth|value|budget|total|sum|fee|fine|age)\b",
    re.I,
)


def answer_kind(question: str) -> str | None:
    """The kind of answer the answerer looks for: `answer_shape`'s, a date or an amount asked
    without "when" or "how many" ("the release date", "Tesla's revenue"), "entity" for a
    which/what question about a thing ("which show"), or None ("why", "what did they do")."""
    shape = answer_shape(question)
    if shape is not None:
        return shape
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_AMOUNT.search(question):
        return "number"
    return "entity" if _WHICH_WHAT.search(question) else None


def answer_spans(
    text: str, question: str, kind: str, common: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """(start, end) of each span of `text` that could answer a question of that kind and that the
    question doesn't already state: names for who, amounts for how many, dates for when...

    `common`: words known to be ordinary (seen in lower case nearby), which alone name nothing
    ("There", "Over" opening a sentence).
    """
    asked = _stems(question)
    if kind == "number":
        found = [(m.start(), m.end()) for m in _AMOUNT.finditer(text)]
    elif kind == "date":
        found = [(m.start(), m.end()) for m in _DATE_SPAN.finditer(text)]
    else:
        found = _names(text, asked, _THING_RUN if kind == "entity" else _CAPITAL_RUN)
        if kind == "entity":
            found += [(m.start(1), m.end(1)) for m in _QUOTED.finditer(text)]
        credit = _OPENING_CREDIT.match(text)
        if credit is not None:
            found = [(a, b) for a, b in found if a >= credit.end()]
        found = [
            (a, b)
            for a, b in found
            if text[a:b].casefold() not in common and text[a - 1 : a] != "("
        ]
    # "2020," and "$5." end where the number does.
    found = [(a, a + len(text[a:b].rstrip(",.;: "))) for a, b in found]
    return [(a, b) for a, b in sorted(set(found)) if b > a and not _stems(text[a:b]) <= asked]


def _names(text: str, asked: frozenset[str], runs: re.Pattern[str]) -> list[tuple[int, int]]:
    """Runs of capitalised words ("Bed Bath & Beyond", "Memorandum of Understanding on Defense
    Cooperation"), cut after a possessive ("Slovenia's | Tadej Pogačar"), without leading words
    that only open a sentence or repeat the question ("Apple CEO | Tim Cook"); a trailing one
    stays, as in "the Acquisition and Cross-Servicing Agreement" for "which agreement"."""
    spans = []
    for run in runs.finditer(text):
        words = [
            (run.start() + w.start(), run.start() + w.end())
            for w in re.finditer(r"\S+", run.group(0))
        ]
        for part in _split_after_possessives(text, words):
            while part and _not_a_name(text[part[0][0] : part[0][1]], asked):
                part.pop(0)
            while part and _not_a_name(text[part[-1][0] : part[-1][1]], frozenset()):
                part.pop()
            if not part:
                continue
            a, b = part[0][0], part[-1][1]
            b = a + len(text[a:b].rstrip(".,;:'’-"))
            if text[b - 2 : b] in ("'s", "’s"):
                b -= 2
            if b - a >= 2:
                spans.append((a, b))
    return spans


def _split_after_possessives(
    text: str, words: list[tuple[int, int]]
) -> list[list[tuple[int, int]]]:
    parts: list[list[tuple[int, int]]] = [[]]
    for a, b in words:
        parts[-1].append((a, b))
        if text[a:b].rstrip(".,;:").endswith(("'s", "’s")):
            parts.append([])
    return [p for p in parts if p]


def _not_a_name(word: str, asked: frozenset[str]) -> bool:
    bare = word.strip(".,;:'’").casefold()
    return (
        bare in _NOT_NAMES
        or bare.isdigit()
        or bool(_MONTH_WORDS.match(bare))
        or (bool(_stems(word)) and _stems(word) <= asked)
    )


@lru_cache(maxsize=8192)
def _stems(text: str) -> frozenset[str]:
    """Folded, stemmed words, with dotted abbreviations closed up: "U.S. Open's" → {us, open}."""
    words = re.findall(r"[\w$%€£]+", re.sub(r"(?<=\b\w)\.(?=\w\b)|(?<=\b\w\.\w)\.", "", text))
    return frozenset(stem([w.casefold() for w in words if w.casefold() not in ("s",)]))


_MONTH_DAY = re.compile(rf"\b(?P<m>{MONTH_PATTERN})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{MONTH_PATTERN})\b", re.I
)


def parse_day(text: str) -> tuple[int, int] | None:
    """(month, day) of the first day of a month that `text` names: "July 21", "21st July"."""
    m = _MONTH_DAY.search(text) or _DAY_MONTH.search(text)
    if m is None:
        return None
    # The pattern also takes "sepember"-like slips that name no month in MONTHS.
    month, day = MONTHS.get(m.group("m").casefold()), int(m.group("d"))
    return (month, day) if month is not None and 1 <= day <= 31 else None
