"""The hard facts of a sentence: its numbers, months and names, in forms that compare.

An invented sentence gets these wrong first, so the claim checker asks for each of them in the
source (`claims.Evidence.holds`): "1,000" is "1000" and "three" is "3"; "Oct" and "May" are
months where "may" is a verb; "U.S." is "US", and a name may be written in a short or long form.
"""

from __future__ import annotations

import re

from index.language.lexicon import Lexicon
from index.language.vocabulary import MONTHS, NUMBER_WORDS, news_stopwords
from index.language.words import WORD

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*")
# Words that open a sentence in capitals without being a name.
_OPENERS = {
    "according",
    "additionally",
    "also",
    "although",
    "however",
    "meanwhile",
    "moreover",
    "overall",
    "furthermore",
    "finally",
    "instead",
    "yes",
    "indeed",
    "answer",
    "today",
    "yesterday",
    "last",
    "next",
    "earlier",
    "later",
    "in",
    "on",
}
# Short and long forms of the names news text uses most (compared after `plain`).
_ALIASES = {
    "us": ("united states", "america"),
    "usa": ("united states", "us", "america"),
    "uk": ("united kingdom", "britain"),
    "un": ("united nations",),
    "eu": ("european union",),
    "american": ("us", "united states"),
    "british": ("uk", "britain", "united kingdom"),
}


def numbers_in(text: str) -> frozenset[str]:
    """The numbers `text` states, in digits and in words, each in one form ("1000", "3")."""
    found = set()
    for m in _NUMBER.finditer(text):
        # "1,000" and "1000" are one number; "2.50" and "2.5" too.
        value = re.sub(r",(?=\d{3}(?!\d))", "", m.group(0))
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value)
    for word in WORD.findall(text):
        if (digits := NUMBER_WORDS.get(word.casefold())) is not None:
            found.add(digits)
    return frozenset(found)


def months_in(text: str) -> frozenset[int]:
    """Months named in capitals ("may" and "march" are verbs too), or in ISO dates."""
    return frozenset(
        MONTHS[w.casefold()]
        for w in WORD.findall(text)
        if w.casefold() in MONTHS and w[0].isupper()
    ) | frozenset(int(m) for m in re.findall(r"\b\d{4}-(\d{2})-\d{2}\b", text))


def plain(text: str) -> str:
    """Casefolded, possessives and dots dropped, letters apart from digits: "U.S.'s" and "US"
    compare equal, and "RM10.5bil" mentions "RM"."""
    text = text.casefold().replace("’", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.", "", text)
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", text)


def name_patterns(text: str, lex: Lexicon) -> tuple[re.Pattern[str], ...]:
    """Each name in `text`, as a pattern that finds any of its forms in a source's `plain` text."""
    return tuple(
        re.compile(rf"\b(?:{'|'.join(re.escape(f) for f in _name_forms(name, lex))})\b")
        for name in dict.fromkeys(_names(text, lex))
    )


def is_fact(word: str) -> bool:
    """A number or a month: checked as a hard fact, not counted among the words."""
    low = word.casefold()
    return (
        any(ch.isdigit() for ch in low)
        or low in NUMBER_WORDS
        or (word[:1].isupper() and low in MONTHS)
    )


def _names(text: str, lex: Lexicon) -> list[str]:
    """Capitalised words: names, places, organisations (a month is checked as a date instead)."""
    names: list[str] = []
    for i, found in enumerate(_CAPITALISED.finditer(text)):
        word = found.group(0).rstrip(".-’'")
        if any(ch.isdigit() for ch in word):
            # "RM10.5": the number is checked as a number, the currency as a name.
            word = re.split(r"\d", word, maxsplit=1)[0].rstrip(".-’'")
        low = word.casefold().removesuffix("’s").removesuffix("'s")
        if len(low) < 2 or low in MONTHS or low in NUMBER_WORDS:
            continue
        at_start = i == 0 and not text[: found.start()].strip(" \"“'‘(")
        if at_start and (low in news_stopwords() or low in _OPENERS or lex.never_a_noun(low)):
            continue
        if low in news_stopwords() and not word.isupper():
            continue
        # "Thailand-Cambodia": each part is a name of its own.
        names.extend(part for part in re.split(r"[-–]", plain(low)) if len(part.strip()) >= 2)
    return names


def _name_forms(name: str, lex: Lexicon) -> tuple[str, ...]:
    """A name as a source may write it: itself, a short or long form, another spelling."""
    return (name, *_ALIASES.get(name, ()), *sorted(lex.name_forms(name)))
