"""Following a story: follows made and removed, new index versions noticed, alerts written once
and handed to the front ends that deliver them.

Every front end calls this and holds no matching or date logic of its own. A follower is a key
that names its front end ("telegram:<user id>", "web:<token's owner>"), so the same person on two
front ends has two separate sets of follows.

How a new index version becomes alerts, exactly once (`check`):
1. read the version of the chunk catalogue; if it is the handled one, there is nothing to do. On
   the very first look there is no handled version: the current one is recorded without alerting,
   since what was indexed before anyone could follow is not news;
2. ask the collection's change log which files changed since the handled version; when it cannot
   say (too far behind, a rebuilt collection), the files the index did not hold at the handled
   version are taken instead (their ids are kept in the store), so new articles still alert and
   only changes to articles already there go unnoticed;
3. match every follow against those files only (`matching.match_new_articles`), drop articles
   published before the day their follow was made, keep one alert per follower and article;
4. write the alerts and the new handled version in one transaction, which only succeeds while the
   handled version is still the one read in 1, so a version is handled once by one process.
Delivery is separate (`pending`, `sent`): what is pending after a restart is delivered then, and
no version is matched again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.errors import FollowError
from bot.follows import matching
from bot.follows.alerts import citation_for, from_json, to_json
from bot.follows.store import Counts, FollowRow, FollowStore, NewAlert, OutboxRow
from bot.results import Citation
from index.indexing import file_id
from index.language.question_text import plain_question
from index.ranking.retrieval import Retriever

log = logging.getLogger(__name__)

TELEGRAM = "telegram:"
WEB = "web:"
MAX_TOPIC_CHARS = 200
# One run's alerts for one follower past this many come as one digest line, not a flood.
DIGEST_AFTER = 3


def telegram_follower(user_id: int) -> str:
    return f"{TELEGRAM}{user_id}"


def telegram_chat(follower: str) -> int:
    """The private chat of a Telegram follower (its user id)."""
    return int(follower.removeprefix(TELEGRAM))


def web_follower(owner: str) -> str:
    return f"{WEB}{owner}"


@dataclass(frozen=True)
class Follow:
    id: int
    topic: str
    made: date  # articles published before this day don't alert it
    added_at: datetime  # UTC


@dataclass(frozen=True)
class Alert:
    """One matching article for one follower: the citation to show, and the topic it matched."""

    id: int
    topic: str
    citation: Citation
    score: float
    sent: bool


@dataclass(frozen=True)
class Batch:
    """One follower's pending alerts from one run: the best few to send one by one, and the rest
    for a digest."""

    follower: str
    alerts: tuple[Alert, ...]
    more: tuple[Alert, ...]

    @property
    def ids(self) -> list[int]:
        return [a.id for a in (*self.alerts, *self.more)]

    def more_by_topic(self) -> dict[str, list[Alert]]:
        """The digest's alerts by the topic they matched, in the order the topics come."""
        grouped: dict[str, list[Alert]] = {}
        for alert in self.more:
            grouped.setdefault(alert.topic, []).append(alert)
        return grouped


class FollowService:
    """Follows and their alerts over one data dir's store and one collection."""

    def __init__(
        self,
        store: FollowStore,
        retriever: Retriever,
        *,
        max_follows: int = 20,
        digest_after: int = DIGEST_AFTER,
    ) -> None:
        self.store = store
        self.retriever = retriever
        self.max_follows = max_follows
        self.digest_after = digest_after

    # --- what a follower does --------------------------------------------------------------------

    def follow(self, follower: str, text: str, *, today: date) -> Follow:
        """Follow `text` (a question or a few words) from `today` on; FollowError when it has no
        words, is too long, or the follower has the most follows allowed."""
        topic = plain_question(text)
        if not any(ch.isalnum() for ch in topic):
            raise FollowError("Say what to follow in a few words, for example: harbour strike.")
        if len(topic) > MAX_TOPIC_CHARS:
            raise FollowError(
                f"That is too long to follow: say it in {MAX_TOPIC_CHARS} characters."
            )
        if len(self.store.follows(follower)) >= self.max_follows:
            raise self._full()
        if self.store.handled_version() is None:
            # The first look at the index is taken no later than the first follow, so that an
            # article indexed after it is news to it, whichever front end looks next.
            self.check()
        vector = matching.topic_vector(self.retriever, topic)
        row = self.store.add_follow(
            follower, topic, made=today, vector=vector, limit=self.max_follows
        )
        if row is None:  # another request took the last place meanwhile
            raise self._full()
        return _follow(row)

    def _full(self) -> FollowError:
        return FollowError(
            f"You follow {self.max_follows} topics, the most allowed: unfollow one first."
        )

    def following(self, follower: str) -> list[Follow]:
        """The follower's follows, oldest first (the order they are numbered in)."""
        return [_follow(row) for row in self.store.follows(follower)]

    def unfollow(self, follower: str, follow_id: int) -> bool:
        """Stop the follow with this id; its alerts not yet sent are dropped. False: no such
        follow of this follower's."""
        return self.store.remove_follow(follower, follow_id)

    def unfollow_nth(self, follower: str, n: int) -> Follow | None:
        """Stop the follower's `n`-th follow (1 is the oldest); None when there is no such."""
        follows = self.following(follower)
        if not 1 <= n <= len(follows):
            return None
        chosen = follows[n - 1]
        return chosen if self.unfollow(follower, chosen.id) else None

    def alerts(self, follower: str, limit: int = 50) -> list[Alert]:
        """The follower's alerts, newest first; those not yet sent count as sent from now (a
        front end that shows them on request, like the HTTP API, delivers them so)."""
        rows = self.store.alerts(follower, limit)
        self.store.mark_sent(r.id for r in rows if r.sent_at is None)
        return [_alert(r) for r in rows]

    def drop(self, follower: str) -> None:
        """Forget a follower who can no longer be reached, with all their follows."""
        self.store.drop_user(follower)

    def counts(self, prefix: str = "") -> Counts:
        return self.store.counts(prefix)

    # --- noticing new articles -------------------------------------------------------------------

    def check(self) -> int:
        """Match the follows against what changed in the index since the handled version, and
        write the alerts; how many the run found (an article a follower had already is not
        written again), 0 when there was nothing new or another process handled this version
        first. Blocking: run it off an event loop."""
        catalog = self.retriever.catalog
        version = catalog.version
        since = self.store.handled_version()
        if since == version:
            return 0
        names = {file_id(name): name for name in catalog.files()}
        current = set(names)
        if since is None:
            self.store.record_run(None, version, [], known=current)
            log.info("follows: starting from index version %s", version)
            return 0
        changed = self.retriever.store.changed_files(since, self.retriever.store.metadata)
        if changed is None:
            changed = current - self.store.known_files()
            log.warning(
                "follows: the index's change log does not reach back to version %s; matching "
                "the %d articles that are new since then (changed ones are not matched)",
                since,
                len(changed),
            )
        # The change log names files by id; matching, like the catalogue, by name.
        alerts = self._alerts({names[fid] for fid in changed & current})
        if not self.store.record_run(since, version, alerts, known=current):
            return 0
        return len(alerts)

    def _alerts(self, files: set[str]) -> list[NewAlert]:
        """One alert per follower and article among `files`, of its best match; none for an
        article published before the day its follow was made (undated ones are new)."""
        follows = {row.id: row for row in self.store.follows()}
        if not files or not follows:
            return []
        topics = [matching.Topic(r.id, r.text, r.vector) for r in follows.values()]
        found = matching.match_new_articles(self.retriever, topics, files)
        alerts: dict[tuple[str, str], NewAlert] = {}
        for match in sorted(found, key=lambda m: -m.score):
            row = follows[match.key]
            published = match.passage.published
            key = (row.user, match.passage.file)
            if (published is not None and published < row.made) or key in alerts:
                continue
            citation = citation_for(match.passage.chunk, row.text, match.score)
            alerts[key] = NewAlert(
                row.user, match.passage.file, row.id, row.text, match.score, to_json(citation)
            )
        return list(alerts.values())

    # --- delivery --------------------------------------------------------------------------------

    def pending(self, prefix: str) -> list[Batch]:
        """The alerts not yet sent to the followers whose key starts with `prefix`, a batch per
        follower and run, best first."""
        batches: dict[tuple[str, int], list[OutboxRow]] = {}
        for row in self.store.pending(prefix):
            batches.setdefault((row.user, row.run), []).append(row)
        result = []
        for (user, _), rows in batches.items():
            alerts = [_alert(r) for r in sorted(rows, key=lambda r: -r.score)]
            n = self.digest_after
            result.append(Batch(user, tuple(alerts[:n]), tuple(alerts[n:])))
        return result

    def sent(self, ids: Iterable[int]) -> None:
        """Mark alerts delivered: they are never delivered again."""
        self.store.mark_sent(ids)


def _follow(row: FollowRow) -> Follow:
    return Follow(row.id, row.text, row.made, datetime.fromtimestamp(row.added_at, UTC))


def _alert(row: OutboxRow) -> Alert:
    return Alert(row.id, row.topic, from_json(row.alert), row.score, row.sent_at is not None)
