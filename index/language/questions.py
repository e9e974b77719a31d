"""What a question asks for: the kind of answer, its focus, and the facts it is constrained by.

"Who is the US ambassador to Malaysia?" wants a person (`kind`), is about an "ambassador"
(`focus`), and names "US" and "Malaysia" (`names`). "How much did NASA pay?" wants money and its
relation is "pay" (`verb`). "What did the train crash into?" wants the object of "into" (`prep`).
Everything is read from spaCy's parse of the question; what kind of thing a noun names ("senator"
is a person, "rocket" an artifact) comes from WordNet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from index.language.answer_types import parse_day
from index.language.lexicon import lexicon
from index.language.pipeline import parse
from index.language.question_words import (
    GENERIC_HEADS,
    HOW,
    LABELS,
    LIGHT_VERBS,
    MEASURE_UNITS,
    MONEY_WORDS,
    PRONOUNS,
    ROLE_HEADS,
    TOGETHER,
    Kind,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


@dataclass(frozen=True)
class Question:
    """A question's analysis; lemmas are lowercase."""

    text: str
    kind: Kind
    labels: Mapping[str, float]  # entity labels that answer it, and how well
    focus: str | None = None  # the noun it asks about ("ambassador", "drill"), as a lemma
    focus_generic: bool = True  # a noun of the kind only ("town", "year"): needn't be stated
    verb: str | None = None  # the relation it asks about ("pay", "replace"), not a light verb
    prep: str | None = None  # a stranded preposition ("die of", "crash into")
    names: tuple[str, ...] = ()  # proper names it states ("Pete Hegseth", "Malaysia")
    # Those of them that say whose or which focus ("*Thailand's* defence minister"): stated
    # beside the answer, not only somewhere in its article.
    bound: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # numbers it states ("2019", "14")
    days: tuple[tuple[int, int], ...] = ()  # a month's day without its year ("October 30")
    content: tuple[str, ...] = ()  # its other words of content, as lemmas
    plural: bool = False  # "who met": more than one
    spelled: Mapping[str, str] = field(default_factory=dict)  # a lemma as the question wrote it
    # "Where were they fired?" asked first: a pronoun, and no name or noun to say who or what.
    unresolved: str | None = None
    words: frozenset[str] = field(default_factory=frozenset)  # every word's lemma: echoes
    # "How fast", "how heavy": the measure it asks for ("fast", "weigh"), whose units its
    # answer is counted in; None: any number.
    measure: str | None = None

    @property
    def units(self) -> frozenset[str]:
        """The units an answer to its measure is counted in; empty for any other question."""
        return MEASURE_UNITS.get(self.measure or "", frozenset())

    @property
    def typed(self) -> bool:
        """Whether an answer must be an entity of a kind (not a role or a description)."""
        return bool(self.labels)


def analyse(question: str) -> Question:
    """The analysis of `question` (parsing it on first use)."""
    return _analyse(question.strip())


@lru_cache(maxsize=1024)
def _analyse(text: str) -> Question:
    # A follow-up's context, in parentheses after its own words, is for searching: what the
    # question asks is in its own words, and the names of the context count as its names.
    own, _, context = text.partition(" (")
    if context:
        return _with_context(text, _analyse(own.strip()), _analyse(context.rstrip(")").strip()))
    return _read(text, parse([text])[0])


def _with_context(text: str, question: Question, extra: Question) -> Question:
    """A follow-up's analysis (`question`) with what its context (`extra`) adds to it."""
    names = tuple(dict.fromkeys([*question.names, *extra.names]))
    kind = question.kind
    if kind == "quantity" and (extra.kind == "money" or set(extra.content) & MONEY_WORDS):
        # "For how much?" after "Which company is Amazon acquiring?": a price.
        kind = "money"
    return replace(
        question,
        text=text,
        kind=kind,
        labels=LABELS[kind],
        names=names,
        words=question.words | extra.words,
        unresolved=None,  # the turn before says what "it" is
    )


def _read(text: str, doc: Doc) -> Question:
    """The analysis of a question from its parse."""
    wh = next((t for t in doc if t.tag_ in _WH_TAGS), None)
    focus = _focus(doc, wh)
    kind = _kind(doc, wh, focus)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    names = tuple(n for n in _names(doc) if focus is None or n != focus.text)
    numbers = tuple(
        t.text for t in doc if t.like_num and t.ent_type_ not in ("DATE",) and t.text[0].isdigit()
    )
    days = () if any(_is_year(t) for t in doc) else tuple(d for d in [parse_day(text)] if d)
    focus_lemma = focus.lemma_.casefold() if focus is not None else None
    # "Thailand's minister" binds Thailand to the minister; "which Missouri town" only says where
    # to look: a town's state may be named anywhere in its article.
    specific = focus is not None and focus.lemma_.casefold() not in GENERIC_HEADS | ROLE_HEADS
    bound = _bound_names(focus, names) if focus is not None and specific else ()
    return Question(
        text=text,
        kind=kind,
        labels=LABELS[kind],
        focus=focus_lemma,
        focus_generic=focus_lemma is None or focus_lemma in GENERIC_HEADS | ROLE_HEADS,
        verb=_verb(doc, root),
        prep=_prep(doc, wh),
        names=names,
        bound=bound,
        numbers=numbers,
        days=days,
        content=_content(doc, focus, names),
        plural=_plural(doc, wh, focus, root, kind),
        words=frozenset(t.lemma_.casefold() for t in doc if not t.is_punct),
        spelled={t.lemma_.casefold(): t.text for t in reversed(doc)},
        unresolved=_unresolved(doc, names),
        measure=_measure(doc, wh, kind),
    )


def _measure(doc: Doc, wh: Token | None, kind: Kind) -> str | None:
    """The measure a quantity is asked in: "how fast" a speed, "how much does it weigh" a weight.
    None for a price ("how high are gas prices" is money) or any other question."""
    lemmas = {t.lemma_.casefold() for t in doc}
    if kind != "quantity" or lemmas & MONEY_WORDS:
        return None
    after_how = doc[wh.i + 1].lower_ if wh is not None and wh.i + 1 < len(doc) else ""
    if wh is not None and wh.lower_ == "how" and after_how in MEASURE_UNITS:
        return after_how
    return "weigh" if "weigh" in lemmas else None


_WH_TAGS = ("WDT", "WP", "WP$", "WRB")


def _prep(doc: Doc, wh: Token | None) -> str | None:
    """ "die of", "crash into": a preposition whose object is the question word, or nothing."""
    return next(
        (
            t.lemma_.casefold()
            for t in doc
            if t.dep_ == "prep" and all(c is wh for c in t.children) and t.i > 0
        ),
        None,
    )


def _content(doc: Doc, focus: Token | None, names: tuple[str, ...]) -> tuple[str, ...]:
    """The question's other words of content, as lemmas: not its focus, names or question words."""
    name_words = {w.casefold() for n in names for w in n.split()}
    skip = {focus.i} if focus is not None else set()
    if focus is not None and focus.lemma_.casefold() in GENERIC_HEADS | ROLE_HEADS:
        # "job title", "release date": words of the kind asked for, not of what it is about.
        skip |= {t.i for t in focus.lefts if t.dep_ == "compound" and t.pos_ == "NOUN"}
    return tuple(
        dict.fromkeys(
            t.lemma_.casefold()
            for t in doc
            if t.i not in skip
            and t.pos_ in ("NOUN", "VERB", "ADJ", "PROPN", "NUM", "ADV")
            and not t.is_stop
            and t.lemma_.casefold() not in LIGHT_VERBS
            and t.text.casefold() not in name_words
            and t.tag_ not in _WH_TAGS
            and t.lemma_.casefold() not in HOW
        )
    )


def _plural(
    doc: Doc, wh: Token | None, focus: Token | None, root: Token | None, kind: Kind
) -> bool:
    """Whether the question asks for more than one ("who met", "which ministers")."""
    return bool(
        (focus is not None and focus.tag_ in ("NNS", "NNPS"))
        or (root is not None and root.lemma_.casefold() in TOGETHER and kind == "person")
        or (
            root is not None
            and root.tag_ == "VBP"
            and kind == "person"
            and wh is not None
            and wh.dep_ == "nsubj"
        )
        or any(t.lemma_.casefold() == "part" and t.head.lemma_ == "take" for t in doc)
    )


def _focus(doc: Doc, wh: Token | None) -> Token | None:
    """The noun the question asks about: "which Missouri *town*", "what is Pete Hegseth's job
    *title*", "who is the US *ambassador*"."""
    if wh is None:
        return None
    following = doc[wh.i + 1 :]
    if wh.lower_ == "how" and len(following) > 1 and following[0].lower_ in ("many", "much"):
        following = following[1:]  # "how many *passengers*"
    if (
        wh.lower_ in ("which", "what", "whose", "how")
        and following
        and following[0].pos_ in ("NOUN", "PROPN", "ADJ", "NUM")
    ):
        run = []
        for t in following:
            if t.pos_ in ("NOUN", "PROPN", "ADJ", "NUM") or t.dep_ == "compound" or t.text == "-":
                run.append(t)
            else:
                break
        nouns = [t for t in run if t.pos_ == "NOUN"]
        if nouns:
            return nouns[-1]
    # "What is X's title?", "Who is the ambassador?": the noun on the other side of "is".
    if wh.head.lemma_ == "be":
        for child in wh.head.children:
            if child is not wh and child.dep_ in ("nsubj", "attr") and child.pos_ in _NOUNS:
                return child
    return None


_NOUNS = ("NOUN", "PROPN")


def _kind(doc: Doc, wh: Token | None, focus: Token | None) -> Kind:
    if wh is None:
        return "description"
    word = wh.lower_
    lemmas = {t.lemma_.casefold() for t in doc}
    if word == "how":
        nxt = doc[wh.i + 1].lower_ if wh.i + 1 < len(doc) else ""
        how = HOW.get(nxt)
        if how == "quantity" and nxt == "much" and lemmas & MONEY_WORDS:
            return "money"
        if how == "count" and focus is None:
            return "count"
        if how is not None:
            return "count" if how == "count" else "quantity"
        return "description"
    if word == "when":
        return "date"
    if word == "where":
        return "place"
    if word in ("who", "whom", "whose"):
        return "person"
    if word == "why":
        return "description"
    if "worth" in lemmas or (focus is not None and focus.lemma_.casefold() in MONEY_WORDS):
        return "money"
    if focus is None:
        return "description"
    return _kind_of_noun(focus.lemma_.casefold())


def _kind_of_noun(noun: str) -> Kind:
    """What kind of answer "which NOUN" wants, from what WordNet says the noun is."""
    if noun in ("year", "month", "day", "date", "time", "decade", "week"):
        return "date"
    if noun in ("country", "nation", "state", "city", "town", "village", "province"):
        return "place"
    if noun in ("percentage", "percent", "proportion", "share"):
        return "percent"
    if noun in ("number", "amount", "total"):
        return "count"
    if noun in ROLE_HEADS:
        return "role"
    first = lexicon().ancestors(noun, 1)
    if "person" in first:
        return "person"
    # A region on a map ("park", "county", "river"), not any "location" ("seat", "end").
    if first & {"geographical_area", "district", "land", "body_of_water"}:
        return "place"
    if first & {"cost", "money", "monetary_value", "fund", "assets"}:
        return "money"
    if first & {"proportion", "ratio"}:
        return "percent"
    if first & {"magnitude", "measure", "quantity", "rate", "property", "distance"}:
        return "quantity"
    if first & {"organization", "social_group"} and "gathering" not in first:
        return "organisation"
    return "named"


def _verb(doc: Doc, root: Token | None) -> str | None:
    """The relation asked about: the main verb, or the verb under a light one ("they say they
    would *tackle*")."""
    verbs = [t for t in doc if t.pos_ == "VERB" and t.lemma_.casefold() not in LIGHT_VERBS]
    if root is not None and root in verbs:
        return root.lemma_.casefold()
    return verbs[0].lemma_.casefold() if verbs else None


def _names(doc: Doc) -> tuple[str, ...]:
    """The proper names the question states: its entities (not dates or numbers) and runs of
    proper nouns, without a possessive."""
    found: list[str] = []
    for ent in doc.ents:
        if ent.label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"):
            continue
        found.append(ent.text.removesuffix("'s").removesuffix("’s").strip())
    covered = {t.i for ent in doc.ents for t in ent}
    run: list[str] = []
    for t in [*doc, None]:
        if t is not None and t.pos_ == "PROPN" and t.i not in covered and t.i > 0:
            run.append(t.text)
            continue
        if run:
            found.append(" ".join(run))
            run = []
    return tuple(dict.fromkeys(n for n in found if n and any(c.isupper() for c in n)))


def _bound_names(focus: Token, names: tuple[str, ...]) -> tuple[str, ...]:
    """The names that modify the focus: its possessor, compound or "of" phrase."""
    words = {
        t.text
        for child in focus.children
        if child.dep_ in ("poss", "compound", "nmod")
        or (child.dep_ == "prep" and child.lower_ == "of")
        for t in child.subtree
    }
    return tuple(n for n in names if any(w in words for w in n.split()))


def _unresolved(doc: Doc, names: tuple[str, ...]) -> str | None:
    """The pronoun the question stands on when it has nothing else to say what it is about."""
    if names or any(t.pos_ in ("NOUN", "PROPN") for t in doc):
        return None
    return next((t.text for t in doc if t.lower_ in PRONOUNS), None)


def _is_year(token: Token) -> bool:
    return token.text.isdigit() and len(token.text) == 4 and token.text[:2] in ("19", "20")
