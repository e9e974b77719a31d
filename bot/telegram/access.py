"""Who may use the bot and who may run admin commands (how fast one may ask: bot/rate_limit.py)."""

from __future__ import annotations

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
