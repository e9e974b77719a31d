"""Keeping the chunk catalogue on disk in step with the Chroma collection.

When the collection's version stamp moves, the collection's change log (`ChunkStore.changed_files`)
says which files changed: their chunks are read from Chroma and written as a new segment, their
old chunks are flagged dead, and a new manifest is put in place. Only when the log cannot say (a
reader too far behind, a rebuilt collection, a run that died) is the whole collection read again.
One process at a time updates a catalogue (a lock file); the others keep answering from the one
they have, or wait for it when they have none.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import CatalogDamaged
from index.language.words import tokenize
from index.search.catalog import ChunkCatalog, bm25_text
from index.search.catalog_files import (
    MANIFEST,
    TMP_MARK,
    ChunkRow,
    Manifest,
    SegmentWriter,
    crash_point,
    write_dead,
)
from index.search.store import FILE_ID, ChunkStore, sentence_spans_from

# Small segments (one per update) are merged into one when there are more than this many, so
# that a search looks in a handful of segments however many updates there were.
MAX_SEGMENTS = 8
# When this share of the chunks is dead, the catalogue is written again without them.
MAX_DEAD_SHARE = 0.3
_PAGE = 2000


def catalog_folder(store: ChunkStore, cache_dir: Path) -> Path:
    return cache_dir / store.config.collection


def current_catalog(
    store: ChunkStore, cache_dir: Path, *, have: ChunkCatalog | None = None
) -> ChunkCatalog:
    """The catalogue for the collection as it is now: opened from disk when it is current, else
    brought up to date (by this process, or by another that holds the lock meanwhile).

    `have`, a catalogue this process already holds, is returned when it is still current.
    """
    folder = catalog_folder(store, cache_dir)
    version = _version(store.metadata)
    if have is not None and have.version == version:
        return have
    with contextlib.suppress(CatalogDamaged):
        found = ChunkCatalog.open(folder)
        if found is not None and found.version == version:
            return found
    folder.mkdir(parents=True, exist_ok=True)
    with _update_lock(folder):
        meta = store.metadata  # again: another process may have written meanwhile
        version = _version(meta)
        try:
            found = ChunkCatalog.open(folder)
        except CatalogDamaged:
            found = None
        if found is None or found.version != version:
            changed = store.changed_files(found.version, meta) if found is not None else None
            if found is not None and changed is not None:
                _update(store, folder, found, changed, version)
            else:
                _rebuild(store, folder, version)
            _remove_unused(folder)
            _remove_old_layout(store, cache_dir)
            found = ChunkCatalog.open(folder)
        if found is None:  # pragma: no cover - written just above
            raise CatalogDamaged(f"no catalogue in {folder} after writing one")
        return found


def update_if_present(store: ChunkStore, cache_dir: Path) -> None:
    """Bring the catalogue up to date if there is one (a process reads from this data dir); a
    writer that nobody reads beside, such as an indexer with a data dir of its own, builds none."""
    if (catalog_folder(store, cache_dir) / MANIFEST).exists():
        current_catalog(store, cache_dir)


def _version(meta: Mapping[str, Any]) -> str:
    return str(meta.get("version", "empty"))


@contextlib.contextmanager
def _update_lock(folder: Path) -> Iterator[None]:
    fd = os.open(folder / "update.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _rebuild(store: ChunkStore, folder: Path, version: str) -> None:
    """Write the whole collection as one segment, read from Chroma a page at a time."""
    writer = SegmentWriter(folder, store.embed_dim)
    try:
        for page in store.pages(["documents", "metadatas", "embeddings"], size=_PAGE):
            _add_page(writer, page)
        name = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    crash_point("manifest")
    Manifest(version, (name,), None).write(folder)


def _update(
    store: ChunkStore, folder: Path, catalog: ChunkCatalog, changed: set[str], version: str
) -> None:
    """Flag dead the chunks of the files that changed, and write their chunks as they are now
    (none for a file deleted) as a new segment."""
    ids = sorted(changed)
    dead = ~catalog.alive
    dead |= _of_files(catalog, set(ids))
    segments = [seg.name for seg in catalog.segments]
    if ids:
        writer = SegmentWriter(folder, store.embed_dim)
        try:
            for page in store.chunks_of(ids):
                _add_page(writer, page)
            if writer.n:
                segments.append(writer.finish())
                dead = np.concatenate([dead, np.zeros(writer.n, dtype=bool)])
            else:
                writer.abandon()
        except BaseException:
            writer.abandon()
            raise
    crash_point("manifest")
    Manifest(version, tuple(segments), write_dead(folder, dead) if dead.any() else None).write(
        folder
    )
    compacted = ChunkCatalog.open(folder)
    if compacted is not None:
        _compact(folder, compacted)


def _compact(folder: Path, catalog: ChunkCatalog) -> None:
    """Merge the small segments into one when there are many, or write everything again without
    the dead when they are many: from the catalogue's own files, without asking Chroma."""
    dead_share = 1.0 - len(catalog) / catalog.size if catalog.size else 0.0
    if dead_share > MAX_DEAD_SHARE:
        keep = 0
    elif len(catalog.segments) > MAX_SEGMENTS:
        keep = 1  # the first, large, one stays as it is
    else:
        return
    start = sum(seg.n for seg in catalog.segments[:keep])
    writer = SegmentWriter(folder, catalog.segments[0].dim)
    try:
        living = np.flatnonzero(catalog.alive[start:]) + start
        for at in range(0, len(living), _PAGE):
            positions = [int(i) for i in living[at : at + _PAGE]]
            rows = [_stored_row(catalog, i) for i in positions]
            vectors = np.stack([_vector(catalog, i) for i in positions])
            writer.add(rows, vectors, tokenize([bm25_text(r.title, r.text, r.start) for r in rows]))
        merged = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    kept = catalog.segments[:keep]
    dead = ~catalog.alive[:start]
    dead = np.concatenate([dead, np.zeros(len(living), dtype=bool)])
    Manifest(
        catalog.version,
        (*(seg.name for seg in kept), merged),
        write_dead(folder, dead) if dead.any() else None,
    ).write(folder)


def _stored_row(catalog: ChunkCatalog, i: int) -> ChunkRow:
    record = catalog.record(i)
    seg, j = catalog.locate(i)
    file_id = seg.file_row(int(seg.file_no[j])).file_id
    return ChunkRow(
        id=record.id,
        file_id=file_id,
        file=record.file,
        title=record.title,
        date=record.date,
        day=record.day,
        start=record.start,
        end=record.end,
        text=record.text,
        sentences=record.sentences,
        url=record.url,
        snapshot=record.snapshot,
    )


def _vector(catalog: ChunkCatalog, i: int) -> npt.NDArray[np.float32]:
    seg, j = catalog.locate(i)
    return np.asarray(seg.vectors[j])


def _of_files(catalog: ChunkCatalog, file_ids: set[str]) -> npt.NDArray[np.bool_]:
    """Which chunks belong to the files with these ids."""
    parts = [np.zeros(0, dtype=bool)]
    for seg in catalog.segments:
        table = np.fromiter((f in file_ids for f in seg.file_ids), bool, len(seg.file_ids))
        parts.append(table[np.asarray(seg.file_no)] if seg.n else np.zeros(0, dtype=bool))
    return np.concatenate(parts)


def _add_page(writer: SegmentWriter, page: Mapping[str, Any]) -> None:
    """Add one of Chroma's `get` answers (ids, documents, metadatas, embeddings) to a segment."""
    if not len(page["ids"]):
        return
    rows = [
        _row(str(cid), str(text or ""), meta)
        for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
    ]
    vectors = np.asarray(page["embeddings"], dtype=np.float32)
    writer.add(rows, vectors, tokenize([bm25_text(r.title, r.text, r.start) for r in rows]))


def _row(cid: str, text: str, meta: Mapping[str, Any]) -> ChunkRow:
    return ChunkRow(
        id=cid,
        file_id=str(meta.get(FILE_ID, "")),
        file=str(meta.get("file", "")),
        title=str(meta.get("title", "")),
        date=str(meta.get("date", "")),
        day=int(meta.get("day", 0) or 0),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        text=text,
        sentences=sentence_spans_from(meta),
        url=str(meta.get("url", "")),
        snapshot=str(meta.get("snapshot", "")),
    )


def _remove_unused(folder: Path) -> None:
    """Remove the segments and flags the manifest no longer names, and what writers that died
    left. Called with the update lock held; a process that still maps a removed file keeps its
    pages (the file goes when the last map does)."""
    manifest = Manifest.read(folder)
    keep = manifest.files if manifest else set()
    for path in folder.iterdir():
        if path.name in keep or path.name in (MANIFEST, "update.lock"):
            continue
        if path.name.startswith(("seg-", "dead-", f"{MANIFEST}{TMP_MARK}")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _remove_old_layout(store: ChunkStore, cache_dir: Path) -> None:
    """Remove the caches of earlier releases, a folder per version ("articles-<version>"), but not
    another collection's catalogue ("articles-v2" holds a manifest or a lock)."""
    prefix = f"{store.config.collection}-"
    for old in cache_dir.glob(f"{prefix}*"):
        ours = (old / MANIFEST).exists() or (old / "update.lock").exists()
        if old.name[len(prefix) :].isalnum() and old.is_dir() and not ours:
            shutil.rmtree(old, ignore_errors=True)
