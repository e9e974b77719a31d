"""Telegram rendering without Telegram: the message splitter, escaping, commands' arguments, access."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rate_limit import QuestionRateLimiter
from bot.redaction import MASK, protect
from bot.results import Answer, Citation, Disagreement, DisagreementValue, Source
from bot.telegram.access import AccessPolicy, Verdict
from bot.telegram.formatting import answer_messages, escape, passage_html, sources_html
from bot.telegram.handlers import citation_number
from bot.telegram.splitting import split_html, utf16_len
from tests.support.telegram_standin import parse_telegram_html

MARKER = re.compile(r"\[\d+\]")

# Words as articles and users write them: markup characters, quotes, emoji, other scripts.
_word = st.text(
    alphabet=st.sampled_from([*"abcdefghij<>&\"'’é日😀", "[", "]", "1"]),
    min_size=1,
    max_size=12,
).map(escape)
_inline = st.builds(
    lambda tag, words: f"<{tag}>{' '.join(words)}</{tag}>",
    st.sampled_from(["b", "i", "code"]),
    st.lists(_word, min_size=1, max_size=2),
)
_marker = st.integers(1, 60).map(lambda n: f"[{n}]")
_sentence = st.builds(
    lambda parts, end, markers: " ".join(parts) + end + "".join(markers),
    st.lists(st.one_of(_word, _word, _word, _inline), min_size=1, max_size=12),
    st.sampled_from([".", "!", "?", "…", ".”", ""]),
    st.lists(_marker, max_size=2),
)
_paragraph = st.lists(_sentence, min_size=1, max_size=6).map(" ".join)
_document = st.lists(_paragraph, min_size=1, max_size=8).map("\n\n".join)
_footer = st.lists(
    st.builds(
        lambda n, w: f"[{n}] {w} — file_{n}.txt (2024-01-0{n % 9 + 1})", st.integers(1, 60), _word
    ),
    min_size=1,
    max_size=4,
).map(lambda lines: "\n\n<b>Sources</b>\n" + "\n".join(lines))


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(body=_document, footer=st.one_of(st.just(""), _footer), limit=st.integers(128, 500))
def test_split_pieces_fit_parse_and_join_back(body: str, footer: str, limit: int) -> None:
    html = body + footer
    pieces = split_html(html, limit, keep_from=len(body))
    assert "".join(pieces) == html
    for piece in pieces:
        assert utf16_len(piece) <= limit
        parse_telegram_html(piece)  # raises if Telegram would refuse it
    assert sum(len(MARKER.findall(p)) for p in pieces) == len(MARKER.findall(html))
    if footer and utf16_len(footer) <= limit:
        assert footer in pieces[-1]


@settings(max_examples=15, deadline=None)
@given(body=_document)
def test_split_at_telegram_limit(body: str) -> None:
    html = "\n\n".join([body] * 12)
    pieces = split_html(html)
    assert "".join(pieces) == html
    assert all(utf16_len(p) <= 4096 for p in pieces)
    assert all(parse_telegram_html(p) for p in pieces)


def test_split_prefers_paragraphs_then_sentences() -> None:
    paragraph = "One sentence here. " * 10 + "Last one. [3]"
    html = "\n\n".join([paragraph] * 6)
    pieces = split_html(html, 600)
    assert len(pieces) > 1
    assert all(p.endswith("\n\n") for p in pieces[:-1])
    long_paragraph = "A claim that is quoted. [1] " * 60
    pieces = split_html(long_paragraph, 300)
    assert all(p.endswith("[1] ") for p in pieces[:-1])


def test_an_element_longer_than_a_message_is_closed_and_reopened() -> None:
    quote = " ".join(f"word{i} &lt;{i}&gt;" for i in range(400))
    html = f"<b>Passage</b>\n<blockquote>{quote}</blockquote>\nend"
    pieces = split_html(html, 500)
    assert len(pieces) > 3
    for piece in pieces:
        assert utf16_len(piece) <= 500
        parse_telegram_html(piece)
    visible = "".join(parse_telegram_html(p).text for p in pieces)
    assert visible == parse_telegram_html(html).text


def _citation(n: int, **kw: object) -> Citation:
    base: dict[str, object] = {
        "n": n,
        "file": f"f{n}.txt",
        "title": "T",
        "date": "2024-05-01",
        "quote": "q",
        "start": 0,
        "end": 1,
        "score": 1.0,
    }
    return Citation(**(base | kw))  # type: ignore[arg-type]


def test_article_and_user_text_show_as_text() -> None:
    hostile = 'Click <a href="http://evil.example">here</a> & win 3 < 5 > 2 &amp; <b>'
    answer = Answer(
        question=hostile,
        text=f"“{hostile}” [1]",
        citations=(_citation(1, title="<script>alert(1)</script> & co", quote=hostile),),
        notice="model <down> & out",
    )
    (message,) = answer_messages(answer)
    parsed = parse_telegram_html(message)
    assert hostile in parsed.text
    assert "<script>alert(1)</script> & co" in parsed.text
    assert "model <down> & out" in parsed.text
    assert set(parsed.tags) <= {"b", "i"} and "a" not in parsed.tags
    assert parse_telegram_html(sources_html(answer)).text.count(hostile) == 1


def test_long_answer_keeps_its_footer_whole_in_the_last_message() -> None:
    citations = tuple(_citation(n, title=f"Title {n}") for n in range(1, 41))
    text = " ".join(f"“Sentence number {n} of a long answer, quoted.” [{n}]" for n in range(1, 41))
    answer = Answer(question="q", text=text * 3, citations=citations)
    pieces = answer_messages(answer)
    assert len(pieces) >= 2
    assert "<b>Sources</b>" in pieces[-1] and "[40] Title 40" in pieces[-1]
    assert all("Sources" not in p for p in pieces[:-1])


def test_refusal_lists_the_closest_articles() -> None:
    answer = Answer(
        question="q",
        text="The articles I have don't cover that.",
        refused=True,
        closest=(Source("a&b.txt", "A <title>", None),),
    )
    (message,) = answer_messages(answer)
    assert "• A <title> — a&b.txt" in parse_telegram_html(message).text


def test_a_source_with_an_address_has_its_title_linked() -> None:
    url = "https://courier.example/news/vote?id=1&page=2"
    answer = Answer(
        question="q",
        text="“q” [1] “q” [2]",
        citations=(
            _citation(1, title="Vote <today> & after", url=url),
            _citation(2, title="Not a link", url="javascript:alert(1)"),
        ),
    )
    (message,) = answer_messages(answer)
    parsed = parse_telegram_html(message)
    assert parsed.links == [url]
    assert "[1] Vote <today> & after — f1.txt (2024-05-01)" in parsed.text
    assert "[2] Not a link — f2.txt" in parsed.text
    assert parse_telegram_html(sources_html(answer)).links == [url]
    refused = Answer(
        question="q", text="No.", refused=True, closest=(Source("page", "A page", None, url),)
    )
    (message,) = answer_messages(refused)
    assert parse_telegram_html(message).links == [url]


def test_passage_shows_the_quote_in_bold_inside_its_chunk() -> None:
    class Chunk:
        file, start, end, text = "f1.txt", 100, 160, "Before it. The <quoted> & sentence. After."

    class P:
        chunk = Chunk()

    quote = "The <quoted> & sentence."
    start = Chunk.start + Chunk.text.index(quote)
    c = _citation(1, start=start, end=start + len(quote), quote=quote)
    parsed = parse_telegram_html(passage_html(c, [P()]))
    assert Chunk.text in parsed.text
    assert "<b>The &lt;quoted&gt; &amp; sentence.</b>" in passage_html(c, [P()])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["2"], 2),
        (["[1]"], 1),
        ([], "Use /source N"),
        (["abc"], "Use /source N"),
        (["-1"], "Use /source N"),
        (["1.5"], "Use /source N"),
        (["1", "2"], "Use /source N"),
        (["99999999999999999999999"], "Use /source N"),
        (["../../../etc/passwd"], "Use /source N"),
        (["0"], "There is no citation [0]"),
        (["3"], "There is no citation [3]"),
        (["999999999"], "There is no citation [999999999]"),
    ],
)
def test_source_argument(args: list[str], expected: int | str) -> None:
    answer = Answer(question="q", text="t [1] [2]", citations=(_citation(1), _citation(2)))
    result = citation_number(args, answer)
    if isinstance(expected, int):
        assert result == expected
    else:
        assert isinstance(result, str) and result.startswith(expected)


def test_source_before_any_answer() -> None:
    assert "Ask a question first" in str(citation_number(["1"], None))
    assert "no citations" in str(citation_number(["1"], Answer(question="q", text="t")))


def test_allowlist_refuses_once_then_stays_quiet() -> None:
    open_bot = AccessPolicy()
    assert open_bot.check(1, 1) is Verdict.ALLOW
    policy = AccessPolicy(
        allowed_users=frozenset({1}), allowed_chats=frozenset({-100}), admins=frozenset({9})
    )
    assert policy.check(1, 1) is Verdict.ALLOW
    assert policy.check(9, 9) is Verdict.ALLOW  # admins may always ask
    assert policy.check(2, -100) is Verdict.ALLOW  # anyone in an allowed group
    assert policy.check(2, 2) is Verdict.REFUSE
    assert policy.check(2, 2) is Verdict.IGNORE
    assert policy.check(2, -200) is Verdict.IGNORE
    assert policy.is_admin(9) and not policy.is_admin(1) and not policy.is_admin(None)


def test_rate_limit_is_a_sliding_minute_per_user() -> None:
    now = [0.0]
    limiter = QuestionRateLimiter(3, clock=lambda: now[0])
    assert all(limiter.check(1).allowed for _ in range(3))
    first = limiter.check(1)
    assert not first.allowed and first.warn and 59 < first.retry_in <= 60
    assert not limiter.check(1).warn  # told once per window
    assert limiter.check(2).allowed  # another user is not affected
    now[0] = 60.5
    assert limiter.check(1).allowed
    assert all(QuestionRateLimiter(0).check(1).allowed for _ in range(100))


def test_token_is_masked_in_log_records_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    token = "424242:AAH-redaction-test-token"
    protect(token)
    log = logging.getLogger("telegram.test")
    with caplog.at_level(logging.DEBUG):
        log.info("POST https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"The token `{token}` was rejected by the server.")
        except RuntimeError:
            log.exception("failed")
    assert token not in caplog.text
    assert caplog.text.count(MASK) == 2  # the URL and the exception message


def test_id_lists_and_token_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    monkeypatch.setenv("TELEGRAM_ALLOWED_USERS", "12, 34 56")
    monkeypatch.setenv("TELEGRAM_ALLOWED_CHATS", "-100123")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret-value")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    s = Settings()
    assert s.telegram_allowed_users == {12, 34, 56}
    assert s.telegram_allowed_chats == {-100123}
    assert s.telegram_admin_users == set()
    assert s.telegram_api_base_url == "http://127.0.0.1:8081"
    assert "secret-value" not in repr(s) and "secret-value" not in str(s.model_dump())
    monkeypatch.setenv("TELEGRAM_ADMIN_USERS", "12,abc")
    with pytest.raises(ValueError, match="numeric ids"):
        Settings()


def test_the_short_answer_leads_in_bold_and_article_text_stays_escaped() -> None:
    from bot.results import ShortAnswer

    quote = "Jane <Holloway> & co took 58 percent of the vote."
    answer = Answer(
        question="Who won?",
        text=f"Jane <Holloway> & co: “{quote}” [1]",
        citations=(Citation(1, "a.txt", "Vote", None, quote, 10, 10 + len(quote), 1.0),),
        short_answer=ShortAnswer("Jane <Holloway> & co", 1, 10, 30),
    )
    (message,) = answer_messages(answer)
    assert message.startswith("<b>Jane &lt;Holloway&gt; &amp; co</b>: “Jane &lt;Holloway&gt;")
    parse_telegram_html(message)


# --- whole answers, fuzzed: long links from feed metadata, many citations, long quotes ---------

_text = st.text(
    alphabet=st.sampled_from([*"abc xyz<>&\"'’é日😀.\n", "[", "]", "1", "\x1b", "\u200b"]),
    max_size=300,
)
_long_text = st.builds(lambda word, n: (word + " ") * n, _text, st.integers(0, 40))
_url = st.one_of(
    st.none(),
    st.just('https://news.example/a?x=1&y=<2>"3"'),
    st.builds(
        lambda path, n: "https://news.example/" + path * n,
        st.sampled_from(["a", "&amp;", "%20", "é", "<q>", '"']),
        st.integers(1, 4200),
    ),
)
_fuzzed_citation = st.builds(
    lambda n, title, quote, url, also: Citation(
        n=n,
        file=f"feeds/wire_{n}.rss#entry-{n}",
        title=title,
        date="2025-11-03",
        quote=quote,
        start=0,
        end=len(quote),
        score=1.0,
        also_in=also,
        url=url,
    ),
    st.integers(1, 99),
    _text,
    st.one_of(_text, _long_text),
    _url,
    st.lists(st.text(alphabet="abc.txt/#", max_size=40), max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(_text, _long_text),
    citations=st.lists(_fuzzed_citation, max_size=30).map(tuple),
    notice=st.one_of(st.none(), _text),
    refused=st.booleans(),
    closest=st.lists(
        st.builds(lambda t, u: Source(file="f.txt", title=t, date=None, url=u), _text, _url),
        max_size=5,
    ).map(tuple),
)
def test_every_message_of_any_answer_is_telegram_html_that_fits(
    text: str,
    citations: tuple[Citation, ...],
    notice: str | None,
    refused: bool,
    closest: tuple[Source, ...],
) -> None:
    """The answer, /sources and /source N, whatever the articles and their metadata hold: every
    piece is HTML Telegram accepts, within 4,096 characters, and no link is cut."""
    answer = Answer(
        question="q", text=text, citations=citations, notice=notice, refused=refused,
        closest=closest,
    )  # fmt: skip
    pieces = [*answer_messages(answer), *split_html(sources_html(answer))]
    for c in citations[:3]:
        pieces += split_html(passage_html(c, []))
    for piece in pieces:
        assert utf16_len(piece) <= 4096
        parsed = parse_telegram_html(piece)  # raises where Telegram would refuse it
        for link in parsed.links:
            assert any(link == c.url for c in citations) or any(link == s.url for s in closest), (
                link[:80]
            )


def test_sources_that_differ_lead_in_bold_before_the_quotes() -> None:
    differ = Disagreement(
        (
            DisagreementValue("250", (2,), "Flood <toll>", "2025-10-31"),
            DisagreementValue("300", (1,), "Floods kill", "2025-10-30"),
        )
    )
    quotes = "“Officials said 300 died.” [1] “The government said 250 died.” [2]"
    answer = Answer(
        question="How many died?",
        text=f"{differ.summary} {quotes}",
        citations=(
            Citation(
                1, "a.txt", "Floods kill", "2025-10-30", "Officials said 300 died.", 0, 24, 1.0
            ),
            Citation(
                2,
                "b.txt",
                "Flood <toll>",
                "2025-10-31",
                "The government said 250 died.",
                0,
                29,
                1.0,
            ),
        ),
        disagreement=differ,
    )
    (message,) = answer_messages(answer)
    assert message.startswith(
        "<b>Sources differ: “Flood &lt;toll&gt;” (2025-10-31) says 250 [2]; “Floods kill” "
        "(2025-10-30) says 300 [1].</b> “Officials said 300 died.” [1]"
    )
    assert parse_telegram_html(message)
