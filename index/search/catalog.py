"""The chunk catalogue: every chunk's text, metadata and embedding, with BM25 over title and text.

It is read from segments on disk (`catalog_files`) through memory maps, so opening it costs next
to nothing at any size, and processes that open the same files share their pages; a chunk becomes
a `ChunkRecord` only when it is asked for. `catalog_sync` keeps the files in step with the Chroma
collection.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.errors import CatalogDamaged
from index.language.words import tokenize
from index.search.catalog_files import FileRow, Manifest, Segment, read_dead
from index.search.similarity import Similarity

# BM25's parameters: bm25s's defaults (its "lucene" variant), which this catalogue used before it
# scored from its own postings.
BM25_K1 = 1.5
BM25_B = 0.75


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


def bm25_text(title: str, text: str, start: int) -> str:
    """What BM25 indexes of a chunk: its text, after the title unless the chunk starts the file
    (whose first line is the title)."""
    return f"{title}\n{text}" if start > 0 else text


class ChunkCatalog:
    """Every chunk, addressable by position, with BM25 scores and cosine similarity over them.

    Positions run through the segments in order. A chunk deleted since its segment was written
    keeps its position, flagged dead: no search returns it, and BM25 counts only the living, so
    a catalogue brought up to date scores every chunk as one rebuilt from scratch does.
    """

    def __init__(
        self, version: str, segments: Sequence[Segment], dead: npt.NDArray[np.bool_] | None = None
    ) -> None:
        self.version = version
        self.segments = list(segments)
        self.starts = np.concatenate([[0], np.cumsum([s.n for s in self.segments])]).astype(
            np.int64
        )
        self.size = int(self.starts[-1])
        self.alive: npt.NDArray[np.bool_] = (
            np.ones(self.size, dtype=bool) if dead is None else ~np.asarray(dead)
        )
        self.days = _joined([s.day for s in self.segments])
        self._doclen = _joined([s.doclen for s in self.segments])
        self._count = int(self.alive.sum())
        # BM25's average length is the living chunks', as in an index built from them alone.
        self._avgdl = float(self._doclen[self.alive].sum()) / self._count if self._count else 1.0
        self.records = _Records(self)
        self._recent = lru_cache(maxsize=4096)(self._record)

    @classmethod
    def open(cls, folder: Path) -> ChunkCatalog | None:
        """The catalogue in `folder` as its manifest describes it; None when there is none.

        CatalogDamaged when a file it names is missing or incomplete.
        """
        for _ in range(5):
            manifest = Manifest.read(folder)
            if manifest is None:
                return None
            try:
                segments = [Segment(folder / name) for name in manifest.segments]
                size = sum(s.n for s in segments)
                dead = read_dead(folder, manifest.dead, size) if manifest.dead else None
                return cls(manifest.version, segments, dead)
            except FileNotFoundError:
                # An update put a new manifest in place and removed what the old one named
                # between the two reads: read the new one, unless there is none.
                if Manifest.read(folder) == manifest:
                    break
        raise CatalogDamaged(f"the catalogue in {folder} names files that are not there")

    def __len__(self) -> int:
        """How many chunks the collection holds (the living ones)."""
        return self._count

    def locate(self, i: int) -> tuple[Segment, int]:
        """The segment that holds position `i`, and the chunk's position in it."""
        n = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.segments[n], i - int(self.starts[n])

    def record(self, i: int) -> ChunkRecord:
        """The chunk at position `i` (one search asks for each candidate several times)."""
        return self._recent(i)

    def _record(self, i: int) -> ChunkRecord:
        seg, j = self.locate(i)
        row = seg.file_row(int(seg.file_no[j]))
        return ChunkRecord(
            id=seg.chunk_id(j),
            file=row.file,
            title=row.title,
            date=row.date,
            day=int(seg.day[j]),
            start=int(seg.start[j]),
            end=int(seg.end[j]),
            text=seg.text(j),
            sentences=seg.spans(j),
            url=row.url,
            snapshot=row.snapshot,
        )

    @cached_property
    def position(self) -> dict[str, int]:
        """Each living chunk's position by its id (built when first asked for)."""
        return {
            seg.chunk_id(j): int(start) + j
            for seg, start in zip(self.segments, self.starts, strict=False)
            for j in range(seg.n)
            if self.alive[int(start) + j]
        }

    def similarity(self, vector: npt.NDArray[np.float32]) -> Similarity:
        """Every chunk's cosine similarity to `vector`: estimated at once, exact when asked."""
        return Similarity(self, vector)

    def vectors_at(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The float32 embeddings of the chunks at `positions`, in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty((len(positions), self.segments[0].dim if self.segments else 0), np.float32)
        owner = np.searchsorted(self.starts, positions, side="right") - 1
        for n in np.unique(owner):
            mine = owner == n
            out[mine] = self.segments[n].vector_rows(positions[mine] - self.starts[n])
        return out

    def _postings(self, term: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        """The positions of the living chunks that hold `term`, and its count in each."""
        docs, tfs = [], []
        for seg, start, whole in zip(self.segments, self.starts, self._whole, strict=False):
            d, tf = seg.postings(term)
            if len(d):
                at = d.astype(np.int64) + int(start)
                if not whole:
                    living = self.alive[at]
                    at, tf = at[living], tf[living]
                docs.append(at)
                tfs.append(tf)
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        if len(docs) == 1:
            return docs[0], tfs[0]
        return np.concatenate(docs), np.concatenate(tfs)

    @cached_property
    def dead(self) -> npt.NDArray[np.int64]:
        """The positions of the deleted chunks."""
        return np.flatnonzero(~self.alive)

    @cached_property
    def _whole(self) -> list[bool]:
        """For each segment, whether none of its chunks is dead."""
        return [
            bool(self.alive[int(start) : int(start) + seg.n].all())
            for seg, start in zip(self.segments, self.starts, strict=False)
        ]

    @cached_property
    def _length_norm(self) -> npt.NDArray[np.float64]:
        """BM25's length normalisation of each chunk, k1 * (1 - b + b * length / average)."""
        norm: npt.NDArray[np.float64] = BM25_K1 * (
            1.0 - BM25_B + BM25_B * np.asarray(self._doclen, dtype=np.float64) / self._avgdl
        )
        return norm

    def bm25_scores(self, query: str) -> npt.NDArray[np.float32]:
        """Every chunk's BM25 score for `query` (0 for a deleted one).

        Scores are computed from term counts at query time, so nothing index-wide (document
        frequencies, the average length) is stored that an update would have to rewrite.
        """
        scores = np.zeros(self.size, dtype=np.float32)
        n = self._count
        if not n:
            return scores
        for term in tokenize([query])[0]:
            docs, tfs = self._postings(term)
            df = len(docs)
            if not df:
                continue
            tf = tfs.astype(np.float64)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            # A chunk is in a term's postings once, so adding by index needs no np.add.at.
            scores[docs] += (idf * tf / (self._length_norm[docs] + tf)).astype(np.float32)
        return scores

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many chunks hold each term (a token as `words.tokenize` makes it); 0 for one none has."""
        return {t: len(self._postings(t)[0]) for t in terms}

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term: high for a rare one, highest for one no
        chunk has."""
        n = len(self)
        df = self.document_frequency(terms)
        return {t: math.log((n - df[t] + 0.5) / (df[t] + 0.5) + 1.0) for t in terms}

    def _living_files(self) -> list[FileRow]:
        """The file-table rows that living chunks use."""
        rows = []
        for seg, start in zip(self.segments, self.starts, strict=False):
            living = self.alive[int(start) : int(start) + seg.n]
            rows += [seg.file_row(int(r)) for r in np.unique(np.asarray(seg.file_no)[living])]
        return rows

    def files(self) -> set[str]:
        """The names of the files the catalogue holds chunks of."""
        return {row.file for row in self._living_files()}

    def newest_titles(self, limit: int) -> list[str]:
        """The titles of the newest articles, newest first."""
        by_file = {row.file: (row.date, row.title) for row in self._living_files()}
        return [title for _, title in sorted(by_file.values(), reverse=True)[:limit]]

    def newest_article(self) -> FileRow | None:
        """The article with the newest publication date; None when none is dated."""
        return max((row for row in self._living_files() if row.date), key=_by_date, default=None)

    def in_files(self, names: Collection[str]) -> npt.NDArray[np.bool_]:
        """Which chunks belong to one of the files named."""
        parts = [np.zeros(0, dtype=bool)]
        for seg in self.segments:
            table = np.fromiter((f in names for f in seg.file_names), bool, len(seg.file_names))
            parts.append(table[np.asarray(seg.file_no)] if seg.n else np.zeros(0, dtype=bool))
        return np.concatenate(parts)


class _Records:
    """The catalogue's chunks by position, each made a ChunkRecord when it is asked for."""

    def __init__(self, catalog: ChunkCatalog) -> None:
        self._catalog = catalog

    def __len__(self) -> int:
        return self._catalog.size

    def __getitem__(self, i: int) -> ChunkRecord:
        if not 0 <= i < self._catalog.size:
            raise IndexError(i)
        return self._catalog.record(i)


def _by_date(row: FileRow) -> tuple[str, str]:
    return row.date, row.title


def _joined(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """The segments' column as one array: the segment's own (mapped) when there is one."""
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
