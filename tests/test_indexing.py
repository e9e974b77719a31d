from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import describe
from bot.factory import build_indexer, build_store
from index.errors import EmbeddingMismatch
from index.reading.articles import find_articles, read_article
from index.search.store import ChunkStore
from tests.conftest import SEED_A, SEED_B


def _expected_chunks(indexer, folder: Path) -> int:
    return sum(len(indexer.chunker.split(read_article(f).text)) for f in find_articles(folder))


def _snapshot(store: ChunkStore) -> dict[str, tuple[str, dict]]:
    got = store.collection.get(include=["documents", "metadatas"])
    return {
        i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }


def test_incremental_index(settings, embedder, seed_dir: Path) -> None:
    indexer = build_indexer(settings, embedder)
    first = indexer.run([seed_dir])
    per_file = {
        f.name: len(indexer.chunker.split(read_article(f).text)) for f in find_articles(seed_dir)
    }
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    assert first.chunks_total == sum(per_file.values()) == indexer.store.count()
    before = _snapshot(indexer.store)

    again = indexer.run([seed_dir])
    assert (again.added, again.updated, again.unchanged, again.removed, again.chunks_written) == (
        0,
        0,
        2,
        0,
        0,
    )
    assert _snapshot(indexer.store) == before

    # Changed: the old chunks of the file are replaced, not added to.
    changed = seed_dir / SEED_B
    changed.write_text(
        changed.read_text() + "\n\nA new paragraph reports that talks resume in May.\n"
    )
    run = indexer.run([seed_dir])
    assert (run.added, run.updated, run.unchanged) == (0, 1, 1)
    assert indexer.store.count() == _expected_chunks(indexer, seed_dir)
    docs = indexer.store.collection.get(where={"file": SEED_B}, include=["documents"])["documents"]
    assert any("talks resume in May" in d for d in docs)

    # Added and deleted.
    (seed_dir / "sub").mkdir()
    (seed_dir / "sub" / "extra.md").write_text(
        "# Harbour reopens\n\nThe harbour reopened on Monday after storms.\n"
    )
    (seed_dir / SEED_A).unlink()
    run = indexer.run([seed_dir])
    assert (run.added, run.removed, run.unchanged) == (1, 1, 1)
    files = {m["file"] for m in indexer.store.collection.get(include=["metadatas"])["metadatas"]}
    assert files == {SEED_B, "sub/extra.md"}
    assert indexer.store.count() == _expected_chunks(indexer, seed_dir)


def test_rebuild_starts_from_empty(settings, embedder, seed_dir: Path) -> None:
    indexer = build_indexer(settings, embedder)
    indexer.run([seed_dir])
    n = indexer.store.count()
    run = indexer.run([seed_dir], rebuild=True)
    assert run.added == 2 and indexer.store.count() == n


def test_lexical_cache_keeps_other_collections_caches(
    settings, embedder, seed_dir: Path, tmp_path: Path
) -> None:
    from index.search.catalog_sync import current_catalog

    indexer = build_indexer(settings, embedder)
    indexer.run([seed_dir])
    cache = tmp_path / "cache"
    name = indexer.store.config.collection
    stale, other = cache / f"{name}-0123abcd", cache / f"{name}-v2-0123abcd"
    for folder in (stale, other):
        folder.mkdir(parents=True)
    current_catalog(indexer.store, cache)
    assert not stale.exists()  # this collection's cache as an earlier release kept it
    assert other.exists()  # collection "<name>-v2" is another's
    assert (cache / name / "catalog.json").is_file()


def test_skips_bad_files_and_duplicates(settings, embedder, seed_dir: Path) -> None:
    (seed_dir / "empty.txt").write_text("   \n")
    (seed_dir / "blob.md").write_bytes(b"\x00\x00binary")
    (seed_dir / "copy.txt").write_bytes((seed_dir / SEED_A).read_bytes())
    run = build_indexer(settings, embedder).run([seed_dir])
    reasons = dict(run.skipped)
    assert run.added == 2
    assert reasons["empty.txt"] == "empty"
    assert "binary" in reasons["blob.md"]
    assert "duplicate" in reasons["copy.txt"]


def test_other_embedding_model_is_refused(settings, embedder, seed_dir: Path) -> None:
    build_indexer(settings, embedder).run([seed_dir])
    other = ChunkStore(build_store(settings, embedder).config, "text-embedding-3-small", 1536)
    with pytest.raises(EmbeddingMismatch) as refused:
        other.check_model()
    # `index` names the models; the command that fixes it is added where the bot shows the error.
    assert "newsbot" not in str(refused.value)
    assert "newsbot index --rebuild" in describe(refused.value)
