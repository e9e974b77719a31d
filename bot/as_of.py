"""The as-of policy: which day a question is answered as of, the same in every front end.

Retrieval leaves out what was published after that day and counts recency back from it
(`index/ranking/retrieval.py`). A front end only says what "now" is for the person asking (the message's
date on Telegram, `today()` in `ask`, `search` and the chat, a question set's date field in `eval`)
and passes on an explicit `--as-of`; `NewsService` applies the rule below to every question.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from index.language.dates import named_periods

# Reports of an event keep coming for days after it (the next day's paper, a weekly's roundup, the
# follow-up with the final figures): a week takes those in without reaching the next week's news.
GRACE = timedelta(days=7)

# Only a date that frames the question ("as of March 2024", "by May 2023") says when to answer
# from. A date it asks about ("who resigned in May 2023?") is matched, not a cutoff: reports
# of an event go on long after it (a realtimeqa question about January 6, 2021 is answered by an
# article of July 2022), and on the dev sets such cutoffs cost a realtimeqa and an rgb question
# their evidence (hit@1 0.943 → 0.937 and 0.571 → 0.557).
_FRAMES = re.compile(
    r"\b(?:as\s+of|as\s+at|by|until|till|before|up\s+to)(?:\s+(?:the\s+end\s+of|early|mid|late))?\s+$",
    re.I,
)


def today() -> date:
    """ "Now" for a person at this machine: the local date, read at each question, so that a chat
    left open overnight moves on to the next day."""
    return date.today()


def decide_as_of(question: str, *, now: date | None, override: date | None = None) -> date | None:
    """The day `question` is answered as of: nothing published after it is used.

    An explicit `override` wins. Else a date with its year that frames the question ("as of
    March 3, 2024", "by May 2023") sets it to the end of that day, month or year plus `GRACE`,
    never later than `now`. Else it is `now`; None (no "now" known) means no cutoff. A date the
    question asks about ("who met in May 2023?") and a day without its year ("October 30") never
    set it: the answerer matches them.

    >>> decide_as_of("Who was the mayor as of May 2023?", now=date(2025, 1, 1))
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

    Of several framing dates, the latest counts.
    """
    ends = [p.last for p in named_periods(question) if _FRAMES.search(question[: p.start])]
    return max(ends) + GRACE if ends else None
