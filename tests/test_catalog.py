"""The chunk catalogue on disk: brought up to date from the change log, repaired after a crash,
and read by several processes while another updates it. Real indexing, real embedded Chroma."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.factory import build_indexer
from bot.settings import Settings
from index.embedding import MiniLMEmbedder
from index.indexing import Indexer
from index.ranking.retrieval import Passage, RetrievalConfig, rank
from index.search.catalog import ChunkCatalog
from index.search.catalog_files import CRASH_AT
from index.search.catalog_sync import catalog_folder, current_catalog
from tests.conftest import _OUR_VARS, SEED_A

QUERIES = [
    "harbour lighthouse repairs",
    "defence ministers meeting",
    "school fund festival",
    "embassy statement on the agreement",
    "bridge tolls",
]


def _article(title: str, day: int, body: str) -> str:
    return f"{title}\n\nPublished: 2025-10-{day:02d}\n\n{body}\n"


def _write_articles(folder: Path, round_: int) -> None:
    """Small articles; each round changes one, adds one and removes one or two."""
    for n in range(16):
        (folder / f"town-{n}.txt").write_text(
            _article(
                f"Town council {n} news",
                n + 1,
                f"The council of town {n} approved a school fund and a festival. "
                f"The harbour bridge tolls stay at {n + 2} ringgit.",
            )
        )
    if round_ >= 1:
        (folder / "town-1.txt").write_text(
            _article("Town council 1 news", 2, "The lighthouse repairs in the harbour finished.")
        )
        (folder / "harbour.txt").write_text(
            _article("Harbour lighthouse", 9, "Lighthouse repairs cost 3 million ringgit.")
        )
        (folder / "town-3.txt").unlink(missing_ok=True)
    if round_ >= 2:
        (folder / SEED_A).unlink(missing_ok=True)
        (folder / "bridge.txt").write_text(
            _article("Bridge tolls rise", 11, "The bridge tolls rise to 9 ringgit next month.")
        )


def _by_id(catalog: ChunkCatalog) -> dict[str, int]:
    return {catalog.record(int(i)).id: int(i) for i in np.flatnonzero(catalog.alive)}


def assert_same(a: ChunkCatalog, b: ChunkCatalog, embedder: MiniLMEmbedder) -> None:
    """Two catalogues hold the same chunks and score every one of them the same."""
    ia, ib = _by_id(a), _by_id(b)
    assert ia.keys() == ib.keys() and len(a) == len(b) == len(ia)
    for cid in ia:
        assert a.record(ia[cid]) == b.record(ib[cid])
        (sa, ja), (sb, jb) = a.locate(ia[cid]), b.locate(ib[cid])
        assert sa.vectors[ja].tolist() == sb.vectors[jb].tolist()
    ids = sorted(ia)
    pa, pb = [ia[c] for c in ids], [ib[c] for c in ids]
    for query in QUERIES:
        assert a.bm25_scores(query)[pa].tolist() == b.bm25_scores(query)[pb].tolist()
        # The same vectors; a matrix product of another shape may round the last bit otherwise.
        vector = embedder.embed([query])[0]
        assert a.similarity(vector).estimate[pa] == pytest.approx(
            b.similarity(vector).estimate[pb], abs=1e-6
        )
    terms = ["harbour", "lighthous", "toll", "council", "absent"]
    assert a.idf(terms) == b.idf(terms)
    assert a.files() == b.files() and a.newest_titles(5) == b.newest_titles(5)


@pytest.fixture
def indexer(settings: Settings, embedder: MiniLMEmbedder, seed_dir: Path) -> Indexer:
    _write_articles(seed_dir, 0)
    indexer = build_indexer(settings, embedder)
    indexer.run([seed_dir])
    return indexer


def test_an_update_equals_a_rebuild(
    indexer: Indexer, embedder: MiniLMEmbedder, seed_dir: Path, tmp_path: Path
) -> None:
    store = indexer.store
    kept = tmp_path / "kept"
    first = current_catalog(store, kept)
    for round_ in (1, 2):
        _write_articles(seed_dir, round_)
        indexer.run([seed_dir])
        updated = current_catalog(store, kept, have=first)
        # Brought up to date, not rebuilt: the first segment is still there, with chunks of
        # the changed and removed files flagged dead in it.
        assert updated.segments[0].name == first.segments[0].name
        assert len(updated.segments) == round_ + 1 and not updated.alive.all()
        rebuilt = current_catalog(store, tmp_path / f"fresh{round_}")
        assert len(rebuilt.segments) == 1 and rebuilt.alive.all()
        assert len(rebuilt) == store.count()
        assert_same(updated, rebuilt, embedder)
    assert "harbour.txt" in updated.files() and SEED_A not in updated.files()


def test_the_int8_scan_finds_exactly_the_nearest_a_float32_scan_finds(
    indexer: Indexer,
    embedder: MiniLMEmbedder,
    seed_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from index.search import similarity

    _write_articles(seed_dir, 1)  # a second segment, and chunks flagged dead in the first
    first = current_catalog(indexer.store, tmp_path / "c")
    indexer.run([seed_dir])
    catalog = current_catalog(indexer.store, tmp_path / "c", have=first)
    assert len(catalog.segments) == 2 and not catalog.alive.all()
    vectors = catalog.vectors_at(np.arange(catalog.size))
    rng = np.random.default_rng(7)
    allowed = rng.random(catalog.size) < 0.7
    for query in QUERIES:
        vector = embedder.embed([query])[0]
        truth = vectors @ vector
        monkeypatch.setattr(similarity, "INT8_SCAN_FROM", 1)
        monkeypatch.setattr(similarity, "INT8_SCAN_FROM", 1)
        found = catalog.similarity(vector)
        living = catalog.alive
        # Every estimate is within its bound of the truth, and the bounds are not vacuous.
        assert (found.margin[living] > 0).all() and (found.margin[living] < 0.1).all()
        assert (np.abs(found.estimate - truth)[living] <= found.margin[living]).all()
        for mask in (None, allowed):
            keep = living if mask is None else living & mask
            for n in (1, 5):
                nearest = found.nearest(mask, n)
                expected = np.flatnonzero(keep)[np.argsort(-truth[keep], kind="stable")][:n]
                assert list(nearest) == expected.tolist()
                assert list(nearest.values()) == pytest.approx(truth[expected].tolist(), abs=1e-6)
        # A search through the int8 codes returns what one through the float32 vectors does.
        lexical = catalog.bm25_scores(query)

        monkeypatch.setattr(similarity, "INT8_SCAN_FROM", 10**9)
        plain = _ranked(catalog, query, vector, lexical)
        monkeypatch.setattr(similarity, "INT8_SCAN_FROM", 1)
        via_codes = _ranked(catalog, query, vector, lexical)
        assert [p.chunk.id for p in via_codes] == [p.chunk.id for p in plain]
        assert [p.dense for p in via_codes] == pytest.approx([p.dense for p in plain], abs=1e-6)


def _ranked(
    catalog: ChunkCatalog, query: str, vector: np.ndarray, lexical: np.ndarray
) -> list[Passage]:
    scan = catalog.similarity(vector)
    nearest = scan.nearest(None, 5)
    config = RetrievalConfig()
    return rank(catalog, query, lexical, nearest, as_of=None, k=5, config=config, similarity=scan)


def test_a_rebuilt_collection_is_read_again_whole(
    indexer: Indexer, embedder: MiniLMEmbedder, seed_dir: Path, tmp_path: Path
) -> None:
    first = current_catalog(indexer.store, tmp_path / "c")
    indexer.run([seed_dir], rebuild=True)  # the log cannot say what a reset changed
    again = current_catalog(indexer.store, tmp_path / "c", have=first)
    assert again.segments[0].name != first.segments[0].name and len(again.segments) == 1
    assert_same(again, current_catalog(indexer.store, tmp_path / "d"), embedder)


_UPDATE = """
import sys
from pathlib import Path
from bot.factory import build_embedder, build_store
from bot.settings import Settings
from index.search.catalog_sync import current_catalog
settings = Settings()
current_catalog(build_store(settings, build_embedder(settings)), Path(sys.argv[1]))
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    return {**base, "NEWSBOT_DATA_DIR": str(data_dir), **extra}


@pytest.mark.parametrize("step", ["segment", "manifest"])
def test_a_writer_killed_midway_leaves_a_catalogue_the_next_one_repairs(
    indexer: Indexer,
    embedder: MiniLMEmbedder,
    settings: Settings,
    seed_dir: Path,
    tmp_path: Path,
    step: str,
) -> None:
    cache = tmp_path / "cache"
    store = indexer.store
    first = current_catalog(store, cache)
    _write_articles(seed_dir, 1)
    indexer.run([seed_dir])
    killed = subprocess.run(
        [sys.executable, "-c", _UPDATE, str(cache)],
        env=_env(settings.data_dir, **{CRASH_AT: step}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    folder = catalog_folder(store, cache)
    leftovers = {p.name for p in folder.iterdir()} - {"catalog.json", "update.lock"}
    assert len(leftovers) > 1  # the first segment and what the killed writer left
    # What is in place is still the catalogue before the change, whole.
    before = ChunkCatalog.open(folder)
    assert before is not None and before.version == first.version
    assert_same(before, first, embedder)

    repaired = current_catalog(store, cache)
    assert repaired.version == store.metadata["version"]
    assert_same(repaired, current_catalog(store, tmp_path / "fresh"), embedder)
    # What the dead writer left is gone: every segment there is one the catalogue uses.
    names = {p.name for p in folder.iterdir()}
    assert not any(".tmp-" in n for n in names)
    assert {n for n in names if n.startswith("seg-")} == {s.name for s in repaired.segments}


def test_a_damaged_segment_is_found_and_rebuilt(
    indexer: Indexer, embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = current_catalog(indexer.store, cache)
    texts = first.segments[0].folder / "texts.bin"
    del first
    with texts.open("r+b") as f:
        f.truncate(texts.stat().st_size // 2)  # as a disk that lost the end of a write
    repaired = current_catalog(indexer.store, cache)
    assert_same(repaired, current_catalog(indexer.store, tmp_path / "fresh"), embedder)


# A reader that opens the catalogue over and over as it stands on disk, searching it each time,
# until told to stop; it writes the last version it read to a file, and prints how many reads it
# made, the versions it saw, and its errors.
_READER = """
import sys, traceback
from pathlib import Path
import numpy as np
from index.search.catalog import ChunkCatalog
folder, stop, latest = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
reads, versions, errors = 0, [], []
while not stop.exists():
    try:
        catalog = ChunkCatalog.open(folder)
        scores = catalog.bm25_scores("harbour lighthouse repairs bridge tolls")
        vector = np.ones(catalog.segments[0].dim, dtype=np.float32)
        catalog.similarity(vector)
        for i in np.argsort(-scores)[:5]:
            record = catalog.record(int(i))
            assert record.text and record.id, record
        assert len(catalog.files()) > 0
        reads += 1
        if not versions or versions[-1] != catalog.version:
            versions.append(catalog.version)
            latest.write_text(catalog.version)
    except Exception:
        errors.append(traceback.format_exc())
print(reads, ",".join(versions), len(errors), errors[:2], flush=True)
"""


def test_two_processes_read_one_catalogue_while_a_third_updates_it(
    indexer: Indexer, settings: Settings, seed_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    store = indexer.store
    first = current_catalog(store, cache)
    folder = catalog_folder(store, cache)
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, str(folder), str(stop), str(tmp_path / f"read{n}")],
            env=_env(settings.data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    versions = [first.version]
    try:
        for round_ in (1, 2):
            _write_articles(seed_dir, round_)
            indexer.run([seed_dir])
            versions.append(current_catalog(store, cache).version)
        # Each reader goes on until it has read the last version (or it stops: a failure).
        deadline = time.monotonic() + 120
        for n, reader in enumerate(readers):
            latest = tmp_path / f"read{n}"
            while not (latest.exists() and latest.read_text() == versions[-1]):
                assert reader.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        stop.touch()
    for reader in readers:
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        reads, seen, n_errors, errors = out.split(" ", 3)
        assert int(n_errors) == 0, errors
        assert int(reads) > 0
        # Every version a reader saw is one the updater put in place, in order.
        order = [versions.index(v) for v in seen.split(",")]
        assert order == sorted(order) and order[-1] == len(versions) - 1


def test_many_updates_are_merged_into_few_segments(
    indexer: Indexer,
    embedder: MiniLMEmbedder,
    seed_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import index.search.catalog_sync

    monkeypatch.setattr(index.search.catalog_sync, "MAX_SEGMENTS", 2)
    store = indexer.store
    have = current_catalog(store, tmp_path / "kept")
    base = have.segments[0].name
    for round_ in range(1, 5):
        (seed_dir / f"extra-{round_}.txt").write_text(
            _article(f"Extra {round_}", round_, f"Extra story number {round_} about tolls.")
        )
        indexer.run([seed_dir])
        have = current_catalog(store, tmp_path / "kept", have=have)
        assert len(have.segments) <= 2 and have.segments[0].name == base
    assert_same(have, current_catalog(store, tmp_path / "fresh"), embedder)
