"""The server's figures for Prometheus (`GET /metrics`): counts only, never a question's words."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.results import Answer
from bot.service import IndexStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """One registry per app, so that two servers in one process (tests) count apart."""

    def __init__(self, stats: Callable[[], IndexStats]) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "newsbot_questions", "Questions asked.", ["route"], registry=self.registry
        )
        self.refusals = Counter(
            "newsbot_refusals", "Questions the articles don't cover.", registry=self.registry
        )
        self.answers = Counter(
            "newsbot_answers", "Answers given, by mode.", ["mode"], registry=self.registry
        )
        self.errors = Counter(
            "newsbot_errors",
            "Requests that ended in an error, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "newsbot_answer_seconds",
            "Seconds from question to checked answer.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=self.registry,
        )
        self._stats = stats
        self._articles = Gauge(
            "newsbot_index_articles", "Articles indexed.", registry=self.registry
        )
        self._chunks = Gauge("newsbot_index_chunks", "Chunks indexed.", registry=self.registry)
        self._changed = Gauge(
            "newsbot_index_last_change_timestamp_seconds",
            "When the index last changed (Unix time).",
            registry=self.registry,
        )

    def answered(self, answer: Answer, seconds: float, route: str) -> None:
        self.questions.labels(route).inc()
        self.latency.observe(seconds)
        if answer.refused:
            self.refusals.inc()
        else:
            self.answers.labels(answer.mode).inc()

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def render(self) -> bytes:
        """The text format, with the index's size and age read now."""
        try:
            stats = self._stats()
        except Exception:
            self.error("MetricsStats")
        else:
            self._articles.set(stats.articles)
            self._chunks.set(stats.chunks)
            self._changed.set(stats.indexed_at.timestamp() if stats.indexed_at else 0)
        return generate_latest(self.registry)
