"""The as-of policy: which day a question is answered as of, the same in every front end.

Retrieval leaves out what was published after that day and counts recency back from it
(`index/retrieval.py`). A front end only says what "now" is for the person asking (the message's
date on Telegram, today in `ask`, `search` and the chat, a question set's date field in `eval`) and
passes on an explicit `--as-of`; `NewsService` applies the rule below to every question.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from index.articles import named_periods

# Reports of an event keep coming for days after it (the next day's paper, a weekly's roundup, the
# follow-up with the final figures): a week takes those in without reaching the next week's news.
GRACE = timedelta(days=7)

# A date that opens a stretch ("since May 2023", "after 2020") bounds the question's start, not
# its end.
_OPENS = re.compile(r"\b(?:since|after|from|following|starting|beginning)(?:\s+in)?\s+$", re.I)


def decide_as_of(question: str, *, now: date | None, override: date | None = None) -> date | None:
    """The day `question` is answered as of: nothing published after it is used.

    An explicit `override` wins. Else a date the question writes with its year ("as of March 3,
    2024", "on 2024-03-03", "in May 2023") sets it to the end of that day, month or year plus
    `GRACE`, never later than `now`. Else it is `now`; None (no "now" known) means no cutoff.
    A day without its year ("October 30") never sets it: the answerer matches it in any year.

    >>> decide_as_of("Who met in May 2023?", now=date(2025, 1, 1))
    datetime.date(2023, 6, 7)
    """
    if override is not None:
        return override
    named = question_date(question)
    if named is None:
        return now
    return named if now is None else min(named, now)


def question_date(question: str) -> date | None:
    """The last day `question` asks about, with `GRACE`; None if it names no date with its year.

    Of several dates ("between March and May 2023"), the latest counts.
    """
    ends = [p.last for p in named_periods(question) if not _OPENS.search(question[: p.start])]
    return max(ends) + GRACE if ends else None
