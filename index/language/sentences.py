"""Sentences: where a text's sentences start and end, by NLTK's English model.

Chunking cuts at these ends, the catalogue keeps each chunk's sentence spans, and the answerers
and the citation checker quote whole sentences by them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

Span = tuple[int, int]


# Abbreviations that NLTK's English model misses and that news text is full of.
_EXTRA_ABBREVIATIONS = {
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "d.c",
    "gov",
    "sen",
    "rep",
    "gen",
    "lt",
    "col",
    "sgt",
}


@cache
def _punkt() -> Any:
    """NLTK's English sentence model, from the copy LlamaIndex ships (nothing is downloaded)."""
    import importlib.util
    from pathlib import Path

    import nltk
    from nltk.tokenize import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache_dir = Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"
        if str(cache_dir) not in nltk.data.path:
            nltk.data.path.insert(0, str(cache_dir))
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(_EXTRA_ABBREVIATIONS)
    return tokenizer


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing whitespace, so that they concatenate back to `text`."""
    starts = [start for start, _ in _punkt().span_tokenize(text)]
    if not starts:
        return [text] if text else []
    starts[0] = 0
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """Spans of the sentences of `text` (a line break also ends one), trimmed of whitespace."""
    spans: list[Span] = []
    pos = 0
    for piece in split_sentences(text):
        at = text.find(piece, pos) if piece else -1
        if at < 0:
            continue
        pos = at + len(piece)
        line_start = at
        for line in piece.split("\n"):
            stripped = line.strip()
            if stripped:
                s = line_start + line.index(stripped)
                spans.append((offset + s, offset + s + len(stripped)))
            line_start += len(line) + 1
    return spans
