"""Sentence-aware chunks whose character offsets point into the article's own text."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from index.language.sentences import Span, sentence_spans, split_sentences

TokenSpans = Callable[[str], Sequence[Span] | None]


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: `text == article_text[start:end]`; sentences are absolute spans."""

    index: int
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]


# A "word" longer than the tokenizer's word limit (a base64 blob, a run of dashes) counts as one
# token, so a chunk's token count alone doesn't bound its length; characters per token rarely pass 6.
_MAX_CHARS_PER_TOKEN = 8
# WordPiece reads a longer word as one unknown token: a window of nothing else means nothing to the
# embedding model, and hundreds of such windows would crowd every question's nearest neighbours.
_MAX_WORD_CHARS = 100


def _cut_long(piece: str, start: int, max_chars: int) -> list[tuple[int, str]]:
    """(offset, text) windows of at most `max_chars`, cut at whitespace where there is some.

    Windows made only of unreadably long words are left out.
    """
    if len(piece) <= max_chars:
        return [(start, piece)]
    windows: list[tuple[int, str]] = []
    pos = 0
    while pos < len(piece):
        end = min(pos + max_chars, len(piece))
        if end < len(piece):
            space = max(piece.rfind(ws, pos + max_chars // 2, end) for ws in " \n\t")
            if space > pos:
                end = space
        window = piece[pos:end]
        lead = len(window) - len(window.lstrip())
        window = window.strip()
        if any(len(word) <= _MAX_WORD_CHARS for word in window.split()):
            windows.append((start + pos + lead, window))
        pos = end
    return windows


def _within(sentences: list[Span], ends: list[int], start: int, end: int) -> tuple[Span, ...]:
    """The parts of `sentences` (sorted spans, `ends` their ends) inside `start:end`."""
    inside = []
    for s, e in sentences[bisect_right(ends, start) :]:
        if s >= end:
            break
        inside.append((max(s, start), min(e, end)))
    return tuple(inside)


class _ArticleTokens:
    """Token counts of pieces of one article, read off the article's tokens, tokenised once.

    LlamaIndex's splitter counts the tokens of the article, then of each paragraph, then of each
    sentence: tokenising each word two or three times took as long as embedding it. A WordPiece
    token never crosses whitespace, so a piece that starts and ends at whitespace (as paragraphs
    and sentences do) has exactly the article's tokens that lie inside it; any other piece is
    counted on its own.
    """

    def __init__(self, text: str, spans: Sequence[Span], count: Callable[[str], list[Any]]) -> None:
        self._text = text
        self._starts = [s for s, _ in spans]
        self._ends = [e for _, e in spans]
        self._count = count

    def __call__(self, piece: str) -> Sequence[Any]:
        at = self._text.find(piece)
        end = at + len(piece)
        if at < 0 or not (self._clean(at) and self._clean(end)):
            return self._count(piece)
        return range(bisect_left(self._starts, end) - bisect_left(self._starts, at))

    def _clean(self, cut: int) -> bool:
        """Whether a cut at `cut` falls between words: at whitespace, with no token across it."""
        text = self._text
        if 0 < cut < len(text) and not (text[cut - 1].isspace() or text[cut].isspace()):
            return False
        i = bisect_right(self._starts, cut) - 1  # the last token starting at or before the cut
        return i < 0 or self._starts[i] == cut or self._ends[i] <= cut


class Chunker:
    """Splits an article into chunks of at most `chunk_tokens` embedding tokens, at sentence ends.

    `token_spans`, where the embedding model offers it, gives the character spans of a text's
    tokens, so that each article is tokenised once (see `_ArticleTokens`).
    """

    def __init__(
        self,
        count_tokens: Callable[[str], list[Any]],
        chunk_tokens: int,
        overlap: int,
        token_spans: TokenSpans | None = None,
    ) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self._max_chars = chunk_tokens * _MAX_CHARS_PER_TOKEN
        self._count_tokens = count_tokens
        self._token_spans = token_spans
        self._counter: Callable[[str], Sequence[Any]] = count_tokens
        self._splitter = SentenceSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=min(overlap, chunk_tokens // 2),
            tokenizer=lambda piece: self._counter(piece),
            paragraph_separator="\n\n",
            chunking_tokenizer_fn=split_sentences,
        )

    def split(self, text: str) -> list[Chunk]:
        """The article's chunks. Not to be called from two threads at once on one Chunker."""
        spans = self._token_spans(text) if self._token_spans else None
        if spans is not None:
            self._counter = _ArticleTokens(text, spans, self._count_tokens)
        try:
            return self._chunks(text)
        finally:
            self._counter = self._count_tokens

    def _chunks(self, text: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        cursor = 0
        # The article's sentences, found once: finding them again in each chunk took a third of
        # the time of indexing once the model was fast.
        sentences = sentence_spans(text)
        sentence_ends = [end for _, end in sentences]
        for piece in self._splitter.split_text(text):
            start = text.find(piece, cursor)
            if start < 0:
                start = text.find(piece)
            if start < 0:
                # The splitter only ever cuts and strips, so this would be a bug in it: fall back to
                # the sentences of the piece that do occur rather than storing wrong offsets.
                continue
            cursor = start + 1
            for at, window in _cut_long(piece, start, self._max_chars):
                chunks.append(
                    Chunk(
                        index=len(chunks),
                        text=window,
                        start=at,
                        end=at + len(window),
                        sentences=_within(sentences, sentence_ends, at, at + len(window)),
                    )
                )
        return chunks
