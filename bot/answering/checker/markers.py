"""The model's answer as text: its sentences, the `[n]` markers each one carries, and its links."""

from __future__ import annotations

import re
from itertools import pairwise

from index.language.sentences import sentence_spans

# One marker group: [3], [1, 2], [1-2], [Source 1], [1][2] is two groups.
_MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*\]", re.I)
_AFTER_MARKER = re.compile(r"\][.!?]?[\"”’)]*(\s+)(?=[\"“‘(]?[A-Z])")
_BULLET = re.compile(r"^\s*(?:[-*•]+|\d{1,2}[.)])\s+")
# A web address in the model's words: with a scheme, "www.", or a host followed by a path.
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"'“”‘’]+"
    r"|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>()\[\]\"'“”‘’]*",
    re.I,
)
_REFUSAL = re.compile(
    r"\b(sources?|articles?|passages?|context|text|information)\b.{0,60}"
    r"\b(do(es)?n['’]?t|do(es)? not|did not|didn['’]t|cannot|can['’]t|fail to)\b.{0,40}"
    r"\b(say|answer|mention|contain|provide|include|state|specify|tell|cover|address)"
    r"|\b(no|not enough) (information|mention|details?)\b"
    r"|\bnot (mentioned|specified|stated|provided|available|covered)\b"
    r"|\bI (don['’]t|do not|cannot|can['’]t) (know|find|answer|tell)\b"
    r"|\bunable to (find|answer|determine)\b",
    re.I,
)


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the source numbers of its markers.

    A marker that opens a sentence ("... on Monday. [2] The ...") belongs to the sentence before it.
    """
    out: list[tuple[str, list[int]]] = []
    for piece in _pieces(answer):
        lead = re.match(rf"^(\s*{_MARKER.pattern}[\s.,;:]*)+", piece, re.I)
        if lead and out:
            out[-1][1].extend(_numbers_of(lead.group(0)))
            piece = piece[lead.end() :]
        markers = _numbers_of(piece)
        text = _MARKER.sub("", piece)
        if not text.strip(" \t\n.,;:"):
            if out:
                out[-1][1].extend(markers)
            continue
        out.append((text, markers))
    return out


def _pieces(answer: str) -> list[str]:
    """Sentences, also split after a marker that a capital follows: the sentence tokenizer keeps
    "... in Washington, D.C. [2] The talks ..." together, taking "D.C." for an abbreviation."""
    cuts = [0, *(m.start(1) for m in _AFTER_MARKER.finditer(answer)), len(answer)]
    out: list[str] = []
    for a, b in pairwise(cuts):
        segment = answer[a:b]
        out.extend(segment[start:end] for start, end in sentence_spans(segment))
    return out


def says_not_covered(text: str) -> bool:
    """Whether the sentence says the sources don't answer ("The articles don't say when")."""
    return _REFUSAL.search(text) is not None


def without_links(text: str) -> str:
    """The sentence with its web addresses taken out, tidied."""
    return tidy(_LINK.sub(" ", text))


def links_in(text: str) -> tuple[str, ...]:
    """The web addresses in `text`, without the punctuation that ends a sentence after one."""
    return tuple(m.group().rstrip(".,;:!?") for m in _LINK.finditer(text))


def link_address(url: str) -> str:
    """A link as compared with an article's own: no scheme, "www.", case or trailing slash."""
    low = url.strip().casefold()
    low = re.sub(r"^https?://", "", low)
    return low.removeprefix("www.").rstrip("/")


def with_markers(text: str, markers: str) -> str:
    """The sentence with `markers` put before its closing punctuation."""
    match = re.search(r"[.!?]+[\"”’')]*$", text)
    if match:
        return f"{text[: match.start()]} {markers}{text[match.start() :]}"
    return f"{text} {markers}"


def tidy(text: str) -> str:
    """A sentence without a list bullet, with single spaces and none before punctuation."""
    text = _BULLET.sub("", text)
    text = " ".join(text.split())
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def _numbers_of(text: str) -> list[int]:
    out: list[int] = []
    for match in _MARKER.finditer(text):
        body = match.group(1)
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", body):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", body))
            if 0 < b - a < 10:
                out.extend(range(a, b + 1))
                continue
        out.extend(int(x) for x in re.findall(r"\d+", body))
    return out
