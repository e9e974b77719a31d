"""newsbot's web page in a real headless browser: Debian's chromium, driven by Playwright's Python
package through `executable_path` (nothing downloads a browser; `make install-dev` installs it).

A person types a question, sees the short answer in bold and a source, opens the source and sees
the quote highlighted in the article, asks a follow-up, and gets a refusal that names what is
missing. An article's `<script>` and `javascript:` links stay text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.newsbot_web import ServedApp
from tests.test_web import (  # the same articles and server as the API's tests
    ASKED,
    DIFFER,
    FOLLOW_UP,
    HOSTILE,
    PIER,
    REFUSED,
    ROCKETS,
    corpus,
    service,
    web,
)

__all__ = ["corpus", "service", "web"]  # fixtures, shared with tests/test_web.py

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium on a machine with no network: no background connections, no first-run work.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make install-dev` (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, web: ServedApp) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 420, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"a dialog opened: {dialog.message}"))
    page.goto(web.url("/"))
    yield page
    context.close()
    assert errors == []


def ask(page: Any, question: str) -> Any:
    """Type `question`, press Enter, and return the answer's block once it has come."""
    count = page.locator(".turn").count()
    page.get_by_label("Your question").fill(question)
    page.keyboard.press("Enter")
    # Locators, not a script of the test's: the page's Content-Security-Policy forbids eval.
    page.locator(".turn").nth(count).wait_for()
    page.locator(".turn .pending").wait_for(state="detached")
    return page.locator(".turn").last


def test_ask_open_the_source_follow_up_and_refusal(page: Any, tmp_path: Path) -> None:
    answer = ask(page, ASKED)
    short = answer.locator("strong.short-answer")
    assert short.inner_text() == "Cross-Servicing Agreement"
    assert short.evaluate("e => getComputedStyle(e).fontWeight") in ("700", "bold")
    sources = answer.locator(".sources li")
    assert sources.count() >= 1
    first = sources.first
    assert "U.S., Malaysia sign new defense cooperation agreement" in first.inner_text()
    assert "(2025-10-30)" in first.inner_text()

    first.locator("button.source").focus()
    page.keyboard.press("Enter")  # keyboard, as a person without a mouse opens it
    mark = page.locator("#article-text mark")
    mark.wait_for()
    assert mark.inner_text().startswith("The two countries also renewed their Acquisition")
    assert mark.evaluate(
        "m => { const r = m.getBoundingClientRect(), box = m.parentElement.getBoundingClientRect();"
        " return r.top >= box.top && r.bottom <= box.bottom && r.bottom <= innerHeight; }"
    ), "the highlighted quote is scrolled into view"
    assert page.locator("#article-title").inner_text().startswith("U.S., Malaysia sign")
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)

    page.keyboard.press("Escape")
    assert page.locator("#article").is_hidden()

    ask(page, ROCKETS)
    follow = ask(page, FOLLOW_UP)
    assert "Straits of Malacca" in follow.locator(".answer").inner_text()
    assert follow.locator(".refusal").count() == 0

    refused = ask(page, REFUSED)
    box = refused.locator(".refusal")
    assert "Not in the articles" in box.inner_text()
    assert "Missing: 2030" in box.locator(".missing").inner_text()
    page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)

    page.get_by_label("As of").fill("2020-01-01")  # before every dated article
    early = ask(page, ASKED)
    assert early.locator(".asked").inner_text().startswith("You asked (as of 2020-01-01)")
    assert "(2025-10-30)" not in early.inner_text()
    page.get_by_label("As of").fill("")

    page.get_by_role("button", name="New conversation").click()
    alone = ask(page, FOLLOW_UP)
    assert alone.locator(".refusal").count() == 1, "a new conversation has nothing to follow"


def test_an_article_s_markup_and_javascript_links_stay_text(page: Any) -> None:
    answer = ask(page, PIER)
    assert "$4.2 million" in answer.inner_text()
    source = answer.locator(".sources li", has_text="ferry pier").first
    assert "<script>" in source.inner_text()  # the title's markup, shown as text
    source.locator("button.source").click()
    page.locator("#article-text mark").wait_for()
    text = page.locator("#article-text")
    assert "<script>document.title = 'owned'</script>" in text.inner_text()
    assert 'href="javascript:alert(1)"' in text.inner_text()
    assert text.locator("script, a, iframe, img").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert page.locator("script").count() == 1  # the page's own
    assert page.title() == "newsbot"
    assert HOSTILE in page.locator("#article-meta").inner_text()


def test_with_tokens_the_page_needs_one_and_the_browser_asks_for_it(
    browser: Any, service: Any, corpus: Any, cache_home: Path
) -> None:
    import httpx

    from tests.test_web import serve

    with serve(service, corpus, cache_home, api_tokens="token-of-alice") as guarded:
        for path in ("/", "/static/page.js", "/docs", "/openapi.json"):
            refused = httpx.get(guarded.url(path), timeout=30)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Basic realm=")
            assert set(refused.json()) == {"error"}
        # What a browser does with that: its user gives the token as the password, once.
        context = browser.new_context(
            http_credentials={"username": "newsroom", "password": "token-of-alice"}
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(guarded.url("/"))
        answered = ask(page, ASKED)
        assert answered.locator("strong.short-answer").inner_text() == "Cross-Servicing Agreement"
        context.close()


def test_sources_that_differ_are_shown_as_such(page: Any, tmp_path: Path) -> None:
    answer = ask(page, DIFFER)
    box = answer.locator(".disagreement")
    assert box.get_by_role("heading").inner_text() == "Sources differ"
    items = box.locator("li")
    assert [items.nth(i).inner_text() for i in range(items.count())] == [
        "250 (2025-10-31) [2]",
        "300 (2025-10-30) [1]",
    ]
    assert answer.locator("strong.short-answer").count() == 0
    page.screenshot(path=str(tmp_path / "disagreement.png"), full_page=True)
