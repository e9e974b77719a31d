"""An answer as one block of plain text with its numbered sources as a footer: the content of an
OpenAI-compatible reply, which a chat client shows as it is."""

from __future__ import annotations

from bot.results import Answer


def with_sources(answer: Answer) -> str:
    """`answer.text`, then "Sources:" and a line per citation: `[n] title (date) url`."""
    lines = [answer.text]
    if answer.notice:
        # After the text, not before it, so that a streamed reply's pieces stay its beginning.
        lines += ["", f"({answer.notice})"]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            when = f" ({c.date})" if c.date else ""
            link = f" {c.url}" if c.url else ""
            lines.append(f"[{c.n}] {c.title}{when}{link}")
    return "\n".join(lines)
