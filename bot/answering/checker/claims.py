"""What a sentence claims, and how much of it a stretch of source text says.

A claim's hard facts are what an invented sentence gets wrong: its numbers, dates (months), names,
and whether it is negated. `Evidence.holds` is the strict gate on them: each must be in the text.
The claim's other content words are soft evidence, counted two ways:
- `same`: the word itself, an inflection of it ("held" for "hold"), a month's short form ("Oct"),
  or another spelling of it ("defence", "defense");
- `near`: besides, a word WordNet relates to it in some sense ("stated" and "said", "annual" and
  "year", "militaries" and "armed forces"). The sense is not known here, so `near` alone never backs
  a claim: the checker also asks the embedding model whether the meaning is close.

Negation is read word by word: a word after "not", "never", "no"... up to the end of its clause is
denied. A claim's word only counts where the source gives it the same polarity, and a word the
source gives only the other polarity contradicts the claim ("they had been consulted" against "they
had not been consulted").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from bot.answering.facts import is_fact, months_in, name_patterns, numbers_in, plain
from index.language.lexicon import Lexicon, lexicon
from index.language.vocabulary import MONTH_NAMES, MONTHS, news_stopwords, stem, stopwords
from index.language.words import WORD

_NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "none", "without", "cannot"})
# "failed to sign" and "refused to meet" deny what follows as "did not" does.
_NEGATING_VERBS = frozenset({"fail", "fails", "failed", "refuse", "refuses", "refused"})
# Where a clause ends, and with it the scope of a negation: punctuation that sets a phrase apart,
# and the words that join one clause to the next.
_CLAUSE_END = re.compile(
    r",(?=\s)|[;()\[\]\"“”—–]|:(?!\d)|\s-\s"
    r"|\b(?=(?:and|but|while|whereas|although|though|because|since|which|who|whom|whose|where)\b)",
    re.I,
)
# "the two ministers" is "both ministers": a pair the text has named, not a count it asserts.
_DEFINITE_PAIR = re.compile(r"\b(the) two(?=\s+[^\W\d_])", re.I)
_MAX_PHRASE = 3  # words in the longest WordNet collocation looked for ("per_annum", "armed_forces")


@dataclass(frozen=True)
class Term:
    """One content word of a claim, with what may stand for it in a source."""

    word: str
    same: frozenset[str]  # keys of the word, its inflections and its other spellings
    near: frozenset[str]  # keys of words WordNet relates to it
    phrases: frozenset[str]  # related collocations, "armed_forces"
    antonyms: frozenset[str]  # keys of its opposites ("rise": "fall")
    denied: bool  # inside a negation's scope


@dataclass(frozen=True)
class Claim:
    """What a sentence asserts, in the forms the checker compares."""

    text: str
    words: frozenset[str]  # stemmed content words
    numbers: frozenset[str]
    months: frozenset[int]
    names: tuple[re.Pattern[str], ...]  # each must match the quote's `plain` text
    negated: bool
    terms: tuple[Term, ...]

    @classmethod
    def of(cls, text: str, lex: Lexicon | None = None) -> Claim:
        lex = lex or lexicon()
        facts = _DEFINITE_PAIR.sub(r"\1 both", text)
        return cls(
            text=text,
            words=content_words(text),
            numbers=numbers_in(facts),
            months=months_in(facts),
            names=name_patterns(facts, lex),
            negated=any(_polarity(text[a:b])[1] for a, b in _clause_spans(text)),
            terms=tuple(_terms(facts, lex)),
        )


@dataclass(frozen=True)
class Clause:
    """A clause of a source sentence: the unit a claim's words and facts are looked up in."""

    sentence: tuple[int, int]  # the sentence it belongs to, offsets in the file
    start: int
    end: int
    text: str
    plain: str
    numbers: frozenset[str]
    months: frozenset[int]
    negation: bool
    affirmed: frozenset[str]  # keys of its words outside a negation's scope
    denied: frozenset[str]
    affirmed_phrases: frozenset[str]  # its runs of two and three words, "armed_forces"
    denied_phrases: frozenset[str]


@dataclass(frozen=True)
class Match:
    """Which of a claim's terms and names one clause (or a run of clauses) has."""

    same: int  # bit i: term i found with the claim's polarity
    near: int  # bit i: term i or a related word found with the claim's polarity
    opposite: int  # bit i: term i found with the other polarity, or its opposite with the same
    names: int  # bit i: name i mentioned

    def __or__(self, other: Match) -> Match:
        return Match(
            self.same | other.same,
            self.near | other.near,
            self.opposite | other.opposite,
            self.names | other.names,
        )


def match_clause(claim: Claim, clause: Clause) -> Match:
    """What one clause has of the claim's words and names."""
    same = near = opposite = 0
    for i, term in enumerate(claim.terms):
        pool, phrases = (
            (clause.denied, clause.denied_phrases)
            if term.denied
            else (clause.affirmed, clause.affirmed_phrases)
        )
        other = clause.affirmed if term.denied else clause.denied
        if term.same & pool:
            same |= 1 << i
        if term.same & pool or term.near & pool or term.phrases & phrases:
            near |= 1 << i
        if term.same & other or term.antonyms & pool:
            opposite |= 1 << i
    names = sum(1 << i for i, name in enumerate(claim.names) if name.search(clause.plain))
    return Match(same, near, opposite, names)


@dataclass(frozen=True)
class Evidence:
    """A run of consecutive clauses taken together, and what it has of one claim."""

    claim: Claim
    clauses: tuple[Clause, ...]
    matches: tuple[Match, ...]  # one a clause
    found: Match  # all of them together

    @classmethod
    def of(cls, claim: Claim, clauses: tuple[Clause, ...], matches: tuple[Match, ...]) -> Evidence:
        found = matches[0]
        for m in matches[1:]:
            found = found | m
        return cls(claim, clauses, matches, found)

    def holds(self) -> bool:
        """Every hard fact of the claim is here, and nothing here denies what it asserts.

        A number or month must be said of something the claim talks about: in a clause that has
        one of the claim's words, or next to one in the same sentence ("on Friday (Oct 31)").
        Found only in a clause about something else, it belongs to another statement.
        """
        claim, found = self.claim, self.found
        if found.names != (1 << len(claim.names)) - 1:
            return False
        if claim.negated and not any(c.negation for c in self.clauses):
            return False
        if found.opposite & ~found.near:
            return False
        bound = self._bound()
        numbers = frozenset().union(
            *(c.numbers for c, ok in zip(self.clauses, bound, strict=True) if ok)
        )
        months = frozenset().union(
            *(c.months for c, ok in zip(self.clauses, bound, strict=True) if ok)
        )
        return claim.numbers <= numbers and claim.months <= months

    def _bound(self) -> list[bool]:
        """For each clause: whether it or a neighbour in its sentence has one of the claim's words."""
        talks = [bool(m.near) for m in self.matches]
        out = []
        for i, clause in enumerate(self.clauses):
            out.append(
                any(
                    talks[j] and self.clauses[j].sentence == clause.sentence
                    for j in (i - 1, i, i + 1)
                    if 0 <= j < len(self.clauses)
                )
            )
        return out

    @property
    def same(self) -> float:
        """The share of the claim's words and facts found as themselves."""
        return self._share(self.found.same)

    @property
    def near(self) -> float:
        """The share found as themselves or as a related word."""
        return self._share(self.found.near)

    def _share(self, bits: int) -> float:
        facts = len(self.claim.numbers) + len(self.claim.months)
        total = len(self.claim.terms) + facts
        if not total:
            return 0.0
        return (bits.bit_count() + facts) / total


def clauses_of(
    text: str, sentence: tuple[int, int], offset: int, lex: Lexicon | None = None
) -> list[Clause]:
    """The clauses of one sentence `text`, which starts at `offset` in its file."""
    lex = lex or lexicon()
    out: list[Clause] = []
    for start, end in _clause_spans(text):
        piece = text[start:end]
        affirmed: set[str] = set()
        denied: set[str] = set()
        affirmed_words: list[str] = []
        denied_words: list[str] = []
        words, negation = _polarity(piece)
        for word, is_denied in words:
            # Function words stay out: WordNet relates "have" and "be" to half the language.
            # Verbs of saying stay in: "stated" is a way to say "said".
            if word.casefold() not in stopwords():
                (denied if is_denied else affirmed).update(_keys(word, lex))
            (denied_words if is_denied else affirmed_words).append(word.casefold())
        out.append(
            Clause(
                sentence=sentence,
                start=offset + start,
                end=offset + end,
                text=piece,
                plain=plain(piece),
                numbers=numbers_in(piece),
                months=months_in(piece),
                negation=negation,
                affirmed=frozenset(affirmed),
                denied=frozenset(denied),
                affirmed_phrases=_phrases(affirmed_words),
                denied_phrases=_phrases(denied_words),
            )
        )
    return out


def content_words(text: str) -> frozenset[str]:
    """The stems of the words `text` asserts something with: no stopwords, no possessive 's."""
    words = [w.casefold().replace("’", "'") for w in WORD.findall(text)]
    words = [w.removesuffix("'s") for w in words if w not in news_stopwords()]
    return frozenset(stem([w for w in words if w]))


def _terms(text: str, lex: Lexicon) -> Iterator[Term]:
    """The claim's content words, each with its polarity and what may stand for it."""
    words: list[tuple[str, bool]] = []  # every word, stopwords too: collocations use them
    for start, end in _clause_spans(text):
        words.extend(_polarity(text[start:end])[0])
    lowered = [w.casefold().replace("’", "'").removesuffix("'s") for w, _ in words]
    # A collocation's related words stand for each of its words: "each year" is "annually".
    by_phrase: dict[int, set[str]] = {}
    for size in range(2, _MAX_PHRASE + 1):
        for i in range(len(lowered) - size + 1):
            phrase = "_".join(lowered[i : i + size])
            if lex.is_collocation(phrase):
                for j in range(i, i + size):
                    by_phrase.setdefault(j, set()).update(lex.related(phrase))
    # An opposite the claim itself names ("a loss, against a profit") contradicts nothing.
    own = frozenset().union(*(_keys(word, lex) for word, _ in words))
    seen: set[str] = set()
    for i, (word, denied) in enumerate(words):
        low = lowered[i]
        if low in news_stopwords() or low in seen or is_fact(word):
            continue
        seen.add(low)
        related = lex.related(low) | by_phrase.get(i, set())
        single = [w for w in related if "_" not in w]
        variants = lex.spelling_variants(low)
        yield Term(
            word=low,
            same=_keys(word, lex) | frozenset(stem(list(variants))),
            near=frozenset(stem(single)),
            phrases=frozenset(w for w in related if "_" in w),
            antonyms=frozenset(stem(list(lex.antonyms(low)))) - own,
            denied=denied,
        )


def _keys(word: str, lex: Lexicon) -> frozenset[str]:
    """How a word is compared: stemmed, with an irregular form's base ("built": "build") and a
    month's short form spelled out ("Oct": "october")."""
    low = word.casefold().replace("’", "'").removesuffix("'s")
    if word[:1].isupper() and low in MONTHS:
        low = MONTH_NAMES[MONTHS[low]]
    return frozenset(stem([low, *lex.irregular_bases(low)]))


def _phrases(words: list[str]) -> frozenset[str]:
    return frozenset(
        "_".join(words[i : i + size])
        for size in range(2, _MAX_PHRASE + 1)
        for i in range(len(words) - size + 1)
    )


def _clause_spans(text: str) -> list[tuple[int, int]]:
    cuts = [0, *(m.start() for m in _CLAUSE_END.finditer(text)), len(text)]
    spans = []
    for a, b in pairwise(cuts):
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip(' ,;:()[]"“”—–-'))
        if any(ch.isalnum() for ch in piece):
            spans.append((a + lead, b - (len(piece) - len(piece.rstrip()))))
    return spans


def _polarity(clause: str) -> tuple[list[tuple[str, bool]], bool]:
    """The clause's words but its negations, each with whether a negation before it denies it;
    and whether the clause has a negation."""
    words = WORD.findall(clause)
    out: list[tuple[str, bool]] = []
    negation = False
    for i, word in enumerate(words):
        low = word.casefold().replace("’", "'")
        following = words[i + 1].casefold() if i + 1 < len(words) else ""
        if (
            low in _NEGATIONS
            or low.endswith("n't")
            or (low in _NEGATING_VERBS and following == "to")
        ):
            negation = True
        else:
            out.append((word, negation))
    return out, negation
