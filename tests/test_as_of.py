"""The as-of policy (`bot/as_of.py`): an explicit date, else a date that frames the question,
else now."""

from __future__ import annotations

from datetime import date

import pytest

from bot.as_of import GRACE, decide_as_of
from index.language.dates import named_periods

NOW = date(2025, 10, 31)


def test_an_explicit_date_wins_over_the_question_and_now() -> None:
    override = date(2025, 10, 1)
    asked = "Who met as of March 3, 2024?"
    assert decide_as_of(asked, now=NOW, override=override) == override
    # Even one after now: the person asked for it.
    assert decide_as_of(asked, now=NOW, override=date(2026, 1, 1)) == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("question", "named_end"),
    [
        ("Who was the mayor as of March 3, 2024?", date(2024, 3, 3)),
        ("Who led the council as at 3 March 2024?", date(2024, 3, 3)),
        ("What had changed by May 2023?", date(2023, 5, 31)),
        ("How many ships had visited by 2023?", date(2023, 12, 31)),
        ("What was agreed before 2024-03-03?", date(2024, 3, 3)),
        # Of several framing dates, the latest: the question is about nothing after it.
        ("What changed by January 2023, and by May 2023?", date(2023, 5, 31)),
    ],
)
def test_a_date_that_frames_the_question_ends_what_is_read(question: str, named_end: date) -> None:
    assert decide_as_of(question, now=NOW) == named_end + GRACE
    # With no "now" known (a library caller), the question's date still applies.
    assert decide_as_of(question, now=None) == named_end + GRACE


def test_the_question_date_is_never_later_than_now() -> None:
    assert decide_as_of("Who had met as of October 30, 2025?", now=NOW) == NOW
    assert decide_as_of("What is planned by 2026?", now=NOW) == NOW
    assert decide_as_of("What will have happened by May 2027?", now=NOW) == NOW


@pytest.mark.parametrize(
    "question",
    [
        "Who met on October 30?",  # no year: matched in any year, never a cutoff
        "Who met on October 30, 2025?",  # a date it asks about is matched, not a cutoff
        "Who resigned in May 2023?",
        "What was decided on 2024-03-03?",
        "Who met at the ASEAN defence meeting?",
        "What has changed since May 2023?",  # opens a stretch that runs to now
        "What happened after March 3, 2024?",
        "How did 2024 people vote?",  # a number, not a year
        "How does it compare with the 2008 crisis?",
        "Who was elected on February 30, 2024?",  # no such day
    ],
)
def test_otherwise_it_is_now(question: str) -> None:
    assert decide_as_of(question, now=NOW) == NOW
    assert decide_as_of(question, now=None) is None


def test_named_periods_reads_days_months_and_years_once_each() -> None:
    text = "On 1 May 2024, in June 2024 and in 2022; not October 30 nor 2023 people."
    periods = named_periods(text)
    assert [(p.first, p.last) for p in periods] == [
        (date(2024, 5, 1), date(2024, 5, 1)),
        (date(2024, 6, 1), date(2024, 6, 30)),
        (date(2022, 1, 1), date(2022, 12, 31)),
    ]
    assert [text[p.start : p.end] for p in periods] == ["1 May 2024", "June 2024", "2022"]
