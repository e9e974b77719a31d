"""The chunk catalogue: every chunk's text and metadata, with a BM25 index over title and text.

It is derived from the Chroma collection and cached on local disk under the collection's version
stamp, so processes that share a Chroma server each rebuild it once after the collection changes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.store import ChunkStore, sentence_spans_from
from index.vocabulary import stemmer

_TMP_MARK = ".tmp-"


@dataclass(frozen=True)
class ChunkRecord:
    """One stored chunk: its text, where it stands in its file, and its sentences' spans.

    `start`, `end` and every sentence span are offsets in the file, not in `text`.
    """

    id: str
    file: str
    title: str
    date: str  # ISO date or ""
    day: int  # date.toordinal(), 0 when undated
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    # Where the article is on the web, and the file its text is kept in when it is not the article
    # file itself (an extracted page, feed entry, record, PDF or draft); "" when there is none.
    url: str = ""
    snapshot: str = ""

    def text_at(self, start: int, end: int) -> str:
        """The chunk's text between two offsets in its file: a sentence by its span."""
        return self.text[start - self.start : end - self.start]


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


class ChunkCatalog:
    """All chunks in memory, addressable by position, with BM25 scores over them.

    `vectors` holds the chunks' embeddings in the same order (read once from the collection), so
    that dense search with a date filter is one matrix product rather than a filtered Chroma query,
    which is ten times slower.
    """

    def __init__(
        self, records: list[ChunkRecord], bm25: Any, vectors: npt.NDArray[np.float32] | None = None
    ) -> None:
        self.records = records
        self.position = {r.id: i for i, r in enumerate(records)}
        self.days = np.array([r.day for r in records], dtype=np.int64)
        self._bm25 = bm25
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.records)

    def bm25_scores(self, query: str) -> npt.NDArray[np.float32]:
        if not self.records:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            return np.zeros(len(self.records), dtype=np.float32)
        scores: npt.NDArray[np.float32] = np.asarray(
            self._bm25.get_scores(tokens), dtype=np.float32
        )
        return scores

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (a token as `tokenize` makes it); 0 for one none has."""
        if not self.records:
            return dict.fromkeys(terms, 0)
        vocab = self._bm25.vocab_dict
        # BM25's sparse scores are stored a column per term: a column's length is its frequency.
        indptr = self._bm25.scores["indptr"]
        return {t: int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0 for t in terms}

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term: high for a rare one, highest for one no
        chunk has."""
        n = len(self.records)
        df = self.document_frequency(terms)
        return {t: math.log((n - df[t] + 0.5) / (df[t] + 0.5) + 1.0) for t in terms}

    @classmethod
    def build(cls, records: list[ChunkRecord]) -> ChunkCatalog:
        bm25s = _bm25s()

        bm25 = bm25s.BM25()
        if records:
            corpus = tokenize([f"{r.title}\n{r.text}" if r.start > 0 else r.text for r in records])
            bm25.index(_to_tokenized(corpus), show_progress=False)
        return cls(records, bm25)

    @classmethod
    def load(cls, store: ChunkStore, cache_dir: Path) -> ChunkCatalog:
        """The catalogue for the collection as it is now, from the disk cache when it is current."""
        version = str(store.metadata.get("version", "empty"))
        folder = cache_dir / f"{store.config.collection}-{version}"
        if (folder / "chunks.json").is_file():
            try:
                return cls._read(folder)
            except (OSError, ValueError, KeyError):
                shutil.rmtree(folder, ignore_errors=True)
        records = [_record(cid, text, meta) for cid, text, meta in store.all_chunks()]
        records.sort(key=lambda r: (r.file, r.start))
        catalog = cls.build(records)
        catalog.vectors = _vectors(store, records)
        catalog._write(folder)
        prefix = f"{store.config.collection}-"
        for old in cache_dir.glob(f"{prefix}*"):
            # Another process's half-written folder (".tmp-") is its own to remove, and
            # "articles-v2-<version>" belongs to another collection, not to "articles".
            stamp = old.name[len(prefix) :]
            if old != folder and stamp.isalnum():
                shutil.rmtree(old, ignore_errors=True)
        return catalog

    def _write(self, folder: Path) -> None:
        # Processes that share a data dir (and threads of one bot) may build the same version at
        # once: each writes a folder of its own, and the first renamed into place is kept.
        tmp = folder.with_name(f"{folder.name}{_TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        try:
            if self.records:
                self._bm25.save(str(tmp / "bm25"), show_progress=False)
            if self.vectors is not None:
                np.save(tmp / "vectors.npy", self.vectors)
            rows = [r.__dict__ for r in self.records]
            (tmp / "chunks.json").write_text(json.dumps(rows), encoding="utf-8")
            with contextlib.suppress(OSError):  # the folder is already there: another won
                tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def _read(cls, folder: Path) -> ChunkCatalog:
        bm25s = _bm25s()

        rows = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        records = [
            ChunkRecord(**{**row, "sentences": tuple(tuple(s) for s in row["sentences"])})
            for row in rows
        ]
        if not records:
            return cls(records, bm25s.BM25())
        bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        # A cache from before vectors were kept is rebuilt (by the caller) rather than used.
        vectors = np.load(folder / "vectors.npy")
        if vectors.shape[0] != len(records):
            raise ValueError("vectors do not match the chunks")
        return cls(records, bm25, vectors)


def _vectors(store: ChunkStore, records: list[ChunkRecord]) -> npt.NDArray[np.float32] | None:
    """The chunks' embeddings in catalogue order, or None if the collection doesn't give them all."""
    if not records:
        return None
    position = {r.id: i for i, r in enumerate(records)}
    vectors: npt.NDArray[np.float32] | None = None
    found = 0
    for page in store.pages(["embeddings"]):
        rows = np.asarray(page["embeddings"], dtype=np.float32)
        if vectors is None:
            vectors = np.zeros((len(records), rows.shape[1]), dtype=np.float32)
        for cid, row in zip(page["ids"], rows, strict=True):
            if cid in position:
                vectors[position[cid]] = row
                found += 1
    return vectors if found == len(records) else None


def _to_tokenized(corpus: list[list[str]]) -> Any:
    bm25s = _bm25s()

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def _record(cid: str, text: str, meta: Any) -> ChunkRecord:
    return ChunkRecord(
        id=cid,
        file=str(meta.get("file", "")),
        title=str(meta.get("title", "")),
        date=str(meta.get("date", "")),
        day=int(meta.get("day", 0) or 0),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        text=text,
        sentences=tuple(sentence_spans_from(meta)),
        url=str(meta.get("url", "")),
        snapshot=str(meta.get("snapshot", "")),
    )
