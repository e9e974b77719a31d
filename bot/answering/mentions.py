"""Whether a text states a word or a name of the question: by lemma, by stem, by a word WordNet
relates ("stated" for "said"), by abbreviation ("Sen." for "senator"), by a form of the name
("Malaysian" for "Malaysia"), or, for nouns, by the embedding model's sense of meaning.

Sentences are read parsed (their tokens' lemmas); the sentence before, a title or a passage are
read unparsed, as `word_forms`, which is enough to tell whether a lemma is there at a fraction of a
parse's or WordNet's cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Set
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from index.language.lexicon import lexicon
from index.language.question_words import LIGHT_VERBS
from index.language.vocabulary import stem
from index.language.words import WORD_WITH_SIGNS as _WORD

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


def lemmas_of(doc: Doc) -> set[str]:
    words = [undot(t.lower_) for t in doc]
    return {t.lemma_.casefold() for t in doc} | set(words) | {f"~{s}" for s in stem(words)}


@lru_cache(maxsize=4096)
def word_forms(text: str) -> frozenset[str]:
    """The words of `text` (unparsed: the sentence before, a title, a passage) and their stems,
    marked "~" ("~sign" for "signed"): enough to tell whether a lemma is there, at a fraction of
    a parse's or WordNet's cost."""
    words = _WORD.findall(undot(text.casefold()))
    return frozenset(words) | frozenset(f"~{s}" for s in stem(words))


def undot(text: str) -> str:
    """Dotted abbreviations closed up: "u.s." is "us"."""
    return re.sub(r"(?<=\b\w)\.(?=\w\b)|(?<=\b\w\.\w)\.", "", text)


def token_states(lemma: str | None, token: Token) -> bool:
    """Whether the token says `lemma`: the same lemma or word, or a word WordNet relates."""
    if lemma is None or token.is_punct:
        return False
    own = token.lemma_.casefold()
    # One way only: WordNet's relations are near enough symmetric, and looking up every word of
    # every sentence would cost more than the parse.
    return own == lemma or token.lower_ == lemma or own in related(lemma)


def stated(lemma: str, words: Set[str]) -> bool:
    if not lemma:
        return False
    if lemma in words:
        return True
    return bool(related(lemma) & words or _stemmed(lemma) & words)


@lru_cache(maxsize=8192)
def _stemmed(lemma: str) -> frozenset[str]:
    """The stems of `lemma` and of the words WordNet relates to it, marked as `word_forms`'."""
    words = [lemma, *related(lemma)]
    return frozenset(f"~{s}" for s in stem(words))


@lru_cache(maxsize=8192)
def related(lemma: str) -> frozenset[str]:
    """`lemma` and the words that may say it (WordNet's synonyms and derivations), words of a
    collocation apart, light verbs left out ("take part" is not "take")."""
    if lemma in LIGHT_VERBS:
        return frozenset()
    lex = lexicon()
    words = set(lex.related(lemma)) | set(lex.spelling_variants(lemma)) | set(lex.name_forms(lemma))
    return frozenset(w for w in words if "_" not in w and " " not in w and w not in LIGHT_VERBS)


_BACK = frozenset({"he", "she", "it", "they", "his", "her", "its", "their", "him", "them"})


def refers_back(doc: Doc) -> bool:
    return any(t.lower_ in _BACK for t in doc)


def abbreviates(token: Token, word: str) -> bool:
    """ "Sen." for "senator"."""
    text = token.text
    return (
        len(word) > 4
        and text.endswith(".")
        and 3 <= len(text) <= 5
        and word.startswith(text[:-1].casefold())
    )


def abbreviated(word: str, text: str) -> bool:
    """ "Sen." for "senator", "Gov." for "governor": a word's first letters and a full stop."""
    return len(word) > 4 and bool(re.search(rf"\b{re.escape(word[:3])}[a-z]{{0,2}}\.\s", text))


def name_stated(name: str, text: str) -> bool:
    """Whether unparsed `text` states `name` (its family name, its whole, or a form of it)."""
    return name_in(name, undot(text.casefold()), word_forms(text))


def name_in(name: str, text: str, words: Iterable[str]) -> bool:
    """A name is stated when its last word is (its family name, a company's main word), or the
    whole of it, or a form WordNet gives ("Malaysian" for "Malaysia")."""
    parts = [w.casefold() for w in _WORD.findall(name) if len(w) > 1 or w.isupper()]
    if not parts:
        return True
    if re.search(rf"\b{re.escape(parts[-1])}\b", text) or re.search(
        rf"\b{re.escape(' '.join(parts))}\b", text
    ):
        return True
    forms = lexicon().name_forms(name)
    return any(re.search(rf"\b{re.escape(f)}\b", text) for f in forms)


def nouns_meaning(
    focus: str, docs: Iterable[Doc], embed: Callable[[list[str]], Any], threshold: float
) -> frozenset[str]:
    """The lemmas of the sentences' nouns that the embedding model finds close to `focus` as
    written ("officials" for "officers"). A broader word may be one ("ships" for "warships"):
    what decides is whether the parse links the answer to it."""
    written: dict[str, str] = {}
    for doc in docs:
        for t in doc:
            if t.pos_ == "NOUN" and t.text.isalpha():
                written.setdefault(t.lower_, t.lemma_.casefold())
    if not written:
        return frozenset()
    words = sorted(written)
    vectors = embed([focus, *words])
    similar = vectors[1:] @ vectors[0]
    return frozenset(
        written[w] for w, sim in zip(words, similar, strict=True) if float(sim) >= threshold
    )
