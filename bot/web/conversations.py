"""The API's conversations: each a `Conversation` under a random id, owned by the token that made it.

They are bounded (the least recently used goes first when there are `limit`) and expire after `ttl`
seconds unused, so a server left running for weeks holds no more than that.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation import Conversation
from bot.web.errors import NotFound


@dataclass
class _Held:
    owner: str
    conversation: Conversation
    used: float


class Conversations:
    """`open(owner, None)` starts one; `open(owner, id)` continues it, if it is the owner's."""

    def __init__(
        self, *, limit: int = 1000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.ttl = ttl
        self.clock = clock
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, owner: str, conversation_id: str | None) -> tuple[str, Conversation]:
        """The conversation's id and its turns; NotFound for an id that is unknown, expired or
        another token's (the same answer for each, so ids can't be probed)."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            if conversation_id is None:
                return self._start(owner, now)
            held = self._held.get(conversation_id)
            if held is None or not secrets.compare_digest(held.owner, owner):
                raise NotFound(
                    "no such conversation (it may have expired): leave `conversation` out to "
                    "start a new one"
                )
            held.used = now
            self._held.move_to_end(conversation_id)
            return conversation_id, held.conversation

    def __len__(self) -> int:
        return len(self._held)

    def _start(self, owner: str, now: float) -> tuple[str, Conversation]:
        while len(self._held) >= self.limit:
            self._held.popitem(last=False)
        new_id = secrets.token_urlsafe(16)
        held = _Held(owner, Conversation(), now)
        self._held[new_id] = held
        return new_id, held.conversation

    def _expire(self, now: float) -> None:
        # Oldest first: stop at the first one still in use.
        while self._held:
            key, held = next(iter(self._held.items()))
            if now - held.used < self.ttl:
                return
            del self._held[key]
