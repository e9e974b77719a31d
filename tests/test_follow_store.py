"""The follows' SQLite store: the bookkeeping that makes each alert go out once.

A version is handled once (the compare-and-set in `record_run`), an article once per follower
(UNIQUE (user, file)), alerts and the handled version are written together or not at all, and
what is pending survives a reopen.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.follows.store import FILE_NAME, FollowStore, NewAlert

DAY = date(2025, 11, 1)


def alert(user: str, file: str, follow_id: int = 1, score: float = 0.5) -> NewAlert:
    return NewAlert(user, file, follow_id, "harbour strike", score, {"title": file})


@pytest.fixture
def store(tmp_path: Path) -> FollowStore:
    return FollowStore.in_data_dir(tmp_path / "data")


def test_the_schema_is_made_on_open_in_wal_mode(tmp_path: Path) -> None:
    FollowStore.in_data_dir(tmp_path / "data")
    db = sqlite3.connect(tmp_path / "data" / FILE_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"follows", "outbox", "state", "known_files"} <= tables
    for name in (FILE_NAME, f"{FILE_NAME}-wal", f"{FILE_NAME}-shm"):
        assert (tmp_path / "data" / name).stat().st_mode & 0o777 == 0o600, name


def test_follows_keep_their_text_day_and_vector_across_a_reopen(store: FollowStore) -> None:
    vector = np.arange(4, dtype=np.float32)
    made = store.add_follow("telegram:1", "harbour strike", made=DAY, vector=vector, limit=5)
    assert made is not None
    again = FollowStore(store.path).follows("telegram:1")
    assert [(f.id, f.text, f.made) for f in again] == [(made.id, "harbour strike", DAY)]
    assert again[0].vector is not None and again[0].vector.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert store.follows("telegram:2") == []


def test_the_limit_holds_even_for_writers_at_once(store: FollowStore) -> None:
    results: list[object] = []

    def add(n: int) -> None:
        results.append(store.add_follow("web:a", f"topic {n}", made=DAY, vector=None, limit=3))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 3
    assert len(store.follows("web:a")) == 3


def test_a_version_is_handled_once(store: FollowStore) -> None:
    assert store.handled_version() is None
    assert store.record_run(None, "v1", [], known={"f1"})
    assert store.record_run("v1", "v2", [alert("telegram:1", "a.txt")])
    # A second process that read "v1" too loses the race: nothing of it is written.
    assert not store.record_run("v1", "v2", [alert("telegram:1", "b.txt")])
    assert store.handled_version() == "v2"
    assert [r.file for r in store.pending()] == ["a.txt"]


def test_an_article_is_alerted_once_per_follower(store: FollowStore) -> None:
    store.record_run(None, "v1", [])
    store.record_run("v1", "v2", [alert("telegram:1", "a.txt"), alert("telegram:2", "a.txt")])
    store.mark_sent(r.id for r in store.pending())
    # The article changes and matches again: not again for those who had it.
    store.record_run("v2", "v3", [alert("telegram:1", "a.txt"), alert("telegram:3", "a.txt")])
    assert [r.user for r in store.pending()] == ["telegram:3"]


def test_a_failed_run_writes_neither_its_alerts_nor_its_version(store: FollowStore) -> None:
    store.record_run(None, "v1", [])
    broken = NewAlert("telegram:1", "a.txt", 1, "t", 0.5, {"not json": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        store.record_run("v1", "v2", [alert("telegram:1", "b.txt"), broken])
    assert store.handled_version() == "v1"
    assert store.pending() == []


def test_pending_alerts_survive_a_reopen_and_sent_ones_stay_sent(store: FollowStore) -> None:
    store.record_run(None, "v1", [])
    store.record_run("v1", "v2", [alert("telegram:1", "a.txt"), alert("web:x", "a.txt")])
    first, *_ = store.pending("telegram:")
    store.mark_sent([first.id])
    store.mark_sent([first.id])  # twice: still one alert sent
    reopened = FollowStore(store.path)
    assert [r.user for r in reopened.pending()] == ["web:x"]
    assert reopened.pending("telegram:") == []
    assert reopened.counts().alerts_sent == 1


def test_unfollow_drops_its_pending_alerts_and_drop_user_everything(store: FollowStore) -> None:
    a = store.add_follow("telegram:1", "harbour", made=DAY, vector=None, limit=5)
    b = store.add_follow("telegram:1", "ferry", made=DAY, vector=None, limit=5)
    store.add_follow("telegram:2", "ferry", made=DAY, vector=None, limit=5)
    assert a is not None and b is not None
    store.record_run(None, "v1", [])
    store.record_run(
        "v1", "v2", [alert("telegram:1", "a.txt", a.id), alert("telegram:1", "b.txt", b.id)]
    )
    assert not store.remove_follow("telegram:2", a.id)  # not theirs
    assert store.remove_follow("telegram:1", a.id)
    assert [r.file for r in store.pending()] == ["b.txt"]
    assert store.counts().followers == 2
    store.drop_user("telegram:1")
    assert store.pending() == [] and store.follows("telegram:1") == []
    assert (store.counts().follows, store.counts().followers) == (1, 1)


def test_known_files_are_replaced_with_the_run(store: FollowStore) -> None:
    store.record_run(None, "v1", [], known={"f1", "f2"})
    store.record_run("v1", "v2", [], known={"f2", "f3"})
    assert store.known_files() == {"f2", "f3"}
    store.record_run("v2", "v3", [])  # without `known`: kept as it was
    assert store.known_files() == {"f2", "f3"}
