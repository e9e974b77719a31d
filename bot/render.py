"""Plain-text rendering of an answer, for the command line and pipes."""

from __future__ import annotations

from bot.answer import Answer


def sources_lines(answer: Answer) -> list[str]:
    lines = []
    for c in answer.citations:
        when = f" ({c.date})" if c.date else ""
        lines.append(f"[{c.n}] {c.file} — {c.title}{when}")
    return lines


def answer_as_text(answer: Answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    if answer.citations:
        lines += ["", "Sources:", *sources_lines(answer)]
    elif answer.refused and answer.closest:
        lines += ["", "Closest articles:"]
        lines += [
            f"- {s.file} — {s.title}" + (f" ({s.date})" if s.date else "") for s in answer.closest
        ]
    return "\n".join(lines)
