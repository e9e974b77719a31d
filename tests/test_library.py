"""newsbot as a library: what `bot` exports, and what its front ends share below them."""

from __future__ import annotations

import io
import subprocess
import sys

from bot.conversation import Uncited, cited
from bot.results import Answer, Citation
from bot.telegram.formatting import passage_html
from bot.terminal.chat import Chat, PlainView
from bot.terminal.render import passage_of
from index.ranking.retrieval import Passage
from index.search.catalog import ChunkRecord

FILE_TEXT = (
    "The council met on Monday. It approved the harbour budget after a long debate. "
    "The mayor said work starts in May. Residents welcomed the news."
)


def _chunk(n: int, start: int, end: int) -> ChunkRecord:
    return ChunkRecord(
        id=f"harbour.txt#{n}",
        file="harbour.txt",
        title="Harbour budget",
        date="2024-05-01",
        day=0,
        start=start,
        end=end,
        text=FILE_TEXT[start:end],
        sentences=(),
    )


def _answer_quoting(quote: str) -> tuple[Answer, Citation]:
    """An answer whose only citation quotes `quote`, retrieved in two overlapping chunks."""
    start = FILE_TEXT.index(quote)
    citation = Citation(
        1, "harbour.txt", "Harbour budget", "2024-05-01", quote, start, start + len(quote), 1.0
    )
    # The first chunk ends inside the quote; the second holds all of it.
    first = _chunk(0, 0, start + 10)
    second = _chunk(1, start - 5, len(FILE_TEXT))
    passages = tuple(Passage(c, 1.0, 0.5, 1.0) for c in (first, second))
    return Answer("q", f"“{quote}” [1]", citations=(citation,), passages=passages), citation


def test_bot_exports_the_library_api_and_loads_it_only_when_used() -> None:
    code = (
        "import sys, bot\n"
        "assert 'bot.service' not in sys.modules, 'import bot loaded the service'\n"
        "from bot import Answer, NewsService, build_service\n"
        "from bot.factory import build_service as built\n"
        "from bot.results import Answer as data\n"
        "from bot.service import NewsService as service\n"
        "assert (build_service, Answer, NewsService) == (built, data, service)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_both_front_ends_show_the_chunk_that_holds_the_whole_quote() -> None:
    quote = "The mayor said work starts in May."
    answer, citation = _answer_quoting(quote)
    excerpt = passage_of(answer, citation)
    assert (excerpt.before, excerpt.quote) == ("ate. ", quote)  # the second chunk, from its start
    assert f"<b>{quote}</b>" in passage_html(citation, answer.passages)


def test_source_n_is_read_the_same_way_for_every_front_end() -> None:
    answer, citation = _answer_quoting("The mayor said work starts in May.")
    assert cited(answer, "1") == citation and cited(answer, " [1] ") == citation
    assert cited(answer, "[[1]]") == Uncited("not a number", 1)
    assert cited(answer, "2") == Uncited("no such citation", 1, 2)
    assert cited(None, "1") == Uncited("no answer")
    assert cited(Answer("q", "t"), "1") == Uncited("no citations")
    # The terminal chat answers /source N by the same rule.
    out, err = io.StringIO(), io.StringIO()
    chat = Chat(PlainView(out, err), lambda question, history: answer)
    for line in ["What was approved?", "/source [1]", "/source [[1]]"]:
        chat.handle(line)
    assert ">>The mayor said work starts in May.<<" in out.getvalue()
    assert err.getvalue() == "error: use /source N with N from 1 to 1\n"
