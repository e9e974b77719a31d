"""Sources written to break or abuse their reader, end to end through `newsbot index`: each fails
on its own with its reason, costs no more than its bounds, and never reaches an internal address.

127.0.0.1 is the "public" side (opted in, as every test's web server is) and 127.0.0.2 the
internal one, never opted in: a request that reaches it is a request newsbot should not have made.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _OUR_VARS, OPT_IN, SEED_A, SEEDS, invoke_newsbot
from tests.support.documents import docx_bytes, pdf_of_pages, text_page
from tests.support.news_pages import MORE_STORIES, STORIES, export_record, news_page, rss_feed
from tests.support.web_server import Route, WebServer

HARBOUR, FERRY, MARKET = STORIES
BRIDGE, SCHOOL, WATER, MUSEUM = MORE_STORIES
FEED_TYPE = "application/rss+xml; charset=utf-8"


def _skipped(out: str) -> dict[str, str]:
    return dict(re.findall(r"^  skipped (.+?): (.+)$", out, flags=re.M))


def _cut(out: str) -> dict[str, str]:
    return dict(re.findall(r"^  cut (.+?): (.+)$", out, flags=re.M))


@pytest.fixture(scope="module")
def internal() -> Iterator[WebServer]:
    """A server at an internal address, with something worth stealing on it."""
    with WebServer("127.0.0.2") as server:
        secret = news_page(SCHOOL, 0, url="http://127.0.0.2/").replace(
            SCHOOL.paragraphs[0], "The admin password is ZEBRA-PLUTO-4471, said the intranet."
        )
        server.route("/secret", Route(secret.encode()))
        yield server


@pytest.fixture(scope="module")
def public(internal: WebServer) -> Iterator[WebServer]:
    with WebServer() as server:
        site = server.url("")
        server.route(
            "/news/harbour", Route(news_page(HARBOUR, 0, url=f"{site}/news/harbour").encode())
        )
        server.route("/to-internal", Route(redirect=internal.url("/secret")))
        # All ASCII, so the codec itself fails (a bare UnicodeError, "Invalid extended code
        # point"), not the bytes: what ended a whole run before.
        punycode = news_page(BRIDGE, 0, url=f"{site}/puny").encode("ascii", "ignore")
        server.route("/puny", Route(punycode, "text/html; charset=punycode"))
        # Two kilobytes of gzip in gzip that would inflate to a gigabyte.
        inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        packed = b"".join(inner.compress(bytes(1 << 20)) for _ in range(1024)) + inner.flush()
        server.route(
            "/bomb",
            Route(gzip.compress(packed, 9), headers={"Content-Encoding": "gzip, gzip"}),
        )
        one = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        single = b"".join(one.compress(bytes(1 << 20)) for _ in range(64)) + one.flush()
        server.route("/gzip-bomb", Route(single, headers={"Content-Encoding": "gzip"}))
        # A feed whose entries link inside: the open port and a closed one must read the same.
        closed = _closed_port("127.0.0.2")
        entries = [
            (f"{internal.url('/secret')}", "open"),
            (f"http://127.0.0.2:{closed}/secret", "closed"),
            ("http://169.254.169.254/latest/meta-data/", "metadata"),
            ("http://[::1]:9/", "v6"),
            ("http://10.1.2.3/", "ten"),
        ]
        items = "".join(
            f"<item><title>Entry {tag}</title><link>{link}</link><guid>{tag}</guid>"
            f"<description>See the page.</description></item>"
            for link, tag in entries
        )
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Inside</title>'
            f"{items}</channel></rss>"
        )
        server.route("/inside.rss", Route(feed.encode(), FEED_TYPE))
        server.closed_port = closed  # type: ignore[attr-defined]
        yield server


def _closed_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# -------------------------------------------------------------------- a folder of bad files


def _deep_docx() -> bytes:
    """A 400 KB draft whose XML inflates to 40 MB."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(MUSEUM)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b" " * (40 << 20) + b"</w:body>")
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def bad_folder(
    tmp_path_factory: pytest.TempPathFactory, internal: WebServer
) -> tuple[Path, str, float]:
    root = tmp_path_factory.mktemp("hostile")
    folder, outside = root / "articles", root / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / SEED_A).write_bytes((SEEDS / SEED_A).read_bytes())
    good = json.dumps(export_record(FERRY))
    deep = "[" * 100_000 + "]" * 100_000
    (folder / "deep.jsonl").write_text(f"{good}\n{deep}\n")
    (folder / "cms.jsonl").write_text(
        json.dumps({**export_record(MARKET), "url": "https://courier.example/" + "a" * 4100}) + "\n"
    )
    # A feed whose entry's HTML carries an escape character (a terminal's "set the title").
    feed = rss_feed([WATER], full=True)
    start = feed.index("<![CDATA[")
    escaped = feed[:start] + feed[start:].replace(WATER.paragraphs[0][:20], "&#27;]0;pwned&#7;", 1)
    (folder / "wire.rss").write_text(escaped)
    (folder / "inside.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>In</title><item><title>x</title>'
        f"<link>{internal.url('/secret')}</link><guid>in-1</guid><description>See.</description>"
        "</item></channel></rss>"
    )
    many = rss_feed([HARBOUR, FERRY, MARKET, BRIDGE, SCHOOL, WATER, MUSEUM], full=True)
    (folder / "many.rss").write_text(many)
    # Pages that share one heavy content stream, and a draft that inflates to 40 MB.
    heavy = b"BT /F1 10 Tf 60 780 Td " + b"(x) Tj " * ((8 << 20) // 7) + b" ET"
    (folder / "stall.pdf").write_bytes(pdf_of_pages([heavy] * 40, shared=True))
    slow = b"BT /F1 10 Tf 60 780 Td " + b"(x) Tj " * (900 * 1024 // 7) + b" ET"
    (folder / "slow.pdf").write_bytes(pdf_of_pages([slow] * 40, shared=True))
    (folder / "bomb.docx").write_bytes(_deep_docx())
    pages = [
        text_page([f"Page {n} of the harbour report says the quay reopened on Monday."])
        for n in range(32)
    ]
    (folder / "report.pdf").write_bytes(pdf_of_pages(pages))
    # Links out of the folder.
    (outside / "secret.txt").write_text("Launch codes\n\nThe launch code is ZEBRA-PLUTO-4471.\n")
    (folder / "linked.txt").symlink_to(outside / "secret.txt")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    env = {
        "NEWSBOT_FEED_MAX_ENTRIES": "5",
        "NEWSBOT_PDF_MAX_PAGES": "30",
        "NEWSBOT_DOCUMENT_TIMEOUT": "4",
        "NEWSBOT_FETCH_TIMEOUT": "2",
    }
    started = time.monotonic()
    done = invoke_newsbot("index", str(folder), data_dir=root / "data", env=env)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "data", done.stdout, took


def test_a_file_nested_too_deeply_fails_alone_and_the_rest_is_indexed(bad_folder) -> None:
    data, out, _ = bad_folder
    skipped = _skipped(out)
    assert skipped["deep.jsonl"].startswith("JSON nested too deeply to read, line 2"), out
    done = invoke_newsbot("ask", "--json", STORIES[1].question, data_dir=data)
    assert json.loads(done.stdout)["citations"][0]["file"] == "many.rss#cc-ferry-electric-ships"
    assert invoke_newsbot("search", "--json", "ASEAN defence", data_dir=data).returncode == 0


def test_an_escape_in_a_feed_entry_is_dropped_not_fatal(bad_folder) -> None:
    data, out, _ = bad_folder
    assert not any(name.startswith("wire.rss") for name in _skipped(out)), out
    done = invoke_newsbot("search", "--json", WATER.question, data_dir=data)
    assert "\x1b" not in done.stdout and "\\u001b" not in done.stdout
    assert any(hit["file"].startswith("wire.rss#") for hit in json.loads(done.stdout))


def test_links_out_of_the_folder_are_named_and_not_followed(bad_folder) -> None:
    data, out, _ = bad_folder
    skipped = _skipped(out)
    assert "outside the folder" in skipped["linked.txt"]
    assert "outside the folder" in skipped["elsewhere"]
    done = invoke_newsbot("search", "--json", "launch code ZEBRA", data_dir=data)
    assert "ZEBRA" not in done.stdout


def test_a_feed_file_never_reaches_an_internal_address(bad_folder, internal: WebServer) -> None:
    _, out, _ = bad_folder
    reason = _skipped(out)["inside.xml#in-1"]
    assert reason.startswith("refused: 127.0.0.2 is an internal address (loopback)"), reason
    assert internal.hits("/secret") == []


def test_documents_are_read_within_their_bounds(bad_folder) -> None:
    _, out, took = bad_folder
    skipped = _skipped(out)
    # 40 pages that each draw one 8 MB stream: left out without reading them.
    assert skipped["stall.pdf"].startswith("no text read") and "pages left out" in out, out
    # 40 pages of a stream that takes a second or more each to read: stopped at 4 s.
    assert skipped["slow.pdf"] == "took too long to read (more than 4 s)", out
    assert skipped["bomb.docx"].startswith("too large once inflated (40.8 MB of XML"), out
    assert took < 60, took


def test_caps_cut_and_say_what_they_cut(bad_folder) -> None:
    _, out, _ = bad_folder
    cut = _cut(out)
    assert cut["many.rss"] == "read the first 5 of 7 entries", out
    assert cut["report.pdf"] == "read the first 30 of 32 pages", out
    link = cut["cms.jsonl#cms-market-roof-vote"]
    assert link.startswith("its link was dropped (4,124 characters; the limit is 2,000)"), out


def test_the_data_dir_is_private(bad_folder) -> None:
    data, _, _ = bad_folder
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    written = [p for p in data.rglob("*") if p.is_file()]
    assert any("snapshots" in p.parts for p in written) and any(
        "sources" in p.parts for p in written
    )
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# ----------------------------------------------------------------------------- addresses


@pytest.fixture(scope="module")
def address_run(public: WebServer, internal: WebServer, tmp_path_factory) -> str:
    data = tmp_path_factory.mktemp("addresses") / "data"
    urls = [
        public.url(p)
        for p in ("/news/harbour", "/to-internal", "/puny", "/inside.rss", "/bomb", "/gzip-bomb")
    ]
    done = invoke_newsbot("index", *urls, data_dir=data, env={"NEWSBOT_FETCH_TIMEOUT": "3"})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_internal_addresses_are_refused_on_every_hop(address_run, public, internal) -> None:
    skipped = _skipped(address_run)
    assert skipped[public.url("/to-internal")].startswith(
        "refused: 127.0.0.2 is an internal address (loopback)"
    ), address_run
    for name, kind in [
        ("169.254.169.254/latest/meta-data/", "link-local"),
        ("[::1]:9/", "loopback"),
        ("10.1.2.3/", "private"),
    ]:
        assert skipped[name].startswith("refused: ") and kind in skipped[name], (name, address_run)
    assert internal.hits("/secret") == []
    assert address_run.startswith("2 added"), address_run  # the harbour, and the punycode page


def test_a_refusal_reads_the_same_whether_the_port_is_open_or_not(
    address_run, public, internal
) -> None:
    skipped = _skipped(address_run)
    open_port = skipped[f"127.0.0.2:{internal.port}/secret"]
    closed = skipped[f"127.0.0.2:{public.closed_port}/secret"]
    assert open_port.replace(str(internal.port), "PORT") == closed.replace(
        str(public.closed_port), "PORT"
    )


def test_a_page_in_a_codec_no_page_uses_is_read_by_detection(address_run, public) -> None:
    # Punycode fails on the page with an error of its own; detection reads it as UTF-8.
    assert public.url("/puny") not in _skipped(address_run), address_run


def test_stacked_encodings_are_refused_and_a_bomb_stops_at_the_limit(address_run, public) -> None:
    skipped = _skipped(address_run)
    assert skipped[public.url("/bomb")] == "refused: more than one content encoding (gzip, gzip)"
    assert skipped[public.url("/gzip-bomb")].startswith("over the size limit (more than 5.0 MB)")


def test_a_name_that_resolves_inside_is_refused(public: WebServer, tmp_path: Path) -> None:
    url = f"http://localhost:{public.port}/news/harbour"
    before = len(public.hits("/news/harbour"))
    refused = invoke_newsbot(
        "index", url, data_dir=tmp_path / "a", env={"NEWSBOT_FETCH_ALLOW_PRIVATE": ""}
    )
    reason = _skipped(refused.stdout)[url]
    assert reason.startswith("refused: localhost resolves to internal addresses only"), reason
    assert len(public.hits("/news/harbour")) == before
    # Opted in by its name, it is read.
    opted = invoke_newsbot(
        "index", url, data_dir=tmp_path / "b", env={"NEWSBOT_FETCH_ALLOW_PRIVATE": "localhost"}
    )
    assert opted.stdout.startswith("1 added"), opted.stdout


# ----------------------------------------------------------------------------- time


def _dripping_server(stop: threading.Event) -> int:
    """A server that sends its headers one byte every 0.2 s, for as long as it is let."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                    if stop.wait(0.2):
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def test_a_server_that_drips_its_headers_is_cut_off_at_the_timeout(tmp_path: Path) -> None:
    stop = threading.Event()
    port = _dripping_server(stop)
    url = f"http://127.0.0.1:{port}/slow"
    try:
        started = time.monotonic()
        done = invoke_newsbot(
            "index", url, str(SEEDS), data_dir=tmp_path / "data", env={"NEWSBOT_FETCH_TIMEOUT": "2"}
        )
        took = time.monotonic() - started
    finally:
        stop.set()
    assert done.returncode == 0, done.stderr
    assert _skipped(done.stdout)[url].startswith("timed out after 2 s"), done.stdout
    # The drip would hold it for 200 s; startup and the seeds take a few.
    assert took < 40, took


# ----------------------------------------------------------------------------- --watch


# Two watch cycles in a process of its own; one indexing run reads the same bad file above.
@pytest.mark.slow
def test_watch_goes_on_past_a_bad_source(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / SEED_A).write_bytes((SEEDS / SEED_A).read_bytes())
    (folder / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    env.update(OPT_IN, NEWSBOT_DATA_DIR=str(tmp_path / "data"))
    watch = subprocess.Popen(
        [sys.executable, "-m", "bot", "index", "--watch", "--every", "1s", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert watch.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(" cycle 2: " in line for line in lines) and time.monotonic() < deadline:
            line = watch.stdout.readline()
            if not line:
                break
            lines.append(line)
        watch.send_signal(signal.SIGTERM)
        rest, _ = watch.communicate(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert any(" cycle 2: " in line for line in lines), lines
    assert "deep.jsonl (JSON nested too deeply" in lines[0], lines
    assert watch.returncode == 0, [*lines, rest]
