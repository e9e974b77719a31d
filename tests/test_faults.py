"""Faults: the Chroma server dies mid-question or mid-index, `newsbot index` is SIGKILLed.

After each fault the next run must leave exactly what a clean build leaves: same ids, documents,
metadata and count, every vector findable, and the lexical index up to date.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.indexing import _FLUSH_CHUNKS
from tests.conftest import _OUR_VARS, OPT_IN, SEEDS, run_newsbot
from tests.support.chroma_server import ChromaServer

SUMMIT_Q = "Who met at the ASEAN defence meeting?"
_NAMES = [
    "Avel",
    "Brisk",
    "Corran",
    "Dunmore",
    "Elsby",
    "Farrow",
    "Glenn",
    "Harlow",
    "Ives",
    "Jura",
]


def _article(i: int, version: int = 1) -> str:
    town = f"{_NAMES[i % 10]}{_NAMES[(i // 10) % 10].lower()}ton"
    return (
        f"{town} opens library number {i}\n\nPublished: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n\n"
        f"The council of {town} opened public library number {i} on Monday (edition {version}). "
        f"Officials said it holds {i * 137 + version} books and {i * 7} reading desks.\n"
    )


def _write_articles(folder: Path, numbers: range, version: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in numbers:
        (folder / f"lib_{i:03d}.txt").write_text(_article(i, version))


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    return {**base, **OPT_IN, **extra}


def _snapshot(collection: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    got = collection.get(include=["documents", "metadatas"])
    return {
        i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }


def _every_vector_finds_itself(collection: Any) -> bool:
    got = collection.get(include=["embeddings"])
    hits = collection.query(query_embeddings=got["embeddings"], n_results=1, include=[])
    return [h[0] for h in hits["ids"]] == list(got["ids"])


# ---------------------------------------------------------------------------- the Chroma server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A server of this module's own, since these tests stop it."""
    folder = tmp_path_factory.mktemp("fault-server")
    server = ChromaServer(folder / "db", folder / "chroma.log")
    server.start()
    yield server
    server.stop()


def _http_collection(server: ChromaServer, name: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(
        host=server.host, port=server.port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    return client.get_collection(name)


@pytest.mark.chroma_server
def test_server_stopped_during_questions_then_back(
    own_server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**own_server.env, "NEWSBOT_COLLECTION": "faults-questions"}
    assert run_newsbot("index", str(SEEDS), data_dir=tmp_path / "i", env=env).returncode == 0
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from bot.factory import build_service
    from bot.settings import Settings
    from index.errors import StoreError

    service = build_service(Settings())
    before = service.answer(SUMMIT_Q)
    outcomes: list[str] = []
    unexpected: list[str] = []
    stop = threading.Event()

    def ask_in_a_loop() -> None:
        while not stop.is_set():
            try:
                outcomes.append("answered" if service.answer(SUMMIT_Q).citations else "empty")
            except StoreError as exc:
                outcomes.append(str(exc))
            except Exception as exc:
                unexpected.append(repr(exc))

    loop = threading.Thread(target=ask_in_a_loop)
    loop.start()
    try:
        time.sleep(0.5)
        own_server.stop()  # SIGKILL while questions are being answered
        deadline = time.monotonic() + 30
        while not any("Chroma server" in o for o in outcomes) and time.monotonic() < deadline:
            time.sleep(0.1)
        down = run_newsbot("ask", SUMMIT_Q, data_dir=tmp_path / "a", env=env)
    finally:
        stop.set()
        loop.join()
        own_server.start()

    assert unexpected == []
    assert outcomes[0] == "answered"
    failures = [o for o in outcomes if o not in ("answered", "empty")]
    assert failures and "empty" not in outcomes
    assert all(f"{own_server.host}:{own_server.port}" in f and "chroma run" in f for f in failures)
    assert down.returncode == 1 and down.stderr.count("\n") == 1
    assert "Chroma server" in down.stderr and "Traceback" not in down.stderr

    # Back up: the same process answers again, exactly as before, without a restart.
    after = service.answer(SUMMIT_Q)
    assert after.text == before.text and after.citations == before.citations

    # Frozen (SIGSTOP): connections are accepted but never answered; newsbot doesn't wait forever.
    own_server.pause()
    try:
        frozen = run_newsbot("ask", SUMMIT_Q, data_dir=tmp_path / "a", env=env)
    finally:
        own_server.resume()
    assert frozen.returncode == 1 and frozen.stderr.count("\n") == 1
    assert "did not answer within" in frozen.stderr and "Traceback" not in frozen.stderr
    assert service.answer(SUMMIT_Q).citations == before.citations


@pytest.mark.chroma_server
@pytest.mark.slow
def test_server_stopped_during_indexing_then_completed(
    own_server: ChromaServer, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    # One-chunk articles enough for three writes, so that the server stops between two of them.
    _write_articles(folder, range(3 * _FLUSH_CHUNKS))
    clean_env = {**own_server.env, "NEWSBOT_COLLECTION": "faults-clean"}
    assert run_newsbot("index", str(folder), data_dir=tmp_path / "c", env=clean_env).returncode == 0

    env = _env(**own_server.env, NEWSBOT_COLLECTION="faults-index", NEWSBOT_DATA_DIR=str(tmp_path))
    indexing = subprocess.Popen(
        [sys.executable, "-m", "bot", "index", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        written = 0
        while written == 0:
            assert indexing.poll() is None, "indexing ended before the server was stopped"
            assert time.monotonic() < deadline
            try:
                written = _http_collection(own_server, "faults-index").count()
            except Exception:
                written = 0
            time.sleep(0.05)
        own_server.stop()
        out, err = indexing.communicate(timeout=120)
    finally:
        if indexing.poll() is None:
            indexing.kill()
        own_server.start()
    assert indexing.returncode == 1, out + err
    assert err.startswith("error: ") and "Chroma server" in err and "Traceback" not in err

    again = run_newsbot("index", str(folder), data_dir=tmp_path / "i", env=env)
    assert again.returncode == 0, again.stderr
    repaired = _http_collection(own_server, "faults-index")
    clean = _http_collection(own_server, "faults-clean")
    assert repaired.count() == clean.count() == 3 * _FLUSH_CHUNKS
    assert _snapshot(repaired) == _snapshot(clean)
    assert _every_vector_finds_itself(repaired)


# ------------------------------------------------------------------ SIGKILL in embedded mode

# Runs `newsbot index` with hooks that print where it is, so the test can SIGKILL it there.
_HARNESS = """
import os, signal, sys
from pathlib import Path
from bot.factory import build_indexer
from bot.settings import Settings
from index.search.store import ChunkStore

mode, folder = sys.argv[1], Path(sys.argv[2])
calls = {"delete": 0}
real_delete, real_add = ChunkStore.delete_file, ChunkStore.add_nodes

def delete_file(self, fid):
    real_delete(self, fid)
    calls["delete"] += 1
    if mode == "after-delete" and calls["delete"] == 3:
        os.kill(os.getpid(), signal.SIGKILL)

def add_nodes(self, nodes):
    if mode == "during-add" and len(nodes) > 10:
        print("ADDING", len(nodes), flush=True)
    real_add(self, nodes)

def mark_changed(self):
    os.kill(os.getpid(), signal.SIGKILL)

ChunkStore.delete_file, ChunkStore.add_nodes = delete_file, add_nodes
if mode == "before-stamp":
    ChunkStore.mark_changed = mark_changed
print("STARTED", flush=True)
build_indexer(Settings()).run([folder])
print("FINISHED", flush=True)
"""


@pytest.fixture(scope="module")
def v1_and_v2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An index of 70 articles (v1, with its lexical cache), then the folder changed to v2 in
    place: 25 changed (one of them now long), 20 added, 10 deleted; and a clean build of v2."""
    root = tmp_path_factory.mktemp("sigkill")
    folder = root / "articles"
    _write_articles(folder, range(70))
    assert run_newsbot("index", str(folder), data_dir=root / "data-v1").returncode == 0
    # A search caches v1's lexical index, which the runs below must not leave stale.
    assert run_newsbot("search", "library", data_dir=root / "data-v1").returncode == 0
    for i in range(10):
        (folder / f"lib_{i:03d}.txt").unlink()
    _write_articles(folder, range(70, 90))
    _write_articles(folder, range(20, 45), version=2)
    # One long article, so that one Chroma write is big enough to be killed in the middle of.
    long_one = folder / "lib_020.txt"
    long_one.write_text(
        long_one.read_text()
        + "".join(
            f"\nPage {p}: the reading room on floor {p} seats {p * 3} people.\n" for p in range(200)
        )
    )
    assert run_newsbot("index", str(folder), data_dir=root / "clean-v2").returncode == 0
    return {"folder": folder, "data-v1": root / "data-v1", "clean": root / "clean-v2"}


def _embedded_collection(data: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(
        path=str(data / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return client.get_collection("articles")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "kill_after"),
    [
        ("after-delete", None),  # a changed file's old chunks are gone, its new ones not yet in
        ("during-add", 0.01),  # inside the Chroma write
        ("before-stamp", None),  # every chunk written, the version stamp not
        ("anywhere", "random"),
    ],
)
def test_index_killed_part_way_is_repaired_by_the_next_run(
    v1_and_v2: dict[str, Path], tmp_path: Path, mode: str, kill_after: float | str | None
) -> None:
    data = tmp_path / "data"
    shutil.copytree(v1_and_v2["data-v1"], data)
    v2 = v1_and_v2["folder"]
    harness = subprocess.Popen(
        [sys.executable, "-c", _HARNESS, mode, str(v2)],
        env=_env(NEWSBOT_DATA_DIR=str(data)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert harness.stdout is not None
    try:
        assert harness.stdout.readline().strip() == "STARTED"
        if kill_after == "random":
            # A failure names its seed (pytest shows what the test printed), and
            # FAULT_SEED=<seed> replays the same moment.
            seed = int(os.environ.get("FAULT_SEED") or random.randrange(2**32))
            delay = random.Random(seed).uniform(0.5, 4.0)
            print(f"killing the indexer after {delay:.2f} s (FAULT_SEED={seed})")
            time.sleep(delay)
            harness.kill()
        elif kill_after is not None:
            assert harness.stdout.readline().startswith("ADDING")
            time.sleep(float(kill_after))
            harness.kill()
        harness.wait(timeout=120)
    finally:
        if harness.poll() is None:
            harness.kill()
    if mode != "anywhere":
        assert harness.returncode == -signal.SIGKILL

    repair = run_newsbot("index", str(v2), data_dir=data)
    assert repair.returncode == 0, repair.stderr

    repaired, clean = _embedded_collection(data), _embedded_collection(v1_and_v2["clean"])
    assert repaired.count() == clean.count() > 80
    assert _snapshot(repaired) == _snapshot(clean)
    assert _every_vector_finds_itself(repaired)
    # The lexical index answers from v2 too: an added article and a changed one are found.
    from bot.factory import build_service
    from bot.settings import Settings

    service = build_service(Settings(data_dir=data))
    assert service.search("library number 87", k=1)[0].file == "lib_087.txt"
    top = service.search("library number 33 edition 2", k=1)[0]
    assert top.file == "lib_033.txt" and "edition 2" in top.chunk.text


# ------------------------------------------------- SIGKILL at the writes of snapshots and state

# Runs `newsbot index` and SIGKILLs it at one write: right after a snapshot is written (its chunks
# not yet), right before the old snapshots are pruned (the new chunks in), or as the sources'
# state is saved.
_WRITE_HARNESS = """
import os, signal, sys
from pathlib import Path
from bot.factory import build_indexer
from bot.settings import Settings
from index.reading.snapshots import Snapshots
from index.reading.source_state import SourceState

mode, folder = sys.argv[1], Path(sys.argv[2])
real_save, real_prune, real_state = Snapshots.save, Snapshots.prune, SourceState.save

def save(self, fid, article):
    path = real_save(self, fid, article)
    if mode == "after-snapshot":
        os.kill(os.getpid(), signal.SIGKILL)
    return path

def prune(self, fid, keep=None):
    if mode == "before-prune" and keep is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    real_prune(self, fid, keep)

def state(self):
    if mode == "state-save":
        os.kill(os.getpid(), signal.SIGKILL)
    real_state(self)

Snapshots.save, Snapshots.prune, SourceState.save = save, prune, state
build_indexer(Settings()).run([folder])
"""


def _sources_folder(folder: Path, version: int) -> None:
    """A feed, an export and a page, each with an edition number that changes with `version`."""
    import json

    from tests.support.news_pages import STORIES, export_record, news_page, rss_feed

    folder.mkdir(parents=True, exist_ok=True)
    harbour, ferry, market = STORIES
    edition = f" (edition {version})."
    (folder / "wire.rss").write_text(
        rss_feed([ferry], full=True).replace(ferry.paragraphs[0][-1:], edition, 1)
    )
    record = export_record(market)
    record["body"] = str(record["body"]) + edition
    (folder / "cms.jsonl").write_text(json.dumps(record) + "\n")
    (folder / "page.html").write_text(news_page(harbour, 0).replace("</p>", f"{edition}</p>", 1))


# Metadata that names the data dir (a snapshot's path), which differs between two builds.
_DATA_DIR_KEYS = ("snapshot", "_node_content")


def _referenced_snapshots(data: Path) -> set[str]:
    got = _embedded_collection(data).get(include=["metadatas"])
    return {Path(m["snapshot"]).name for m in got["metadatas"] if m.get("snapshot")}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["after-snapshot", "before-prune", "state-save"])
def test_index_killed_at_a_write_leaves_no_orphan_snapshot(tmp_path: Path, mode: str) -> None:
    folder, data = tmp_path / "articles", tmp_path / "data"
    _sources_folder(folder, 1)
    assert run_newsbot("index", str(folder), data_dir=data).returncode == 0
    _sources_folder(folder, 2)
    harness = subprocess.run(
        [sys.executable, "-c", _WRITE_HARNESS, mode, str(folder)],
        env=_env(NEWSBOT_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert harness.returncode == -signal.SIGKILL, harness.stderr
    snapshots = data / "snapshots" / "articles"
    repair = run_newsbot("index", str(folder), data_dir=data)
    assert repair.returncode == 0, repair.stderr
    clean = tmp_path / "clean"
    assert run_newsbot("index", str(folder), data_dir=clean).returncode == 0
    on_disk = {p.name for p in snapshots.iterdir()}
    assert on_disk == _referenced_snapshots(data), (mode, on_disk)
    assert on_disk == {p.name for p in (clean / "snapshots" / "articles").iterdir()}
    repaired = {
        i: (d, {k: v for k, v in m.items() if k not in _DATA_DIR_KEYS})
        for i, (d, m) in _snapshot(_embedded_collection(data)).items()
    }
    fresh = {
        i: (d, {k: v for k, v in m.items() if k not in _DATA_DIR_KEYS})
        for i, (d, m) in _snapshot(_embedded_collection(clean)).items()
    }
    assert repaired == fresh
