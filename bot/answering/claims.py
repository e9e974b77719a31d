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

from bot.answering.lexicon import Lexicon, lexicon
from index.vocabulary import MONTH_NAMES, MONTHS, NUMBER_WORDS, news_stopwords, stem, stopwords

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*")
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
        names = tuple(
            re.compile(rf"\b(?:{'|'.join(re.escape(f) for f in _name_forms(name, lex))})\b")
            for name in dict.fromkeys(_names(facts, lex))
        )
        return cls(
            text=text,
            words=content_words(text),
            numbers=numbers_in(facts),
            months=months_in(facts),
            names=names,
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
    words = [w.casefold().replace("’", "'") for w in _WORD.findall(text)]
    words = [w.removesuffix("'s") for w in words if w not in news_stopwords()]
    return frozenset(stem([w for w in words if w]))


def numbers_in(text: str) -> frozenset[str]:
    found = set()
    for m in _NUMBER.finditer(text):
        # "1,000" and "1000" are one number; "2.50" and "2.5" too.
        value = re.sub(r",(?=\d{3}(?!\d))", "", m.group(0))
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value)
    for word in _WORD.findall(text):
        if (digits := NUMBER_WORDS.get(word.casefold())) is not None:
            found.add(digits)
    return frozenset(found)


def months_in(text: str) -> frozenset[int]:
    """Months named in capitals ("may" and "march" are verbs too), or in ISO dates."""
    return frozenset(
        MONTHS[w.casefold()]
        for w in _WORD.findall(text)
        if w.casefold() in MONTHS and w[0].isupper()
    ) | frozenset(int(m) for m in re.findall(r"\b\d{4}-(\d{2})-\d{2}\b", text))


def plain(text: str) -> str:
    """Casefolded, possessives and dots dropped, letters apart from digits: "U.S.'s" and "US"
    compare equal, and "RM10.5bil" mentions "RM"."""
    text = text.casefold().replace("’", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.", "", text)
    return re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", text)


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
        if low in news_stopwords() or low in seen or _is_fact(word):
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


def _is_fact(word: str) -> bool:
    """A number or a month: checked as a hard fact, not counted among the words."""
    low = word.casefold()
    return (
        any(ch.isdigit() for ch in low)
        or low in NUMBER_WORDS
        or (word[:1].isupper() and low in MONTHS)
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
    words = _WORD.findall(clause)
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
