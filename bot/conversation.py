"""What a front end remembers of one chat: its recent turns and its last answer, nothing else.

The terminal chat holds one `Conversation`, the Telegram bot one per chat. Each question is asked with
the conversation's turns; the service decides how many of them a follow-up may refer to
(`history_turns`), so a conversation only has to keep as many as that can ever be.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.answer import Answer, Turn

# The most turns `history_turns` may be set to: older turns can never be used, so they are dropped.
MAX_TURNS = 50


@dataclass
class Conversation:
    """Recent turns for follow-up questions, and the last answer for /sources and /source N."""

    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))
    last: Answer | None = None

    def record(self, answer: Answer) -> None:
        """Remember `answer` as the last one, and as the newest turn."""
        self.last = answer
        self.turns.append(Turn.of(answer))

    def reset(self) -> None:
        """Forget everything: the next question starts afresh."""
        self.turns.clear()
        self.last = None
