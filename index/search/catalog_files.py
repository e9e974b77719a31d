"""The chunk catalogue's files: segments written once and memory-mapped, and a manifest naming them.

    <cache>/<collection>/
        catalog.json        the manifest: the collection version it matches, its segments, the
                            file of chunks deleted since they were written
        seg-<hex>/          a segment: texts, vectors (float32, and int8 codes for `similarity`),
                            metadata and BM25 postings of some chunks
        dead-<hex>.npy      one flag per chunk of all segments in order: deleted since written
        update.lock         held by the one process that brings the catalogue up to date

Nothing is changed once written: an update writes a new segment and a new manifest beside the old
ones, then renames the manifest into place, so a reader sees the old catalogue or the new one,
never half of either; processes that map the same files share their pages. A segment folder is
renamed into place only when complete, and its `segment.json`, written last, says how long every
file is, so a damaged one is found when it is opened.

A test stops a writer at a chosen point by setting NEWSBOT_CATALOG_CRASH_AT to `segment` (halfway
through a segment) or `manifest` (after the segment, before the manifest).
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import signal
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from index.errors import CatalogDamaged
from index.search.int8 import quantize

FORMAT = 4
MANIFEST = "catalog.json"
TMP_MARK = ".tmp-"
_SEGMENT_INFO = "segment.json"
CRASH_AT = "NEWSBOT_CATALOG_CRASH_AT"


class FileRow(NamedTuple):
    """A row of a segment's table of files: what all chunks of one file share."""

    file_id: str
    file: str
    title: str
    date: str
    url: str
    snapshot: str


# The table is stored a column per field.
FILE_COLUMNS = FileRow._fields


@dataclass(frozen=True)
class ChunkRow:
    """One chunk as the catalogue stores it: `file_id` is the indexer's id of its file."""

    id: str
    file_id: str
    file: str
    title: str
    date: str
    day: int
    start: int
    end: int
    text: str
    sentences: Sequence[tuple[int, int]]
    url: str = ""
    snapshot: str = ""


@dataclass(frozen=True)
class Manifest:
    """Which segments make up the catalogue of one collection version."""

    version: str
    segments: tuple[str, ...]
    dead: str | None  # the file of deletion flags, None when nothing was deleted

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        """The manifest in `folder`; None when there is none (never written)."""
        try:
            raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CatalogDamaged(f"unreadable catalogue manifest in {folder}: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise CatalogDamaged(f"catalogue manifest in {folder} is of another format")
        return cls(str(raw["version"]), tuple(raw["segments"]), raw.get("dead"))

    def write(self, folder: Path) -> None:
        """Put this manifest in place at once: written beside, then renamed over the old one."""
        tmp = folder / f"{MANIFEST}{TMP_MARK}{uuid.uuid4().hex[:8]}"
        body = {
            "format": FORMAT,
            "version": self.version,
            "segments": list(self.segments),
            "dead": self.dead,
        }
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(body, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / MANIFEST)

    @property
    def files(self) -> set[str]:
        return {*self.segments, *([self.dead] if self.dead else [])}


def write_dead(folder: Path, dead: npt.NDArray[np.bool_]) -> str:
    """Save the deletion flags under a new name (readers of the old ones keep theirs)."""
    name = f"dead-{uuid.uuid4().hex}.npy"
    tmp = folder / f"{name}{TMP_MARK}"
    with tmp.open("wb") as out:
        np.save(out, dead)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / name)
    return name


def read_dead(folder: Path, name: str, size: int) -> npt.NDArray[np.bool_]:
    try:
        dead: npt.NDArray[np.bool_] = np.load(folder / name, mmap_mode="r")
    except FileNotFoundError:
        raise  # removed by an update meanwhile: the caller reads the new manifest
    except (OSError, ValueError) as exc:
        raise CatalogDamaged(f"unreadable deletion flags {name}: {exc}") from exc
    if dead.shape != (size,) or dead.dtype != np.bool_:
        raise CatalogDamaged(f"deletion flags {name} do not match the segments")
    return dead


def crash_point(step: str) -> None:
    """Die here, as a killed process would, when a test asks for it (see the module's docstring)."""
    if os.environ.get(CRASH_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class SegmentWriter:
    """Writes a segment's files, a batch of chunks at a time, into a folder of its own.

    `finish` writes the BM25 postings and the description, then renames the folder to its final
    name; a writer that dies first leaves a `.tmp-` folder that the next update removes.
    """

    def __init__(self, parent: Path, dim: int) -> None:
        self.name = f"seg-{uuid.uuid4().hex}"
        self.parent = parent
        self.folder = parent / f"{self.name}{TMP_MARK}{os.getpid()}"
        self.folder.mkdir(parents=True)
        self.dim = dim
        self.n = 0
        self._texts = (self.folder / "texts.bin").open("wb")
        self._ids = (self.folder / "ids.bin").open("wb")
        self._vectors = (self.folder / "vectors.f32").open("wb")
        self._codes = (self.folder / "vectors.u8").open("wb")
        self._quant: list[npt.NDArray[np.float32]] = []
        self._text_at = [0]
        self._id_at = [0]
        self._sent_at = [0]
        self._sentences: list[tuple[int, int]] = []
        self._columns: dict[str, list[int]] = {"day": [], "start": [], "end": [], "file_no": []}
        self._doclen: list[int] = []
        self._files: dict[FileRow, int] = {}
        self._vocab: dict[str, int] = {}
        self._pairs: list[npt.NDArray[np.int64]] = []  # (doc << 32 | term) of each distinct pair
        self._tfs: list[npt.NDArray[np.int64]] = []

    def add(
        self,
        rows: Sequence[ChunkRow],
        vectors: npt.NDArray[np.float32],
        tokens: Sequence[Sequence[str]],
    ) -> None:
        """Append chunks with their embeddings and their BM25 terms (as `language.words.tokenize` makes)."""
        if not rows:
            return
        if vectors.shape != (len(rows), self.dim):
            raise ValueError(f"vectors of shape {vectors.shape} for {len(rows)} chunks")
        self._vectors.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
        codes, quant = quantize(vectors)
        self._codes.write(codes.tobytes())
        self._quant.append(quant)
        for row in rows:
            text = row.text.encode("utf-8")
            self._texts.write(text)
            self._text_at.append(self._text_at[-1] + len(text))
            cid = row.id.encode("utf-8")
            self._ids.write(cid)
            self._id_at.append(self._id_at[-1] + len(cid))
            self._sentences.extend(row.sentences)
            self._sent_at.append(len(self._sentences))
            key = FileRow(row.file_id, row.file, row.title, row.date, row.url, row.snapshot)
            self._columns["file_no"].append(self._files.setdefault(key, len(self._files)))
            self._columns["day"].append(row.day)
            self._columns["start"].append(row.start)
            self._columns["end"].append(row.end)
        vocab = self._vocab
        lengths = [len(doc) for doc in tokens]
        self._doclen += lengths
        terms = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for doc in tokens for t in doc),
            dtype=np.int64,
            count=sum(lengths),
        )
        docs = np.repeat(np.arange(self.n, self.n + len(rows), dtype=np.int64), lengths)
        pairs, tfs = np.unique((docs << 32) | terms, return_counts=True)
        self._pairs.append(pairs)
        self._tfs.append(tfs.astype(np.int64))
        self.n += len(rows)
        crash_point("segment")

    def finish(self) -> str:
        """Complete the segment and put it in place; its name, for the manifest."""
        for out in (self._texts, self._ids, self._vectors, self._codes):
            out.close()
        folder = self.folder
        quant = np.concatenate(self._quant, axis=1) if self._quant else np.zeros((3, 0), np.float32)
        np.save(folder / "quant.npy", quant)
        np.save(folder / "text_at.npy", np.asarray(self._text_at, dtype=np.int64))
        np.save(folder / "id_at.npy", np.asarray(self._id_at, dtype=np.int64))
        np.save(folder / "sent_at.npy", np.asarray(self._sent_at, dtype=np.int64))
        sentences = np.asarray(self._sentences, dtype=np.int64).reshape(-1, 2)
        np.save(folder / "sentences.npy", sentences)
        for name, values in self._columns.items():
            np.save(folder / f"{name}.npy", np.asarray(values, dtype=np.int64))
        np.save(folder / "doclen.npy", np.asarray(self._doclen, dtype=np.int64))
        pairs = np.concatenate(self._pairs) if self._pairs else np.zeros(0, dtype=np.int64)
        tfs = np.concatenate(self._tfs) if self._tfs else np.zeros(0, dtype=np.int64)
        docs, terms = (pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int64)
        del pairs
        # Postings by term: pairs come in document order, which a stable sort keeps in each term.
        order = np.argsort(terms, kind="stable")
        np.save(folder / "post_doc.npy", docs[order])
        np.save(folder / "post_tf.npy", tfs[order].astype(np.int32))
        counts = np.bincount(terms, minlength=len(self._vocab))
        np.save(folder / "post_at.npy", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        terms_list = sorted(self._vocab, key=self._vocab.__getitem__)
        (folder / "terms.json").write_text(json.dumps(terms_list), encoding="utf-8")
        files = sorted(self._files, key=self._files.__getitem__)
        for k, column in enumerate(FILE_COLUMNS):
            _write_strings(folder, column, [row[k] for row in files])
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
        info = {"format": FORMAT, "chunks": self.n, "dim": self.dim, "sizes": sizes}
        for path in folder.iterdir():
            with path.open("rb") as done:
                os.fsync(done.fileno())
        (folder / _SEGMENT_INFO).write_text(json.dumps(info), encoding="utf-8")
        os.replace(folder, self.parent / self.name)
        return self.name

    def abandon(self) -> None:
        for out in (self._texts, self._ids, self._vectors, self._codes):
            out.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Segment:
    """One segment's chunks, read through memory maps: nothing is loaded until it is used."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        try:
            info = json.loads((folder / _SEGMENT_INFO).read_text(encoding="utf-8"))
            for name, size in info["sizes"].items():
                if (folder / name).stat().st_size != size:
                    raise CatalogDamaged(f"{folder / name} is not as long as it was written")
            n, dim = int(info["chunks"]), int(info["dim"])
            self.n, self.dim = n, dim
            self.vectors: npt.NDArray[np.float32] = (
                _plain(
                    np.memmap(folder / "vectors.f32", dtype=np.float32, mode="r", shape=(n, dim))
                )
                if n
                else np.zeros((0, dim), dtype=np.float32)
            )
            self._vector_file = _FileBytes(folder / "vectors.f32")
            # The vectors' int8 codes, and a row each of their scales, residuals and norms.
            self.codes: npt.NDArray[np.uint8] = (
                _plain(np.memmap(folder / "vectors.u8", dtype=np.uint8, mode="r", shape=(n, dim)))
                if n
                else np.zeros((0, dim), dtype=np.uint8)
            )
            self.quant: npt.NDArray[np.float32] = _plain(
                np.load(folder / "quant.npy", mmap_mode="r")
            )
            if self.quant.shape != (3, n):
                raise CatalogDamaged(f"{folder / 'quant.npy'} does not match its {n} chunks")
            self._texts = _Strings(
                _FileBytes(folder / "texts.bin"), _array(folder, "text_at", n + 1)
            )
            self._ids = _Strings(_FileBytes(folder / "ids.bin"), _array(folder, "id_at", n + 1))
            self.sent_at = _array(folder, "sent_at", n + 1)
            self.sentences = _plain(np.load(folder / "sentences.npy", mmap_mode="r"))
            self.day = _array(folder, "day", n)
            self.start = _array(folder, "start", n)
            self.end = _array(folder, "end", n)
            self.file_no = _array(folder, "file_no", n)
            self.doclen = _array(folder, "doclen", n)
            self.post_at = _plain(np.load(folder / "post_at.npy", mmap_mode="r"))
            self.post_doc = _plain(np.load(folder / "post_doc.npy", mmap_mode="r"))
            self.post_tf = _plain(np.load(folder / "post_tf.npy", mmap_mode="r"))
            self._file_columns = [_read_strings(folder, column) for column in FILE_COLUMNS]
        except FileNotFoundError:
            raise  # removed by an update meanwhile: the caller reads the new manifest
        except (OSError, ValueError, KeyError) as exc:
            raise CatalogDamaged(f"catalogue segment {folder} is damaged: {exc}") from exc

    def file_row(self, row: int) -> FileRow:
        """One file of the table."""
        return FileRow(*(column[row] for column in self._file_columns))

    @cached_property
    def file_ids(self) -> list[str]:
        """The id of each file in the table (read when first asked for)."""
        return self._file_columns[0].all()

    @cached_property
    def file_names(self) -> list[str]:
        """The name of each file in the table (read when first asked for)."""
        return self._file_columns[1].all()

    @cached_property
    def _terms(self) -> dict[str, int]:
        terms: list[str] = json.loads((self.folder / "terms.json").read_text(encoding="utf-8"))
        return {t: i for i, t in enumerate(terms)}

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """The chunks (positions in this segment) that hold `term`, and how often each does."""
        at = self._terms.get(term)
        if at is None:
            empty = np.zeros(0, dtype=np.int32)
            return empty, empty
        a, b = int(self.post_at[at]), int(self.post_at[at + 1])
        return self.post_doc[a:b], self.post_tf[a:b]

    def text(self, i: int) -> str:
        return self._texts[i]

    def chunk_id(self, i: int) -> str:
        return self._ids[i]

    def vector_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The float32 vectors of the chunks at `rows` (positions in this segment), in that order."""
        size = self.dim * 4
        blob = b"".join(self._vector_file[int(j) * size : (int(j) + 1) * size] for j in rows)
        return np.frombuffer(blob, dtype=np.float32).reshape(len(rows), self.dim)

    def spans(self, i: int) -> tuple[tuple[int, int], ...]:
        rows = self.sentences[int(self.sent_at[i]) : int(self.sent_at[i + 1])]
        return tuple((int(a), int(b)) for a, b in rows)


class _Strings:
    """Strings stored one after another in a file (mapped, or read with pread), found by their
    offsets."""

    def __init__(self, blob: bytes | mmap.mmap | _FileBytes, at: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._at = at

    def __len__(self) -> int:
        return len(self._at) - 1

    def __getitem__(self, i: int) -> str:
        return self._blob[int(self._at[i]) : int(self._at[i + 1])].decode("utf-8")

    def all(self) -> list[str]:
        at = self._at.tolist()
        blob = self._blob
        return [blob[a:b].decode("utf-8") for a, b in pairwise(at)]


def _write_strings(folder: Path, name: str, values: Sequence[str]) -> None:
    encoded = [v.encode("utf-8") for v in values]
    (folder / f"{name}.bin").write_bytes(b"".join(encoded))
    at = np.concatenate([[0], np.cumsum([len(e) for e in encoded], dtype=np.int64)])
    np.save(folder / f"{name}_at.npy", at.astype(np.int64))


def _read_strings(folder: Path, name: str) -> _Strings:
    at: npt.NDArray[np.int64] = _plain(np.load(folder / f"{name}_at.npy", mmap_mode="r"))
    return _Strings(_bytes(folder / f"{name}.bin"), at)


def _plain(mapped: Any) -> Any:
    """A mapped array as a plain ndarray over the same pages: np.memmap's own indexing costs
    several times more per element, which reading a chunk's fields does often."""
    return np.asarray(mapped)


def _bytes(path: Path) -> bytes | mmap.mmap:
    """A file's bytes, mapped (an empty file cannot be mapped, and needs not be)."""
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class _FileBytes:
    """A file's bytes, read where asked with pread: for the files a search reads a row here and
    a row there of (texts, ids, float32 vectors).

    Mapped, each row read mapped the pages around it too (whole large folios on recent kernels):
    at 500,000 chunks a process's memory grew by the whole 768 MB of vectors over 50 searches,
    for a few hundred rows each. Read this way, the pages stay in the kernel's page cache, which
    every process shares, and out of each process's resident memory.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __getitem__(self, at: slice) -> bytes:
        start, stop = int(at.start), int(at.stop)
        return os.pread(self._fd, stop - start, start)


def _array(folder: Path, name: str, length: int) -> npt.NDArray[np.int64]:
    values: npt.NDArray[np.int64] = _plain(np.load(folder / f"{name}.npy", mmap_mode="r"))
    if values.shape != (length,):
        raise CatalogDamaged(f"{folder / name} holds {values.shape[0]} values, not {length}")
    return values
