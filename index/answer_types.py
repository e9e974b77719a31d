"""What kind of answer a question wants (a name, a number, a date, a place) and where text holds one.

Retrieval uses it to prefer passages that hold an answer of the right kind, and the extractive
answerer to prefer such sentences, so that "who" finds the sentence with the name in it.
"""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|half|twice"
)
_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?"
)
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
ANSWER_SHAPES: dict[str, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    "date": re.compile(
        rf"\b({_MONTHS})\b\.?\s*\d|\b\d{{1,2}}\s+({_MONTHS})\b|\b({_DAYS})\b|\b(1[89]|20)\d\d\b|"
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
    rf"\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s+(1[89]|20)\d\d\b|"
    rf"\b\d{{1,2}}(st|nd|rd|th)?\s+({_MONTHS})\.?,?\s+(1[89]|20)\d\d\b",
    re.I,
)
_DAY_OF_MONTH = re.compile(
    rf"\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b",
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
