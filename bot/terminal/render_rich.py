"""Rich rendering of an answer for a terminal: citation markers, sources, quotes marked in context."""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from bot.results import SHORT_ANSWER_SEP, Answer, Citation
from bot.terminal.render import Excerpt, excerpt_of, passage_of, printable

MARKER = "bold cyan"
QUOTE = "bold yellow"
SHORT = "bold"
CONTEXT = "dim"
_MARKERS = re.compile(r"\[\d+\]")


def answer_text(text: str) -> Text:
    """The answer's text with its citation markers stand out."""
    styled = Text(printable(text))
    styled.highlight_regex(_MARKERS, MARKER)
    return styled


def answer_view(answer: Answer) -> RenderableType:
    """The answer, then its sources with their quotes (or, if refused, the closest articles)."""
    parts: list[RenderableType] = []
    if answer.notice:
        parts.append(Text(printable(f"({answer.notice})"), style="italic yellow"))
    if answer.refused:
        parts.append(Text(printable(answer.text), style="yellow"))
        if answer.closest:
            parts.append(Text("\nClosest articles:", style="bold"))
            for s in answer.closest:
                line = (
                    Text("• ")
                    .append(printable(s.file), style="bold")
                    .append(printable(f" — {s.title}"))
                )
                if s.date:
                    line.append(printable(f" ({s.date})"), style=CONTEXT)
                parts.append(line)
                if s.url:
                    parts.append(Padding(link(s.url), (0, 0, 0, 2)))
        return Group(*parts)
    if answer.short_answer is not None:
        parts.append(
            Text(printable(answer.short_answer.text), style=SHORT)
            .append(SHORT_ANSWER_SEP)
            .append_text(answer_text(answer.rest))
        )
    elif (differs := answer.differs) is not None:
        parts.append(Text(printable(differs[0]), style=SHORT).append_text(answer_text(differs[1])))
    else:
        parts.append(answer_text(answer.text))
    if answer.verified is not None:
        v = answer.verified
        parts.append(
            Text(f"checked: {v.supported} of {v.sentences} sentences match their quotes", CONTEXT)
        )
    if answer.citations:
        parts += [Text(""), sources_view(answer)]
    return Group(*parts)


def sources_view(answer: Answer) -> RenderableType:
    """Each citation: its file, title and date, and the quote marked within its sentence."""
    rows: list[RenderableType] = [Text("Sources", style="bold underline")]
    short = answer.short_answer
    for c in answer.citations:
        rows.append(citation_line(c))
        if c.url:
            rows.append(Padding(link(c.url), (0, 0, 0, 4)))
        excerpt = excerpt_text(excerpt_of(answer, c))
        if short is not None and short.n == c.n:
            # The fact asked for, marked inside its quote.
            excerpt.highlight_words([printable(short.text)], SHORT + " underline")
        rows.append(Padding(excerpt, (0, 0, 0, 4)))
        if c.also_in:
            also = printable(f"also in: {', '.join(c.also_in)}")
            rows.append(Padding(Text(also, CONTEXT), (0, 0, 0, 4)))
    return Group(*rows)


def source_view(answer: Answer, citation: Citation) -> RenderableType:
    """The whole passage behind a citation, with the quoted span marked, framed by its file."""
    passage = excerpt_text(passage_of(answer, citation), context_style="")
    body: RenderableType = Group(link(citation.url), Text(""), passage) if citation.url else passage
    title = Text(f"[{citation.n}] ", style=MARKER).append(printable(citation.file), style="bold")
    subtitle = f"{citation.title}" + (f" · {citation.date}" if citation.date else "")
    subtitle += f" · characters {citation.start}–{citation.end}"
    if citation.snapshot:
        subtitle += f" of {citation.snapshot}"
    return Panel(
        body, title=title, title_align="left", subtitle=printable(subtitle), subtitle_align="left"
    )


def link(url: str) -> Text:
    """An article's address, as a link the terminal can open."""
    url = printable(url)
    return Text(url, style=f"underline link {url}")


def citation_line(c: Citation) -> Text:
    line = (
        Text(f"[{c.n}] ", style=MARKER)
        .append(printable(c.file), style="bold")
        .append(printable(f" — {c.title}"))
    )
    if c.date:
        line.append(printable(f" ({c.date})"), style=CONTEXT)
    return line


def excerpt_text(excerpt: Excerpt, *, context_style: str = CONTEXT) -> Text:
    return (
        Text(printable(excerpt.before), style=context_style)
        .append(printable(excerpt.quote), style=QUOTE)
        .append(printable(excerpt.after), style=context_style)
    )
