"""The names a parsed sentence holds: its entities, labelled as the passages' other sentences
label them (a name is one thing throughout), "X of Y" made one, and runs of proper nouns."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span


def known_entities(docs: Iterable[Doc]) -> dict[str, str]:
    """Each entity's text with the label the model gave it most often over several sentences
    of the same passages: a name is one thing throughout, so where the model misses it once or
    calls it something else ("Ines Marchetti" a PRODUCT in one sentence of two), it is still
    known. A tie goes to the label news names most often (a person first)."""
    counts: dict[str, Counter[str]] = {}
    for doc in docs:
        for ent in doc.ents:
            if ent.label_ in _NAMED_LABELS and len(ent.text) > 3 and ent.text[:1].isupper():
                counts.setdefault(ent.text, Counter())[ent.label_] += 1
    return {
        text: max(labels, key=lambda label: (labels[label], -_LABEL_ORDER.index(label)))
        for text, labels in counts.items()
    }


_LABEL_ORDER = ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT")
_NAMED_LABELS = frozenset(_LABEL_ORDER)


def entities(doc: Doc, known: Mapping[str, str]) -> list[Span]:
    """The parse's entities, with "X of Y" made one where the model cut it ("Straits" "of"
    "Malacca", "Bank" "of" "America"), and the names the other sentences know."""
    ents: list[Span] = []
    for e in doc.ents:
        label = known.get(e.text, e.label_)
        relabelled = e if label == e.label_ else doc.char_span(e.start_char, e.end_char, label)
        ents.append(relabelled if relabelled is not None else e)
    taken = {t.i for ent in ents for t in ent}
    for text, label in known.items():
        for m in re.finditer(rf"(?<!\w){re.escape(text)}(?!\w)", doc.text):
            span = doc.char_span(m.start(), m.end(), label=label)
            if span is not None and not any(t.i in taken for t in span):
                ents.append(span)
                taken |= {t.i for t in span}
    ents.sort(key=lambda e: e.start)
    out: list[Span] = []
    i = 0
    while i < len(ents):
        ent = ents[i]
        nxt = ents[i + 1] if i + 1 < len(ents) else None
        if (
            nxt is not None
            and nxt.start == ent.end + 1
            and doc[ent.end].lower_ == "of"
            and ent.label_ in ("LOC", "GPE", "FAC", "ORG")
            and nxt.label_ in ("LOC", "GPE", "FAC", "ORG")
        ):
            merged = doc[ent.start : nxt.end]
            merged.label_ = ent.label_
            out.append(merged)
            i += 2
            continue
        out.append(ent)
        i += 1
    return out


def proper_runs(doc: Doc) -> list[Span]:
    """Runs of title-case proper nouns."""
    runs: list[Span] = []
    start = None
    for t in [*doc, None]:
        if t is not None and t.pos_ == "PROPN" and t.text[:1].isupper() and t.text[1:].islower():
            start = t.i if start is None else start
            continue
        if start is not None:
            end = t.i if t is not None else len(doc)
            runs.append(doc[start:end])
            start = None
    return runs
