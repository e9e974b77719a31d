"""Who may use the bot, who may run admin commands, and how fast one user may ask."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # not allowed: tell them once
    IGNORE = "ignore"  # not allowed and told already


@dataclass
class AccessPolicy:
    """The allowlists from the settings; with both empty, everyone may ask."""

    allowed_users: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    _refused: set[int] = field(default_factory=set)

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_users or self.allowed_chats)

    def allows(self, user_id: int | None, chat_id: int | None) -> bool:
        if not self.restricted:
            return True
        if user_id is not None and (user_id in self.allowed_users or user_id in self.admins):
            return True
        return chat_id is not None and chat_id in self.allowed_chats

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def check(self, user_id: int | None, chat_id: int | None) -> Verdict:
        """ALLOW, or REFUSE the first time someone not allowed writes and IGNORE after that."""
        if self.allows(user_id, chat_id):
            return Verdict.ALLOW
        # One refusal per person (or per chat, for messages with no sender), so that someone
        # who is not allowed cannot make the bot send a message for each one they send.
        who = user_id if user_id is not None else chat_id
        if who is None or who in self._refused:
            return Verdict.IGNORE
        self._refused.add(who)
        return Verdict.REFUSE


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_in: float = 0.0  # seconds until the user may ask again
    warn: bool = False  # the first refusal in this window: say why, then stay quiet


class QuestionRateLimiter:
    """A sliding one-minute window of questions per user; `per_minute=0` means no limit."""

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
        self._asked: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def check(self, user_id: int) -> RateDecision:
        if self.per_minute <= 0:
            return RateDecision(True)
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
