"""The English words text is read with: months, weekdays, number words, stopwords and stems.

Articles' dates (`articles`), answers of a kind (`answer_types`), the extractive answerer and the
claim checker all name months, days and numbers; each takes the words from here, so that what
one reads as a month the others read as one too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

# Month names and abbreviations to month numbers, for reading dates in text.
MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
# Each month's full name, to compare "Oct" with "October" as words.
MONTH_NAMES = {n: max((m for m, k in MONTHS.items() if k == n), key=len) for n in range(1, 13)}

# The same names as regular-expression alternatives (match them case-insensitively). Patterns
# that answer "when" are built from these.
MONTH_PATTERN = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?"
)
WEEKDAY_PATTERN = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
WEEKDAYS = frozenset(WEEKDAY_PATTERN.split("|"))

# Words that state how many, as a regular-expression alternative: a sentence with one holds an
# answer to "how many" ("dozens of", "twice").
COUNT_WORD_PATTERN = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|half|twice"
)
# Numbers written as words, with their digits: a claim's "three" is a source's "3".
NUMBER_WORDS = {
    word: str(i)
    for i, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12"}

# Words nearly every news sentence has: a claim is not checked on them.
_NEWS_WORDS = frozenset(
    {"also", "said", "says", "would", "could", "may", "might", "according", "must"}
)


@cache
def stopwords() -> frozenset[str]:
    """English function words ("the", "many", "did"): they say nothing about what is asked."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


@cache
def news_stopwords() -> frozenset[str]:
    """Function words and the words every news sentence has ("said", "according", "may")."""
    return stopwords() | _NEWS_WORDS


@cache
def stemmer() -> Any:
    """The English Snowball stemmer that BM25 indexes with (PyStemmer)."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(words: Sequence[str]) -> list[str]:
    """English stems of lowercase words, as BM25 indexes them."""
    stems: list[str] = stemmer().stemWords(list(words))
    return stems
