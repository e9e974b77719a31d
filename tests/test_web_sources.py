"""Pages and feeds indexed from addresses, served by a web server on loopback: what is read, what
is named as bad and why, and what a second run fetches and embeds (nothing that didn't change)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.factory import build_indexer
from bot.settings import Settings
from index.embedding import MiniLMEmbedder
from tests.conftest import invoke_newsbot
from tests.support.news_pages import (
    BOILERPLATE,
    MORE_STORIES,
    STORIES,
    Story,
    atom_feed,
    cookie_wall,
    index_page,
    news_page,
    rss_feed,
)
from tests.support.web_server import Route, WebServer

HARBOUR, FERRY, MARKET = STORIES
BRIDGE, SCHOOL, WATER, _ = MORE_STORIES
CAFE = Story(
    "cafe-reopens",
    "Café Kjøpmann reopens on Strandgata",
    date(2024, 5, 4),
    "Åsa Brænd",
    (
        "Café Kjøpmann on Strandgata reopened on Saturday after a fire in February, serving "
        "its crème brûlée and smørbrød to a queue of 80 customers.",
        "Owner Søren Lie said the new kitchen cost 900,000 crowns.",
    ),
    "How many customers queued when Café Kjøpmann reopened?",
    "80 customers",
)
FEED_TYPE = "application/rss+xml; charset=utf-8"
LIMIT = 1024 * 1024
ENV = {
    "NEWSBOT_FETCH_TIMEOUT": "1",
    "NEWSBOT_FETCH_RETRIES": "1",
    "NEWSBOT_FETCH_MAX_BYTES": str(LIMIT),
}
# Path: what the summary must say of it.
BAD = {
    "/slow": "timed out after 1 s",  # one deadline for every try: no time is left for a second
    "/missing": "HTTP 404 Not Found",
    "/error": "HTTP 500 Internal Server Error after 2 tries",
    "/loop-a": "redirect loop",
    "/huge": "over the size limit (2.0 MB; the limit is 1.0 MB)",
    "/huge-unsized": "over the size limit (more than 1.0 MB)",
    "/cookies": "no article text: a cookie or consent wall",
    "/front": "no article text: an index page",
    "/broken.rss": "malformed feed",
    "/logo.png": "not a web page or feed (content type image/png)",
    "/garbage": "malformed page (binary file",
}
GOOD = (
    "/news/harbour",
    "/feeds/ferry.rss",
    "/feeds/wire.atom",
    "/news/rotating",
    "/cafe",
    "/flaky",
)


def _serve(web: WebServer) -> None:
    site = web.url("")
    page = news_page(HARBOUR, 0, url=HARBOUR.url(site))
    web.route("/news/harbour", Route(page.encode(), etag='"harbour-1"'))
    rss = rss_feed([FERRY], full=True, site=site)
    web.route(
        "/feeds/ferry.rss",
        Route(rss.encode(), FEED_TYPE, last_modified="Fri, 03 May 2024 09:00:00 GMT"),
    )
    # A feed of summaries: the articles are on the entries' pages.
    web.route(
        "/feeds/wire.atom",
        Route(atom_feed([MARKET], full=False, site=site).encode(), "application/atom+xml"),
    )
    market = news_page(MARKET, 2, url=MARKET.url(site))
    web.route(f"/news/{MARKET.slug}", Route(market.encode()))
    web.route("/news/rotating", Route(_rotating(BRIDGE, site, ad=1)))
    cafe = news_page(CAFE, 1, url=f"{site}/cafe").replace('<meta charset="utf-8">', "")
    web.route("/cafe", Route(cafe.encode("cp1252"), "text/html"))
    flaky = news_page(WATER, 0, url=f"{site}/flaky")
    web.route("/flaky", Route(flaky.encode(), fail_first=1))
    # The bad.
    web.route("/slow", Route(page.encode(), delay=3))
    web.route("/error", Route(b"oops", "text/plain", status=500))
    web.route("/loop-a", Route(redirect="/loop-b"))
    web.route("/loop-b", Route(redirect="/loop-a"))
    big = page.encode() + b"<!-- padding -->" * (2 * LIMIT // 16)
    web.route("/huge", Route(big))
    web.route("/huge-unsized", Route(big, send_length=False))
    web.route("/cookies", Route(cookie_wall().encode()))
    web.route("/front", Route(index_page().encode()))
    web.route("/broken.rss", Route(rss[: len(rss) // 2].encode(), FEED_TYPE))
    web.route("/logo.png", Route(b"\x89PNG\r\n\x1a\n", "image/png"))
    rng = random.Random(5)
    web.route("/garbage", Route(bytes(rng.randrange(256) for _ in range(3000)), "text/html"))


def _rotating(story: Story, site: str, *, ad: int) -> bytes:
    """A page whose bytes change on every visit (an ad, a timestamp) while its article doesn't."""
    page = news_page(story, 0, url=f"{site}/news/rotating")
    return page.replace("</footer>", f"<!-- ad slot {ad} --></footer>").encode()


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    with WebServer() as server:
        _serve(server)
        yield server


@pytest.fixture(scope="module")
def first_run(web: WebServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("web") / "data"
    urls = [web.url(p) for p in (*GOOD, *BAD)]
    done = invoke_newsbot("index", *urls, data_dir=data, env=ENV)
    assert done.returncode == 0, done.stderr
    return data, done.stdout


def _name(web: WebServer, path: str) -> str:
    return web.url(path).split("://", 1)[1]


def _skipped(out: str) -> dict[str, str]:
    return dict(re.findall(r"^  skipped (.+?): (.+)$", out, flags=re.M))


def test_each_bad_address_is_named_with_its_reason(web: WebServer, first_run) -> None:
    _, out = first_run
    skipped = _skipped(out)
    assert set(skipped) == {web.url(p) for p in BAD}, out
    for path, reason in BAD.items():
        assert skipped[web.url(path)].startswith(reason), (path, skipped[web.url(path)])
    # Every good address gave its article, the flaky one on its second try.
    assert out.startswith(f"{len(GOOD)} added, 0 updated, 0 unchanged, 0 removed"), out
    assert len(web.hits("/flaky")) == 2


def test_the_user_agent_says_what_fetches(web: WebServer, first_run) -> None:
    agent = web.hits("/news/harbour")[0].headers["user-agent"]
    assert agent.startswith("newsbot/") and "news" in agent.split(" ", 1)[1]


def _stored(data: Path, embedder: MiniLMEmbedder) -> dict[str, dict[str, Any]]:
    from bot.factory import build_store

    got = build_store(Settings(data_dir=data), embedder).collection.get(include=["metadatas"])
    return {m["file"]: m for m in got["metadatas"] if m["chunk"] == 0}


def test_title_date_author_and_address_come_from_the_metadata(
    web: WebServer, first_run, embedder
) -> None:
    stored = _stored(first_run[0], embedder)
    site = web.url("")
    expect = {
        "/news/harbour": (HARBOUR, HARBOUR.url(site)),
        "/news/market-roof-vote": (MARKET, MARKET.url(site)),  # the Atom entry's page
        "/news/ferry-electric-ships": (FERRY, FERRY.url(site)),  # the RSS entry, full content
        "/cafe": (CAFE, f"{site}/cafe"),
    }
    for path, (story, url) in expect.items():
        meta = stored[_name(web, path)]
        assert (meta["title"], meta["date"], meta["url"]) == (
            story.title,
            story.published.isoformat(),
            url,
        )
        assert meta["author"] == story.author
        assert meta["root"] != meta["file"]  # the address it was read from, not its own
    assert stored[_name(web, "/cafe")]["language"] == "en"


@pytest.mark.parametrize(
    ("story", "path"),
    [(HARBOUR, "/news/harbour"), (MARKET, "/news/market-roof-vote"), (CAFE, "/cafe")],
)
def test_ask_quotes_the_article_body_with_its_link(
    web: WebServer, first_run, story: Story, path: str
) -> None:
    data, _ = first_run
    done = invoke_newsbot("ask", "--json", story.question, data_dir=data)
    assert done.returncode == 0, done.stdout + done.stderr
    cited = json.loads(done.stdout)["citations"][0]
    assert cited["file"] == _name(web, path)
    assert story.answer in cited["quote"]
    assert not any(b in cited["quote"] or cited["quote"] in b for b in BOILERPLATE)
    snapshot = Path(cited["snapshot"]).read_text(encoding="utf-8")
    assert snapshot[cited["start"] : cited["end"]] == cited["quote"]
    assert cited["url"].startswith(web.url("/"))


def test_a_second_run_fetches_conditionally_and_embeds_nothing(
    web: WebServer, first_run, embedder
) -> None:
    data, _ = first_run
    entry_page = f"/news/{MARKET.slug}"
    before = len(web.hits(entry_page))
    web.route("/news/rotating", Route(_rotating(BRIDGE, web.url(""), ad=2)))
    done = invoke_newsbot("index", *[web.url(p) for p in GOOD], data_dir=data, env=ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"0 added, 0 updated, {len(GOOD)} unchanged, 0 removed, 0 skipped files; 0 chunks written"
    ), done.stdout
    assert web.hits("/news/harbour")[-1].headers.get("if-none-match") == '"harbour-1"'
    last = web.hits("/feeds/ferry.rss")[-1].headers
    assert last.get("if-modified-since") == "Fri, 03 May 2024 09:00:00 GMT"
    # The summary-only feed was read again, but its entry had not changed: its page was not.
    assert len(web.hits(entry_page)) == before


def test_a_feed_that_fails_keeps_what_it_gave_and_is_tried_again(
    web: WebServer, first_run, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = first_run
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    settings = Settings(data_dir=data)
    indexer = build_indexer(settings, embedder)
    feed = web.url("/feeds/ferry.rss")
    healthy = web.routes["/feeds/ferry.rss"]
    web.route("/feeds/ferry.rss", Route(b"down", "text/plain", status=503))
    try:
        run = indexer.run([], addresses=[feed])
    finally:
        web.route("/feeds/ferry.rss", healthy)
    assert run.skipped == [(feed, "HTTP 503 Service Unavailable after 2 tries")]
    assert _name(web, f"/news/{FERRY.slug}") in _stored(data, embedder)
    again = indexer.run([], addresses=[feed])
    assert (again.skipped, again.unchanged, again.chunks_written) == ([], 1, 0)
