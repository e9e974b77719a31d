"""Telegram HTML for answers and command replies; every piece of article and user text is escaped.

Telegram's HTML mode knows a handful of tags and entities, so anything an article or a user wrote
(`<`, `>`, `&`, a fake `<a href>`) goes through `escape` and shows as the text it is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.results import SHORT_ANSWER_SEP, Answer, Citation, quoted_chunk
from bot.service import IndexStats
from bot.telegram.splitting import MESSAGE_LIMIT, split_html
from index.reading.articles import web_url

if TYPE_CHECKING:
    from index.ranking.retrieval import Passage


def escape(text: str) -> str:
    return html.escape(text, quote=False)


# Longest link tag kept: a link comes from feed and page metadata, and one longer than a message
# could only be cut, which Telegram refuses. A longer one leaves its title as plain text.
MAX_LINK_CHARS = 2048


def linked(title: str, url: str | None) -> str:
    """The title, escaped, as a link to the article when it has an http(s) address that fits."""
    address = web_url(url)
    if address is None:
        return escape(title)
    href = html.escape(address, quote=True)
    if len(href) > MAX_LINK_CHARS:
        return escape(title)
    return f'<a href="{href}">{escape(title)}</a>'


def _dated(file: str, date: str | None) -> str:
    return f"{escape(file)} ({escape(date)})" if date else escape(file)


def source_line(c: Citation) -> str:
    """`[n] title — file (date)`, with the other files that carry the same sentence."""
    line = f"[{c.n}] {linked(c.title, c.url)} — {_dated(c.file, c.date)}"
    if c.also_in:
        line += f", also in {escape(', '.join(c.also_in))}"
    return line


def citation_block(c: Citation) -> str:
    """A source line in bold with its quote below it: /sources, and an alert for a follow."""
    return f"<b>{source_line(c)}</b>\n<blockquote>{escape(c.quote)}</blockquote>"


def answer_parts(answer: Answer) -> tuple[str, str]:
    """The answer's body and its sources footer, as HTML."""
    body = escape(answer.text)
    if answer.short_answer is not None:
        body = f"<b>{escape(answer.short_answer.text)}</b>{SHORT_ANSWER_SEP}{escape(answer.rest)}"
    elif (differs := answer.differs) is not None:
        body = f"<b>{escape(differs[0])}</b>{escape(differs[1])}"
    if answer.notice:
        body = f"<i>{escape(answer.notice)}</i>\n\n{body}"
    if answer.citations:
        footer = "\n\n<b>Sources</b>\n" + "\n".join(source_line(c) for c in answer.citations)
    elif answer.refused and answer.closest:
        footer = "\n\n<b>Closest articles</b>\n" + "\n".join(
            f"• {linked(s.title, s.url)} — {_dated(s.file, s.date)}" for s in answer.closest
        )
    else:
        footer = ""
    return body, footer


def answer_messages(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The answer as one or more messages; the sources footer stays whole in the last one."""
    body, footer = answer_parts(answer)
    return split_html(body + footer, limit, keep_from=len(body))


def draft_html(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The answer so far, while it is still being written."""
    return split_html(escape(text), limit - 2)[0] + " …"


def sources_html(answer: Answer | None) -> str:
    """/sources: each source of the last answer with the sentence it was quoted for."""
    if answer is None:
        return "No answer in this chat yet: ask a question first."
    if not answer.citations:
        if answer.closest:
            return "The last answer had no sources; the closest articles were:\n" + "\n".join(
                f"• {linked(s.title, s.url)} — {_dated(s.file, s.date)}" for s in answer.closest
            )
        return "The last answer had no sources."
    blocks = [citation_block(c) for c in answer.citations]
    return "\n\n".join(blocks) + "\n\n<i>/source N shows the whole passage behind [N].</i>"


def passage_html(citation: Citation, passages: Sequence[Passage]) -> str:
    """/source N: the passage the citation's sentence came from, with that sentence in bold."""
    head = f"<b>[{citation.n}] {linked(citation.title, citation.url)}</b>\n"
    head += _dated(citation.file, citation.date)
    head += f", characters {citation.start}–{citation.end}"
    chunk = quoted_chunk(citation, passages)
    if chunk is None:
        return f"{head}\n<blockquote>{escape(citation.quote)}</blockquote>"
    text = chunk.text
    a, b = citation.start - chunk.start, citation.end - chunk.start
    body = f"{escape(text[:a])}<b>{escape(text[a:b])}</b>{escape(text[b:])}"
    return f"{head}\n<blockquote>{body}</blockquote>"


def help_html(
    stats: IndexStats | None, examples: Sequence[str], *, bot_name: str, admin: bool
) -> str:
    """/start and /help: what the bot does, how to ask, and questions to try."""
    if stats is None or stats.articles == 0:
        scope = "the news articles indexed for it (none yet: an admin can run /reindex)"
    else:
        scope = f"{stats.articles} news articles"
    lines = [
        f"I answer questions about {scope}, quoting the articles and citing each quote as [n].",
        "",
        "Ask in plain words; follow-up questions work. In a group, mention "
        f"@{escape(bot_name)} or reply to one of my answers.",
    ]
    if examples:
        lines += ["", "<b>Try asking</b>", *(f"• {escape(q)}" for q in examples)]
    lines += [
        "",
        "<b>Commands</b>",
        "/sources: the last answer's sources and their quotes",
        "/source N: the whole passage behind citation [N]",
        "/reset: forget this chat's conversation",
        "/follow TOPIC: be sent each new article about a topic (/following, /unfollow N)",
    ]
    if admin:
        lines += ["/stats: what is indexed", "/reindex: index new and changed articles"]
    return "\n".join(lines)


def stats_html(stats: IndexStats) -> str:
    indexed = stats.indexed_at.strftime("%Y-%m-%d %H:%M") if stats.indexed_at else "unknown"
    return "\n".join(
        [
            "<b>Index</b>",
            f"Articles: {stats.articles}",
            f"Chunks: {stats.chunks}",
            f"Newest article: {escape(_newest(stats))}",
            f"Last indexed: {indexed}",
            f"Embedding model: {escape(stats.embed_model)}",
            f"Answers: {escape(stats.answerer)}",
        ]
    )


def _newest(stats: IndexStats) -> str:
    if not stats.newest:
        return "undated"
    return f"{stats.newest} — {stats.newest_title}" if stats.newest_title else stats.newest
