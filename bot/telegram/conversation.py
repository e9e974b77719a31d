"""What the bot remembers of one chat: its recent turns and its last answer, nothing else."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.answer import Answer, Turn


@dataclass
class ChatState:
    """One chat's conversation (python-telegram-bot keeps one per chat in `context.chat_data`)."""

    history: list[Turn] = field(default_factory=list)
    last_answer: Answer | None = None
    # One question at a time per chat, so a follow-up sees the answer before it.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remember(self, answer: Answer, *, keep: int) -> None:
        self.last_answer = answer
        if keep <= 0:
            self.history.clear()
            return
        self.history.append(Turn(answer.question, answer.text))
        del self.history[:-keep]

    def reset(self) -> None:
        self.history.clear()
        self.last_answer = None
