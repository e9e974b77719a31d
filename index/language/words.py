"""What a word is. Each use has its own definition, named here so that each has one home.

- `WORD`: letters and digits, with the apostrophes inside a word ("don't", "Biden’s"): the words
  the claim checker compares a sentence's facts by.
- `WORD_WITH_SIGNS`: word characters and the signs of an amount ("$5", "20%", "€3"): the words
  the extractive answerer matches a question and a candidate answer by.
- `split_words`, `folded_words`: the words as written, split at whitespace; for a question's
  search words (edge punctuation stripped) and for telling syndicated copies apart (case-folded).
- `tokenize`: a text's index terms as BM25 indexes them: lowercase words, stopwords dropped,
  stemmed. The catalogue and the answerers share it, so that a question's terms are the index's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from index.language.vocabulary import stemmer

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
WORD_WITH_SIGNS = re.compile(r"[\w$%€£]+")
# What `split_words` strips from either end of a word.
_EDGE_PUNCTUATION = ".,;:!?\"“”‘’'()[]"


def split_words(text: str) -> list[str]:
    """The whitespace-separated words of `text`, punctuation stripped from their ends (a word of
    punctuation alone is left empty)."""
    return [word.strip(_EDGE_PUNCTUATION) for word in text.split()]


def folded_words(text: str) -> set[str]:
    """The distinct words of `text` as written, split at whitespace and case-folded."""
    return set(text.casefold().split())


@cache
def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print to every user's terminal.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Each text's terms as BM25 indexes them: lowercase words, stopwords dropped, stemmed."""
    bm25s = _bm25s()

    tokens: list[list[str]] = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False
    )
    return tokens
