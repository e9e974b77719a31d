"""Dates as news text writes them: publication dates, datelines, and the periods a text names.

"2024-05-01", "May 1, 2024" and "1 May 2024" are one day; "May 2024" and "in 2024" are periods. A
day without its year ("October 30") is `answer_types.parse_day`'s. A header line ("Published:
...") and a dateline ("Apr 13, 2017 ...") say when a piece appeared, not what it reports.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from index.language.vocabulary import MONTHS

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.I),
]
_YEARS = (1900, 2100)  # the years a date may be in: "3000" or "0800" are not dates in the news
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|throughout|as of|by)\s+(?P<year>\d{4})\b", re.I)
# A header line of an article file ("Published: 2022-06-03 | Source: ..."): about the piece, not news.
HEADER_LINE = re.compile(r"^\s*(published|posted|updated|source)\b.*$", re.I | re.M)
# A dateline opening a line ("Apr 13, 2017 ... "): when the piece appeared, not what it reports.
DATELINE = re.compile(r"^\s*[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\s*(\.\.\.|…|—|-)\s*", re.M)
# A header line that states when the piece was published ("Published: 2022-06-03 | Source: ...").
_DATED_HEADER = re.compile(r"^\s*(published|posted|updated|date|dated)\b", re.I)
_HEADER_LINES = 8
_BODY_SCAN_CHARS = 1500


def find_date(text: str) -> date | None:
    """The publication date: a dated header line, else the first full date near the top."""
    lines = text.splitlines()[:_HEADER_LINES]
    for line in lines:
        if _DATED_HEADER.match(line) and (found := _first_date(line)):
            return found
    for line in lines[1:]:
        # A line that is nothing but a date is a dateline.
        if (found := _first_date(line)) and len(line.strip()) <= 40:
            return found
    return _first_date(text[:_BODY_SCAN_CHARS])


def parse_date(text: str) -> date | None:
    """Parse one date written as 2024-05-01, May 1, 2024 or 1 May 2024."""
    return _first_date(text)


def _first_date(text: str) -> date | None:
    best: tuple[int, date] | None = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            found = _day_of(match)
            if found is None:
                continue
            if _YEARS[0] <= found.year <= _YEARS[1] and (best is None or match.start() < best[0]):
                best = (match.start(), found)
            break
    return best[1] if best else None


def _day_of(match: re.Match[str]) -> date | None:
    """The day a match of `_DATE_PATTERNS` writes; None for one that no calendar has (Feb 30)."""
    parts = match.groupdict()
    month = int(parts["mnum"]) if parts.get("mnum") else MONTHS[parts["month"].lower()]
    try:
        return date(int(parts["year"]), month, int(parts["day"]))
    except ValueError:
        return None


@dataclass(frozen=True)
class Period:
    """Days that a text names with their year, written at `start:end` of it: one day ("May 1,
    2024"), a month ("May 2024") or a year ("in 2024"), from `first` to `last`."""

    first: date
    last: date
    start: int
    end: int


def named_periods(text: str) -> list[Period]:
    """Every day, month and year that `text` names with its year, in the order written.

    A year alone counts only after a word that makes it one ("in 2024", "during 2024"): "2024
    people" and "the 2008 crisis" are not about those years. A day or month without its year
    ("October 30") names no period; `answer_types.parse_day` reads those.
    """
    found: list[Period] = []

    def add(span: tuple[int, int], first: date, last: date) -> None:
        start, end = span
        if _YEARS[0] <= first.year <= _YEARS[1] and all(
            end <= p.start or start >= p.end for p in found
        ):
            found.append(Period(first, last, start, end))

    # Days first, so that the month of "1 May 2024" is not read as "May 2024" too.
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if (day := _day_of(match)) is not None:
                add(match.span(), day, day)
    for match in _MONTH_YEAR.finditer(text):
        year, month = int(match["year"]), MONTHS[match["month"].lower()]
        last = calendar.monthrange(year, month)[1]
        add(match.span(), date(year, month, 1), date(year, month, last))
    for match in _YEAR.finditer(text):
        year = int(match["year"])
        add(match.span("year"), date(year, 1, 1), date(year, 12, 31))
    return sorted(found, key=lambda p: p.start)
