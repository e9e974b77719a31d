"""Follows, their alerts and the index version last handled, in `<data_dir>/follows.sqlite3`.

Several processes may share the file (a bot and a server, or a bot restarted): SQLite in WAL mode,
a connection per call, and every change in one transaction. The outbox holds each alert once per
follower and article (UNIQUE (user, file)), so an article is never written twice for one follower,
and `record_run` writes a run's alerts together with the version it handled: either both are
there or neither, and a version handled once (by any process) is never handled again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.reading.private import FILE_MODE, private_dir

FILE_NAME = "follows.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    text TEXT NOT NULL,
    made TEXT NOT NULL,        -- the day it was made (ISO): older articles are not news to it
    added_at REAL NOT NULL,    -- Unix time, to show when
    vector BLOB                -- the topic's embedding (float32), when known
);
CREATE INDEX IF NOT EXISTS follows_by_user ON follows (user, id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    file TEXT NOT NULL,
    follow_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    run INTEGER NOT NULL,      -- the run that matched it: one run's alerts are delivered together
    score REAL NOT NULL,
    alert TEXT NOT NULL,       -- JSON: what the follower is shown
    sent_at REAL,              -- NULL while pending
    UNIQUE (user, file)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_at, user, run);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS known_files (file_id TEXT PRIMARY KEY);
"""
_HANDLED = "handled_version"
_RUNS = "runs"


@dataclass(frozen=True)
class FollowRow:
    id: int
    user: str
    text: str
    made: date
    added_at: float
    vector: npt.NDArray[np.float32] | None


@dataclass(frozen=True)
class NewAlert:
    """An alert a run writes: `alert` is its JSON-able content."""

    user: str
    file: str
    follow_id: int
    topic: str
    score: float
    alert: dict[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    user: str
    file: str
    follow_id: int
    topic: str
    run: int
    score: float
    alert: dict[str, Any]
    sent_at: float | None


@dataclass(frozen=True)
class Counts:
    follows: int
    followers: int
    alerts_sent: int


class FollowStore:
    """The SQLite file of one data dir; the schema is created when it is opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        # Topics and who follows them are the users' own: readable by the owner alone, as SQLite
        # gives its -wal and -shm files the database file's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FollowStore:
        return cls(data_dir / FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at its start so that two writers queue, not deadlock."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- follows ---------------------------------------------------------------------------------

    def add_follow(
        self,
        user: str,
        text: str,
        *,
        made: date,
        vector: npt.NDArray[np.float32] | None,
        limit: int,
    ) -> FollowRow | None:
        """The new follow, or None when `user` has `limit` follows already."""
        added_at = time.time()
        blob = np.asarray(vector, dtype=np.float32).tobytes() if vector is not None else None
        with self._transaction() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM follows WHERE user = ?", (user,)).fetchone()
            if count >= limit:
                return None
            cursor = db.execute(
                "INSERT INTO follows (user, text, made, added_at, vector) VALUES (?, ?, ?, ?, ?)",
                (user, text, made.isoformat(), added_at, blob),
            )
        assert cursor.lastrowid is not None
        return FollowRow(cursor.lastrowid, user, text, made, added_at, vector)

    def follows(self, user: str | None = None) -> list[FollowRow]:
        """`user`'s follows (everyone's with None), oldest first."""
        query = "SELECT id, user, text, made, added_at, vector FROM follows"
        args: tuple[str, ...] = ()
        if user is not None:
            query, args = query + " WHERE user = ?", (user,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [_follow(row) for row in rows]

    def remove_follow(self, user: str, follow_id: int) -> bool:
        """Remove one of `user`'s follows and its alerts not yet sent; False if there is none."""
        with self._transaction() as db:
            gone = db.execute(
                "DELETE FROM follows WHERE id = ? AND user = ?", (follow_id, user)
            ).rowcount
            db.execute(
                "DELETE FROM outbox WHERE follow_id = ? AND user = ? AND sent_at IS NULL",
                (follow_id, user),
            )
        return bool(gone)

    def drop_user(self, user: str) -> None:
        """Forget a follower: their follows and their alerts, sent or not."""
        with self._transaction() as db:
            db.execute("DELETE FROM follows WHERE user = ?", (user,))
            db.execute("DELETE FROM outbox WHERE user = ?", (user,))

    # --- runs ----------------------------------------------------------------------------------

    def handled_version(self) -> str | None:
        """The index version whose changes were last matched; None before the first run."""
        with self._connect() as db:
            row = db.execute("SELECT value FROM state WHERE key = ?", (_HANDLED,)).fetchone()
        return str(row[0]) if row else None

    def known_files(self) -> set[str]:
        """The ids of the files the index held at the handled version."""
        with self._connect() as db:
            return {str(r[0]) for r in db.execute("SELECT file_id FROM known_files")}

    def record_run(
        self,
        since: str | None,
        version: str,
        alerts: Sequence[NewAlert],
        *,
        known: Iterable[str] | None = None,
    ) -> bool:
        """Write a run's alerts and `version` as handled, in one transaction, if the handled
        version is still `since`; False (and nothing written) when another process got there
        first. An alert for an article its follower had already is left out. `known`, when
        given, replaces the set of known file ids."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM state WHERE key = ?", (_HANDLED,)).fetchone()
            if (str(row[0]) if row else None) != since:
                return False
            run = _next_run(db)
            db.executemany(
                "INSERT OR IGNORE INTO outbox (user, file, follow_id, topic, run, score, alert) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.user, a.file, a.follow_id, a.topic, run, a.score, json.dumps(a.alert))
                    for a in alerts
                ],
            )
            db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (_HANDLED, version))
            if known is not None:
                db.execute("DELETE FROM known_files")
                db.executemany("INSERT INTO known_files VALUES (?)", [(f,) for f in known])
        return True

    # --- the outbox ------------------------------------------------------------------------------

    def pending(self, prefix: str = "") -> list[OutboxRow]:
        """Alerts not yet sent, of the users whose key starts with `prefix`, in run order."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_OUTBOX} FROM outbox WHERE sent_at IS NULL AND instr(user, ?) = 1 "
                "ORDER BY run, user, score DESC, id",
                (prefix,),
            ).fetchall()
        return [_outbox(row) for row in rows]

    def alerts(self, user: str, limit: int = 50) -> list[OutboxRow]:
        """`user`'s alerts, sent or not, newest first."""
        with self._connect() as db:
            rows = db.execute(
                f"SELECT {_OUTBOX} FROM outbox WHERE user = ? ORDER BY id DESC LIMIT ?",
                (user, limit),
            ).fetchall()
        return [_outbox(row) for row in rows]

    def mark_sent(self, ids: Iterable[int]) -> None:
        now = time.time()
        with self._transaction() as db:
            db.executemany(
                "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                [(now, i) for i in ids],
            )

    def counts(self, prefix: str = "") -> Counts:
        """Follows, followers and alerts sent, of the users whose key starts with `prefix`."""
        like = (prefix,)
        with self._connect() as db:
            follows, followers = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT user) FROM follows WHERE instr(user, ?) = 1", like
            ).fetchone()
            (sent,) = db.execute(
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND instr(user, ?) = 1", like
            ).fetchone()
        return Counts(follows=follows, followers=followers, alerts_sent=sent)


_OUTBOX = "id, user, file, follow_id, topic, run, score, alert, sent_at"


def _next_run(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM state WHERE key = ?", (_RUNS,)).fetchone()
    run = int(row[0]) + 1 if row else 1
    db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (_RUNS, str(run)))
    return run


def _follow(row: tuple[Any, ...]) -> FollowRow:
    fid, user, text, made, added_at, blob = row
    vector = np.frombuffer(blob, dtype=np.float32).copy() if blob is not None else None
    return FollowRow(fid, user, text, date.fromisoformat(made), added_at, vector)


def _outbox(row: tuple[Any, ...]) -> OutboxRow:
    oid, user, file, follow_id, topic, run, score, alert, sent_at = row
    return OutboxRow(oid, user, file, follow_id, topic, run, score, json.loads(alert), sent_at)
