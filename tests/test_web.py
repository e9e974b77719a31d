"""`newsbot serve` against the real server on loopback: the JSON API, the OpenAI-compatible
endpoint (with the official `openai` client) and the access rules.

The articles are seeds/ and one hostile article (markup and `javascript:` links in its text),
indexed once with the embedded default; the generated path's model is the scripted stand-in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _OUR_VARS, SEED_A, SEEDS, run_newsbot
from tests.support.capable_answers import Question, ScriptedModel, Sentence
from tests.support.llm_server import ScriptedServer, free_port
from tests.support.newsbot_web import ServedApp
from tests.test_disagreement import ARTICLES as DISAGREEING

ASKED = "Which agreement was renewed?"
REFUSED = "Who won the 2030 World Cup?"
ROCKETS = "Which rocket systems were fired in the Straits of Malacca drills?"
FOLLOW_UP = "Where were they fired?"  # refused on its own; answered after ROCKETS
HOSTILE = "090_harbour.txt"
HOSTILE_TEXT = (
    "Harbour council backs <script>alert('title')</script> ferry pier\n\n"
    "November 2, 2025\n\n"
    "The harbour council voted 7 to 2 on Tuesday to build the new ferry pier at Kelp Point.\n"
    'The plan is online <a href="javascript:alert(1)">here</a> and [there](javascript:alert(2)).\n'
    "<script>document.title = 'owned'</script>\n"
    "The ferry pier at Kelp Point will cost $4.2 million, the council said.\n"
)
PIER = "How much will the ferry pier at Kelp Point cost?"
FLOODS = ("flood-herald.txt", "flood-courier.txt")
DIFFER = "How many people died in the Ebro valley floods?"
PAGE = "091_lighthouse.html"  # an article whose text is a snapshot, with its address
PAGE_URL = "https://news.example.org/2025/11/lighthouse"
PAGE_HTML = f"""<!doctype html><html lang="en"><head>
<title>Old lighthouse at Kelp Point reopens</title>
<link rel="canonical" href="{PAGE_URL}">
<meta property="article:published_time" content="2025-11-03">
</head><body><article><h1>Old lighthouse at Kelp Point reopens</h1>
<p>The old lighthouse at Kelp Point reopened to visitors on Monday after a two-year restoration
that cost the town council 900,000 dollars.</p>
<p>About 3,000 people climbed its 117 steps on the first day, the keeper said.</p>
</article></body></html>
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, cache_home: Path) -> tuple[Path, Path]:
    """(articles folder, data dir): seeds/ and the hostile article, indexed once."""
    root = tmp_path_factory.mktemp("web")
    articles = root / "articles"
    shutil.copytree(SEEDS, articles)
    (articles / HOSTILE).write_text(HOSTILE_TEXT, encoding="utf-8")
    (articles / PAGE).write_text(PAGE_HTML, encoding="utf-8")
    for name in FLOODS:  # two outlets, two death tolls: sources that differ
        (articles / name).write_text(DISAGREEING[name] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    env |= {"NEWSBOT_DATA_DIR": str(root / "data"), "XDG_CACHE_HOME": str(cache_home)}
    subprocess.run(
        [sys.executable, "-m", "bot", "index", str(articles)], env=env, check=True, timeout=300
    )
    return articles, root / "data"


def web_settings(data: Path, cache_home: Path, **changes: Any) -> Any:
    from bot.settings import Settings

    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(_OUR_VARS):
                env.delenv(name)
        return Settings(
            _env_file=None, data_dir=data, model_cache_dir=cache_home / "newsbot", **changes
        )


@pytest.fixture(scope="module")
def service(corpus: tuple[Path, Path], cache_home: Path) -> Any:
    from bot.factory import build_service

    return build_service(web_settings(corpus[1], cache_home))


def serve(service: Any, corpus: tuple[Path, Path], cache_home: Path, **changes: Any) -> ServedApp:
    from bot.web.app import create_app

    return ServedApp(create_app(service, web_settings(corpus[1], cache_home, **changes)))


@pytest.fixture(scope="module")
def web(service: Any, corpus: tuple[Path, Path], cache_home: Path) -> Iterator[ServedApp]:
    """The server as `newsbot serve` runs it by default: loopback, no tokens."""
    with serve(service, corpus, cache_home, api_questions_per_minute=0) as served:
        yield served


@pytest.fixture
def client(web: ServedApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.base_url, timeout=60) as c:
        yield c


def without_ids(data: Any) -> Any:
    """The JSON with the server's own additions (`conversation`, `article`) taken out."""
    if isinstance(data, dict):
        return {k: without_ids(v) for k, v in data.items() if k not in ("conversation", "article")}
    if isinstance(data, list):
        return [without_ids(v) for v in data]
    return data


def test_ask_returns_what_ask_json_prints_with_a_conversation_and_article_ids(
    client: httpx.Client, corpus: tuple[Path, Path]
) -> None:
    got = client.post("/api/ask", json={"question": ASKED})
    assert got.status_code == 200, got.text
    data = got.json()
    cli = run_newsbot("ask", "--json", ASKED, data_dir=corpus[1])
    assert cli.returncode == 0, cli.stderr
    assert without_ids(data) == json.loads(cli.stdout)
    assert data["short_answer"] and data["citations"] and data["conversation"]
    for c in data["citations"]:
        assert len(c["article"]) == 16 and "/" not in c["article"]


def test_the_conversation_id_makes_the_next_question_a_follow_up(client: httpx.Client) -> None:
    alone = client.post("/api/ask", json={"question": FOLLOW_UP}).json()
    assert alone["refused"] is True
    first = client.post("/api/ask", json={"question": ROCKETS}).json()
    follow = client.post(
        "/api/ask", json={"question": FOLLOW_UP, "conversation": first["conversation"]}
    ).json()
    assert follow["refused"] is False and "Straits of Malacca" in follow["answer"]
    assert follow["standalone_question"] != FOLLOW_UP
    assert follow["conversation"] == first["conversation"]
    unknown = client.post("/api/ask", json={"question": FOLLOW_UP, "conversation": "nope"})
    assert unknown.status_code == 404 and "conversation" in unknown.json()["error"]


def test_as_of_leaves_later_articles_out(client: httpx.Client) -> None:
    early = client.post("/api/ask", json={"question": ASKED, "as_of": "2020-01-01"}).json()
    assert early["as_of"] == "2020-01-01"
    assert all(c["date"] is None or c["date"] <= "2020-01-01" for c in early["citations"])
    today = client.post("/api/ask", json={"question": ASKED}).json()
    assert today["as_of"] == date.today().isoformat()
    bad = client.post("/api/ask", json={"question": ASKED, "as_of": "soon"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("invalid request: as_of")


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a server-sent event stream."""
    found = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_ask_streams_the_text_then_the_checked_answer(client: httpx.Client) -> None:
    with client.stream(
        "POST", "/api/ask", json={"question": ASKED}, headers={"Accept": "text/event-stream"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        response.read()
    got = events(response)
    kinds = [kind for kind, _ in got]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"}
    final = got[-1][1]
    assert "".join(d["text"] for _, d in got[:-1]) == final["answer"]
    assert final["citations"][0]["article"] and final["conversation"]


def test_search_returns_the_ranked_passages_of_search_json(
    client: httpx.Client, corpus: tuple[Path, Path]
) -> None:
    got = client.get("/api/search", params={"q": "rocket systems", "k": 3})
    assert got.status_code == 200, got.text
    passages = got.json()["passages"]
    cli = run_newsbot("search", "--json", "--k", "3", "rocket systems", data_dir=corpus[1])
    assert without_ids(passages) == json.loads(cli.stdout)
    assert client.get("/api/search", params={"q": "x", "k": 0}).status_code == 422


def test_an_article_by_id_is_the_text_its_citations_quote(
    client: httpx.Client, corpus: tuple[Path, Path]
) -> None:
    answer = client.post("/api/ask", json={"question": ASKED}).json()
    for c in answer["citations"]:
        article = client.get(f"/api/articles/{c['article']}").json()
        assert article["file"] == c["file"] and article["title"] == c["title"]
        assert article["text"][c["start"] : c["end"]] == c["quote"]
        assert article["text"] == (corpus[0] / c["file"]).read_text(encoding="utf-8")
        assert article["changed"] is False and article["url"] is None


def test_a_page_s_article_is_its_snapshot_with_its_address(client: httpx.Client) -> None:
    passages = client.get("/api/search", params={"q": "lighthouse steps", "k": 1}).json()
    p = passages["passages"][0]
    assert p["file"] == PAGE
    article = client.get(f"/api/articles/{p['article']}").json()
    assert article["url"] == PAGE_URL and article["date"] == "2025-11-03"
    assert article["text"][p["start"] : p["end"]] == p["text"]
    assert "<p>" not in article["text"] and "117 steps" in article["text"]


@pytest.mark.parametrize(
    "article",
    ["0123456789abcdef", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", SEED_A, "7D30FF6A9DA0B71E"],
)
def test_article_ids_are_opaque_and_only_the_index_s(client: httpx.Client, article: str) -> None:
    got = client.get(f"/api/articles/{article}")
    assert got.status_code == 404
    assert set(got.json()) == {"error"} and "root:" not in got.text


def test_stats_health_readiness_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and "model" not in ready["checks"]
    stats = client.get("/api/stats").json()
    assert stats["articles"] == 4 + len(FLOODS) and stats["answerer"] == "extractive"
    before = client.get("/metrics").text
    client.post("/api/ask", json={"question": REFUSED})
    client.post("/api/ask", json={"question": "  "})
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")

    def value(text: str, name: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(name + " ")]
        return float(lines[0].split()[-1]) if lines else 0.0

    assert (
        value(after.text, "newsbot_refusals_total") == value(before, "newsbot_refusals_total") + 1
    )
    assert value(after.text, 'newsbot_errors_total{kind="QuestionError"}') >= 1
    assert value(after.text, "newsbot_index_articles") == 4 + len(FLOODS)
    assert value(after.text, "newsbot_index_last_change_timestamp_seconds") > 0
    assert "newsbot_answer_seconds_bucket" in after.text
    assert "World Cup" not in after.text


def test_errors_are_one_line_of_json_with_their_status(client: httpx.Client) -> None:
    cases = [
        (client.post("/api/ask", json={"question": "?!"}), 400, "ask a question in words"),
        (client.post("/api/ask", json={"questio": ASKED}), 422, "question: Field required"),
        (
            client.post(
                "/api/ask", content=b"{not json", headers={"content-type": "application/json"}
            ),
            422,
            "invalid request",
        ),
        (client.get("/api/nowhere"), 404, "Not Found"),
        (client.get("/api/ask"), 405, "Method Not Allowed"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"} and words in body["error"]
        assert "\n" not in body["error"] and "Traceback" not in response.text


def test_an_empty_index_says_how_to_build_it(tmp_path: Path, cache_home: Path) -> None:
    from bot.factory import build_service
    from bot.web.app import create_app

    settings = web_settings(tmp_path / "empty", cache_home)
    with ServedApp(create_app(build_service(settings), settings)) as served:
        got = httpx.post(served.url("/api/ask"), json={"question": ASKED}, timeout=60)
        ready = httpx.get(served.url("/readyz"), timeout=60)
    assert got.status_code == 503 and "newsbot index" in got.json()["error"]
    assert ready.status_code == 503 and set(ready.json()) == {"error"}


def test_the_openapi_schema_is_at_docs(client: httpx.Client) -> None:
    docs = client.get("/docs")
    assert docs.headers["content-type"].startswith("text/html")
    # Read out from the schema, with nothing loaded from elsewhere: it works offline.
    assert "<code>POST /api/ask</code>" in docs.text and "/openapi.json" in docs.text
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", docs.text)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/articles/{article}", "/v1/chat/completions"} <= set(
        paths
    )


# The OpenAI-compatible endpoint, through the official client.


def openai_client(web: ServedApp, key: str = "unused") -> Any:
    import openai

    return openai.OpenAI(base_url=web.url("/v1"), api_key=key, max_retries=0, timeout=60)


def test_the_openai_client_gets_the_answer_with_its_sources(web: ServedApp) -> None:
    ai = openai_client(web)
    assert [m.id for m in ai.models.list()] == ["newsbot"]
    reply = ai.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": ASKED}]
    )
    content = reply.choices[0].message.content
    data = reply.model_extra["newsbot"]
    assert content.startswith(data["answer"] + "\n\nSources:\n[1] ")
    assert data["citations"][0]["title"] in content and data["citations"][0]["article"]


def test_the_openai_client_streams_the_same_reply(web: ServedApp) -> None:
    ai = openai_client(web)
    messages = [{"role": "user", "content": ASKED}]
    whole = ai.chat.completions.create(model="newsbot", messages=messages)
    stream = ai.chat.completions.create(model="newsbot", messages=messages, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["newsbot"]["citations"]


def test_earlier_messages_are_the_conversation(web: ServedApp) -> None:
    ai = openai_client(web)
    first = ai.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": ROCKETS}]
    )
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": ROCKETS},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]},
    ]
    follow = ai.chat.completions.create(model="newsbot", messages=messages)
    assert follow.model_extra["newsbot"]["refused"] is False
    assert "Straits of Malacca" in follow.choices[0].message.content
    alone = ai.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": FOLLOW_UP}]
    )
    assert alone.model_extra["newsbot"]["refused"] is True
    import openai

    with pytest.raises(openai.BadRequestError, match="role `user`"):
        ai.chat.completions.create(model="newsbot", messages=[{"role": "system", "content": "x"}])


MET = Question(
    "When did the two defence ministers meet?",
    (
        Sentence(
            "The two defence ministers met on October 30, 2025, during the ASEAN Defence "
            "Ministers' Meeting-Plus.",
            "reworded",
            SEED_A,
        ),
    ),
)


def test_a_generated_answer_streams_checked_pieces(
    corpus: tuple[Path, Path], cache_home: Path
) -> None:
    from bot.factory import build_service

    with ScriptedServer(ScriptedModel((MET,)), delay=0.01) as model:
        changes = {"openai_base_url": model.base_url, "llm_model": "scripted", "llm_retries": 0}
        generated = build_service(web_settings(corpus[1], cache_home, **changes))
        with serve(generated, corpus, cache_home, **changes) as served:
            ready = httpx.get(served.url("/readyz"), timeout=30).json()
            response = httpx.post(
                served.url("/api/ask"),
                json={"question": MET.question},
                headers={"Accept": "text/event-stream"},
                timeout=60,
            )
            chunks = list(
                openai_client(served).chat.completions.create(
                    model="newsbot",
                    messages=[{"role": "user", "content": MET.question}],
                    stream=True,
                )
            )
    assert ready["checks"]["model"] == "ok"
    got = events(response)
    final = got[-1][1]
    assert got[-1][0] == "answer" and final["mode"] == "generated", final
    assert "October 30, 2025" in final["answer"] and final["citations"]
    assert [k for k, _ in got[:-1]] and {k for k, _ in got[:-1]} == {"delta"}
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "October 30, 2025" in text and "\n\nSources:\n[1] " in text


# Access rules.


def test_it_refuses_to_start_on_another_address_without_tokens(tmp_path: Path) -> None:
    from bot.errors import ConfigError
    from bot.web.access import check_bind

    for host in ("0.0.0.0", "192.0.2.10", "::", "newsroom.example"):
        with pytest.raises(ConfigError, match="NEWSBOT_API_TOKENS"):
            check_bind(host, ())
        check_bind(host, {"secret"})
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        check_bind(host, ())
    started = time.monotonic()
    done = run_newsbot("serve", "--host", "0.0.0.0", "--port", "9", data_dir=tmp_path / "data")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: refusing to serve on 0.0.0.0 without NEWSBOT_API_TOKENS")
    assert "Traceback" not in done.stderr and time.monotonic() - started < 30


TOKENS = "token-of-alice,token-of-bob"


@pytest.fixture(scope="module")
def guarded(service: Any, corpus: tuple[Path, Path], cache_home: Path) -> Iterator[ServedApp]:
    with serve(
        service,
        corpus,
        cache_home,
        api_tokens=TOKENS,
        api_questions_per_minute=3,
        api_max_request_bytes=2048,
        api_cors=("https://cms.example.org",),
    ) as served:
        yield served


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_with_tokens_every_route_but_healthz_needs_one(guarded: ServedApp) -> None:
    routes = [
        ("GET", "/api/search?q=pier"),
        ("GET", "/api/stats"),
        ("GET", "/api/articles/0123456789abcdef"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/v1/models"),
        ("POST", "/api/ask"),
        ("POST", "/v1/chat/completions"),
    ]
    with httpx.Client(base_url=guarded.base_url, timeout=60) as c:
        assert c.get("/healthz").status_code == 200
        for method, path in routes:
            for headers in ({}, bearer("token-of-eve"), {"Authorization": "token-of-alice"}):
                got = c.request(method, path, headers=headers, json={})
                assert got.status_code == 401, (method, path, got.text)
                assert got.headers["www-authenticate"] == "Bearer" and set(got.json()) == {"error"}
        assert c.get("/api/stats", headers=bearer("token-of-bob")).status_code == 200
    ai = openai_client(guarded, "token-of-alice")
    assert [m.id for m in ai.models.list()] == ["newsbot"]
    import openai

    with pytest.raises(openai.AuthenticationError):
        openai_client(guarded, "token-of-eve").models.list()


def test_conversations_belong_to_the_token_that_made_them(guarded: ServedApp) -> None:
    with httpx.Client(base_url=guarded.base_url, timeout=60) as c:
        first = c.post("/api/ask", json={"question": ROCKETS}, headers=bearer("token-of-alice"))
        conversation = first.json()["conversation"]
        theirs = {"question": FOLLOW_UP, "conversation": conversation}
        stolen = c.post("/api/ask", json=theirs, headers=bearer("token-of-bob"))
        assert stolen.status_code == 404 and "no such conversation" in stolen.json()["error"]


def test_each_token_has_its_questions_per_minute(
    service: Any, corpus: tuple[Path, Path], cache_home: Path
) -> None:
    with (
        serve(service, corpus, cache_home, api_tokens=TOKENS, api_questions_per_minute=2) as s,
        httpx.Client(base_url=s.base_url, timeout=60) as c,
    ):
        alice, bob = bearer("token-of-alice"), bearer("token-of-bob")
        asked = [c.post("/api/ask", json={"question": ASKED}, headers=alice) for _ in range(3)]
        assert [r.status_code for r in asked] == [200, 200, 429]
        assert asked[2].json()["error"].startswith("too many questions: ask again in")
        assert 1 <= int(asked[2].headers["retry-after"]) <= 60
        assert c.post("/api/ask", json={"question": ASKED}, headers=bob).status_code == 200
        assert c.get("/api/stats", headers=alice).status_code == 200  # not a question


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(guarded: ServedApp) -> None:
    auth = bearer("token-of-alice")
    with httpx.Client(base_url=guarded.base_url, timeout=60) as c:
        big = c.post("/api/ask", json={"question": "pier " * 1000}, headers=auth)
        assert big.status_code == 413 and "2048 bytes" in big.json()["error"]
        chunked = c.post(
            "/api/ask",
            content=iter([b'{"question": "pier"}']),
            headers=auth | {"content-type": "application/json"},
        )
        assert chunked.status_code == 411 and set(chunked.json()) == {"error"}


def test_cors_is_off_unless_origins_are_listed(web: ServedApp, guarded: ServedApp) -> None:
    preflight = {
        "Origin": "https://cms.example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    plain = httpx.options(web.url("/api/ask"), headers=preflight)
    assert "access-control-allow-origin" not in plain.headers
    listed = httpx.options(guarded.url("/api/ask"), headers=preflight)
    assert listed.headers["access-control-allow-origin"] == "https://cms.example.org"
    other = httpx.options(
        guarded.url("/api/ask"), headers=preflight | {"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.slow
def test_newsbot_serve_logs_questions_only_as_counts(seeded_data_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    secret_question = "Which agreement was renewed by the zanzibar delegation?"
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    env = base | {"NEWSBOT_DATA_DIR": str(seeded_data_dir), "NEWSBOT_DEBUG": "1"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(url + "/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                    time.sleep(0.2)
            answer = httpx.post(url + "/api/ask", json={"question": secret_question}, timeout=60)
            httpx.get(url + "/api/search", params={"q": secret_question}, timeout=60)
            page = httpx.get(url + "/", timeout=10)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert answer.status_code == 200 and page.status_code == 200
    text = log.read_text()
    assert f"newsbot serve: http://127.0.0.1:{port}/" in text
    assert "POST /api/ask 200" in text  # the debug log has the request, as a count
    assert "zanzibar" not in text.lower() and "Cross-Servicing" not in text


def test_conversations_are_bounded_and_expire() -> None:
    from bot.web.conversations import Conversations
    from bot.web.errors import NotFound

    now = [0.0]
    kept = Conversations(limit=2, ttl=100, clock=lambda: now[0])
    a, _ = kept.open("alice", None)
    b, _ = kept.open("alice", None)
    c, _ = kept.open("alice", None)
    assert len(kept) == 2
    with pytest.raises(NotFound):
        kept.open("alice", a)  # the least recently used went first
    now[0] = 50
    assert kept.open("alice", b)[0] == b
    now[0] = 120
    assert kept.open("alice", b)[0] == b  # used at 50: still kept
    with pytest.raises(NotFound):
        kept.open("alice", c)  # unused since 0: expired


@pytest.mark.llm
def test_the_real_model_streams_through_the_api(
    llm_server: Any, corpus: tuple[Path, Path], cache_home: Path
) -> None:
    """SmolLM2 on the llama.cpp server: the stream ends with the checked answer, whose every quote
    is the article's text at its offsets (a small model's answer may fall back to quotes)."""
    from bot.factory import build_service

    changes = {
        "openai_base_url": llm_server.base_url,
        "llm_model": "smollm2",
        "llm_max_tokens": 64,
        "llm_temperature": 0.0,
        "llm_timeout": 120.0,
        "top_k": 2,
    }
    generated = build_service(web_settings(corpus[1], cache_home, **changes))
    with serve(generated, corpus, cache_home, **changes) as served:
        response = httpx.post(
            served.url("/api/ask"),
            json={"question": "Which agreement did the two countries renew?"},
            headers={"Accept": "text/event-stream"},
            timeout=300,
        )
        got = events(response)
        kind, final = got[-1]
        assert kind == "answer" and final["refused"] is False, got
        streamed = "".join(d["text"] for k, d in got[:-1] if k == "delta")
        assert final["answer"].startswith(streamed) or final.get("notice")
        for c in final["citations"]:
            article = httpx.get(served.url(f"/api/articles/{c['article']}"), timeout=30).json()
            assert article["text"][c["start"] : c["end"]] == c["quote"]


def test_an_unexpected_error_is_one_line_too(
    service: Any, corpus: tuple[Path, Path], cache_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    class Broken:
        """The real service, but for a bug in its stats."""

        def __getattr__(self, name: str) -> Any:
            return getattr(service, name)

        def stats(self) -> Any:
            raise RuntimeError("a bug")

    with serve(Broken(), corpus, cache_home) as served:
        got = httpx.get(served.url("/api/stats"), timeout=30)
        metrics = httpx.get(served.url("/metrics"), timeout=30)
    assert got.status_code == 500
    assert got.json() == {
        "error": "unexpected RuntimeError: a bug (set NEWSBOT_DEBUG=1 to see the traceback)"
    }
    assert 'newsbot_errors_total{kind="RuntimeError"} 1.0' in metrics.text
    assert "Traceback" not in capfd.readouterr().err


def test_readyz_says_when_the_model_does_not_answer(
    service: Any, corpus: tuple[Path, Path], cache_home: Path
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    with serve(service, corpus, cache_home, openai_base_url=nobody) as served:
        got = httpx.get(served.url("/readyz"), timeout=30)
        alive = httpx.get(served.url("/healthz"), timeout=30)
    assert got.status_code == 502 and "the model server does not answer" in got.json()["error"]
    assert alive.status_code == 200


def test_sources_that_differ_are_listed_with_their_citations(client: httpx.Client) -> None:
    data = client.post("/api/ask", json={"question": DIFFER}).json()
    assert [d["value"] for d in data["disagreements"]] == ["250", "300"]
    files = {c["n"]: c["file"] for c in data["citations"]}
    assert [files[d["citations"][0]] for d in data["disagreements"]] == list(reversed(FLOODS))
    assert data["answer"].startswith("Sources differ: ")
