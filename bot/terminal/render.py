"""Plain-text rendering of an answer, for the command line and pipes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.results import Answer, Citation

# Characters of context shown on each side of a cited span, at most.
CONTEXT_CHARS = 160

# What a terminal would obey rather than show: escape sequences (CSI such as "ESC[2J", which
# clears the screen; OSC such as "ESC]0;title BEL", which sets the window title; the 8-bit forms
# of both) and every other C0 or C1 control character but newline and tab.
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def printable(text: str) -> str:
    """`text` without anything a terminal would act on: what article text goes through before it
    is printed, by `ask`, `search` and the chat, plain or rich."""
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Excerpt:
    """A cited span with the text around it, as three pieces so a renderer can mark the middle."""

    before: str
    quote: str
    after: str


def passage_of(answer: Answer, citation: Citation) -> Excerpt:
    """The whole passage behind a citation, as it is in the file (the quote alone if not kept)."""
    chunk = answer.quoted_chunk(citation)
    if chunk is None:
        return Excerpt("", citation.quote, "")
    text, start = chunk.text, chunk.start
    return Excerpt(text[: citation.start - start], citation.quote, text[citation.end - start :])


def excerpt_of(answer: Answer, citation: Citation) -> Excerpt:
    """The cited span within its sentence; a quote that is whole sentences gets their neighbours.

    Whitespace is folded to single spaces, and long context is cut at a word with an ellipsis.
    """
    sentences = _sentences_of(answer, citation.file)
    first = next((i for i, (a, b, _) in enumerate(sentences) if a <= citation.start < b), None)
    last = next((i for i, (a, b, _) in enumerate(sentences) if a < citation.end <= b), None)
    quote = " ".join(citation.quote.split())
    if first is None or last is None:
        return Excerpt("", quote, "")
    a, _, text = sentences[first]
    before = text[: citation.start - a]
    a, _, text = sentences[last]
    after = text[citation.end - a :]
    if not before.strip() and not after.strip():
        # Sentences of one file are contiguous when only whitespace lies between them.
        if first > 0 and sentences[first][0] - sentences[first - 1][1] <= _SENTENCE_GAP:
            before = sentences[first - 1][2] + " "
        if (
            last + 1 < len(sentences)
            and sentences[last + 1][0] - sentences[last][1] <= _SENTENCE_GAP
        ):
            after = " " + sentences[last + 1][2]
    if len(before) > CONTEXT_CHARS:
        before = "…" + before[-CONTEXT_CHARS:].split(None, 1)[-1]
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS].rsplit(None, 1)[0] + "…"
    return Excerpt(_fold(before, keep_end=True), quote, _fold(after))


_SENTENCE_GAP = 4


def _sentences_of(answer: Answer, file: str) -> list[tuple[int, int, str]]:
    """Every sentence of `file` among the answer's passages: (start, end, text), in file order."""
    found: dict[tuple[int, int], str] = {}
    for chunk in answer.chunks_of(file):
        for a, b in chunk.sentences:
            found[(a, b)] = chunk.text_at(a, b)
    return [(a, b, text) for (a, b), text in sorted(found.items())]


def _fold(text: str, *, keep_end: bool = False) -> str:
    """Whitespace folded to single spaces, keeping one at the edge that touches the quote."""
    folded = " ".join(text.split())
    if not folded:
        return ""
    if keep_end and text[-1:].isspace():
        return folded + " "
    if not keep_end and text[:1].isspace():
        return " " + folded
    return folded


def sources_with_quotes(answer: Answer) -> str:
    """Each citation's file line and its quote: what `ask --source-only` prints."""
    blocks = []
    for c, line in zip(answer.citations, sources_lines(answer), strict=True):
        also = f"\n    also in: {', '.join(c.also_in)}" if c.also_in else ""
        blocks.append(f"{line}\n    “{' '.join(c.quote.split())}”{also}")
    return "\n".join(blocks)


def sources_lines(answer: Answer) -> list[str]:
    """Each citation's line (its file, title and date), with its link on a line below if it has one."""
    lines = []
    for c in answer.citations:
        when = f" ({c.date})" if c.date else ""
        lines.append(f"[{c.n}] {c.file} — {c.title}{when}{link_line(c.url)}")
    return lines


def link_line(url: str | None) -> str:
    """The line that gives an article's address, under its source line; "" when it has none."""
    return f"\n    {url}" if url else ""


def answer_as_text(answer: Answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    if answer.citations:
        lines += ["", "Sources:", *sources_lines(answer)]
    elif answer.refused and answer.closest:
        lines += ["", "Closest articles:"]
        lines += [
            f"- {s.file} — {s.title}" + (f" ({s.date})" if s.date else "") + link_line(s.url)
            for s in answer.closest
        ]
    return "\n".join(lines)
