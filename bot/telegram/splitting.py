"""Cutting a Telegram HTML message into pieces that each fit Telegram's length limit.

Cuts fall at a paragraph, line, sentence or word boundary (in that order of preference), never
inside a tag, an entity such as `&amp;`, a citation marker `[n]` or an element, so every piece is
valid HTML on its own and joining the pieces gives the message back unchanged.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

MESSAGE_LIMIT = 4096

_ATOM = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|\[\d+\]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),  # a paragraph
    re.compile(r"\n\s*"),  # a line
    # a sentence: its closing quote, tags and citation markers stay with it
    re.compile(r"[.!?…](?:[\"”’»)]|&quot;|</[a-z-]+>)*(?:[ \t]*\[\d+\])*\s+"),
    re.compile(r"\s+"),  # a word
)


def utf16_len(text: str) -> int:
    """Telegram counts length in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_html(html: str, limit: int = MESSAGE_LIMIT, *, keep_from: int | None = None) -> list[str]:
    """`html` cut into pieces of at most `limit` UTF-16 units each.

    `html[keep_from:]` (a footer) stays in one piece when it fits in one. Only an element longer
    than `limit` is cut inside; it is then closed at the cut and opened again in the next piece.
    """
    if limit < 64:
        raise ValueError("limit must be at least 64")
    if utf16_len(html) <= limit:
        return [html]
    return _Splitter(html, limit, keep_from).pieces()


class _Splitter:
    def __init__(self, html: str, limit: int, keep_from: int | None) -> None:
        self.html = html
        self.limit = limit
        n = len(html)
        self.units = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in html)]
        self.inside_atom = [False] * (n + 1)
        self.depth = [0] * (n + 1)
        # (position, open tags there) after each tag, to close and reopen an over-long element
        self.stacks: list[tuple[int, tuple[str, ...]]] = [(0, ())]
        self._scan()
        keep = keep_from if keep_from is not None and self._fits(keep_from, n) else n
        ok = [not self.inside_atom[p] and self.depth[p] == 0 and p <= keep for p in range(n + 1)]
        self.ok = ok
        self.levels = [
            sorted({m.end() for m in pattern.finditer(html) if 0 < m.end() < n and ok[m.end()]})
            for pattern in _BOUNDARIES
        ]
        self.levels.append([p for p in range(1, n) if ok[p]])

    def _scan(self) -> None:
        stack: list[tuple[str, str]] = []  # (name, opening tag as written)
        last = 0
        for m in _ATOM.finditer(self.html):
            for p in range(last, m.start() + 1):
                self.depth[p] = len(stack)
            for p in range(m.start() + 1, m.end()):
                self.inside_atom[p] = True
                self.depth[p] = len(stack)
            atom = m.group()
            if atom.startswith("<") and (name := _tag_name(atom)):
                if atom.startswith("</"):
                    for i in range(len(stack) - 1, -1, -1):
                        if stack[i][0] == name:
                            del stack[i:]
                            break
                elif not atom.endswith("/>"):
                    stack.append((name, atom))
                self.stacks.append((m.end(), tuple(tag for _, tag in stack)))
            last = m.end()
        for p in range(last, len(self.html) + 1):
            self.depth[p] = len(stack)

    def _fits(self, start: int, end: int, extra: int = 0) -> bool:
        return self.units[end] - self.units[start] + extra <= self.limit

    def pieces(self) -> list[str]:
        html, n = self.html, len(self.html)
        out: list[str] = []
        start, prefix = 0, ""
        while not self._fits(start, n, utf16_len(prefix)):
            budget = self.limit - utf16_len(prefix)
            end_max = bisect_right(self.units, self.units[start] + budget) - 1
            cut = self._best_cut(start, end_max, budget)
            if cut is not None:
                out.append(prefix + html[start:cut])
                start, prefix = cut, ""
                continue
            cut, opened = self._forced_cut(start, end_max, prefix)
            closing = "".join(f"</{_tag_name(tag)}>" for tag in reversed(opened))
            out.append(prefix + html[start:cut] + closing)
            start, prefix = cut, "".join(opened)
        out.append(prefix + html[start:])
        return out

    def _best_cut(self, start: int, end_max: int, budget: int) -> int | None:
        """The last boundary of the most preferred kind that fills at least half the piece."""
        half = self.units[start] + budget // 2
        fallback = None
        for cuts in self.levels:
            i = bisect_right(cuts, end_max) - 1
            if i >= 0 and cuts[i] > start:
                if self.units[cuts[i]] >= half:
                    return cuts[i]
                fallback = max(fallback or 0, cuts[i])
        return fallback

    def _forced_cut(self, start: int, end_max: int, prefix: str) -> tuple[int, tuple[str, ...]]:
        """A cut inside an element that is longer than a whole piece, after a space if one is near."""
        fits: list[tuple[int, tuple[str, ...]]] = []
        for p in range(end_max, start, -1):
            if self.inside_atom[p]:
                continue
            opened = self.stacks[bisect_right(self.stacks, (p, (chr(0x10FFFF),))) - 1][1]
            closing = sum(len(_tag_name(tag)) + 3 for tag in opened)
            if not self._fits(start, p, utf16_len(prefix) + closing):
                continue
            fits.append((p, opened))
            if self.html[p - 1].isspace():
                return p, opened
            if len(fits) > (end_max - start) // 2:
                break
        if fits:
            return fits[0]
        # Not even one character fits beside the tags to reopen: drop them rather than loop.
        p = next(q for q in range(start + 1, len(self.html) + 1) if not self.inside_atom[q])
        return p, ()


def _tag_name(tag: str) -> str:
    m = _TAG_NAME.match(tag)
    return m.group(1).lower() if m else ""
