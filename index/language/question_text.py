"""A question made plain: what a front end's text becomes before it is searched and answered.

`plain_question` drops what was pasted with it (colour codes, HTML, Markdown marks, control
characters); `search_terms` drops the words that say it is a question, for BM25; `words_by_term`
maps each of its index terms to the word it came from, to name what no passage states.
"""

from __future__ import annotations

import re
import unicodedata

from index.language.vocabulary import stopwords
from index.language.words import split_words, tokenize

# Markup pasted with a question: terminal colour codes, HTML tags (a script or style with its
# content), a Markdown link's address, emphasis and code marks.
_MARKUP = re.compile(
    r"\x1b\[[0-9;?]*[A-Za-z]"
    r"|<(script|style)\b.{0,2000}?</\1\s*>|</?[A-Za-z][^<>]{0,200}>"
    r"|\]\((?:https?://)?[^()\s]*\)|https?://\S+|`+|[\[\]]"
    r"|(?<!\w)[*_]{1,3}(?=\w)|(?<=\w)[*_]{1,3}(?!\w)",
    re.I | re.S,
)
# Words of the question's form and of "when" rather than "what": they match any article.
_QUERY_NOISE = re.compile(
    r"\b(which|what|who|whom|whose|where|when|why|how|according|reportedly|recently|"
    r"this week|last week|this month|this year|week|today|yesterday|latest|news)\b",
    re.I,
)
# Words of how a question asks, not of what it asks about ("how many", "what did they say").
ASKING = frozenset(
    {"many", "much", "say", "says", "said", "tell", "told", "want", "wants", "happen", "happened"}
)


def plain_question(question: str) -> str:
    """The question without markup, control characters and surplus whitespace."""
    text = _MARKUP.sub(" ", question)
    text = "".join(
        " " if unicodedata.category(ch)[0] == "C" and ch not in "\n\t" else ch for ch in text
    )
    return " ".join(text.split())


def search_terms(question: str) -> str:
    """The question without the words that say it is a question; BM25 drops the other stopwords."""
    cleaned = _QUERY_NOISE.sub(" ", question)
    return cleaned if cleaned.strip() else question


def words_by_term(text: str) -> dict[str, str]:
    """Each search term of `text` (stemmed, as indexed) with the word it came from."""
    kept = [w for w in split_words(text) if w.casefold() not in stopwords()]
    kept = [w for w in kept if w.casefold() not in ASKING]
    words: dict[str, str] = {}
    if not kept:
        return words
    for word, terms in zip(kept, tokenize(kept), strict=True):
        for term in terms:
            words.setdefault(term, word)
    return words
