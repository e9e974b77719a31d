"""How fast one asker may ask: the same rule for Telegram users and API tokens."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_in: float = 0.0  # seconds until the user may ask again
    warn: bool = False  # the first refusal in this window: say why, then stay quiet


class QuestionRateLimiter:
    """A sliding one-minute window of questions per asker (a Telegram user, an API token);
    `per_minute=0` means no limit. Safe to share between threads."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._asked: dict[Hashable, deque[float]] = {}
        self._warned_until: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def check(self, user_id: Hashable) -> RateDecision:
        if self.per_minute <= 0:
            return RateDecision(True)
        with self._lock:
            return self._check(user_id)

    def _check(self, user_id: Hashable) -> RateDecision:
        now = self.clock()
        if len(self._asked) > 10_000:
            self._forget_idle(now)
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) < self.per_minute:
            asked.append(now)
            self._warned_until.pop(user_id, None)
            return RateDecision(True)
        retry_in = asked[0] + self.window - now
        warn = self._warned_until.get(user_id, 0.0) <= now
        if warn:
            self._warned_until[user_id] = now + retry_in
        return RateDecision(False, retry_in=retry_in, warn=warn)

    def _forget_idle(self, now: float) -> None:
        for user_id, asked in list(self._asked.items()):
            if not asked or asked[-1] <= now - self.window:
                del self._asked[user_id]
                self._warned_until.pop(user_id, None)
