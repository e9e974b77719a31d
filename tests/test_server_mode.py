"""Several processes, one store: a real `chroma run` server, and what embedded mode does instead."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _OUR_VARS, SEEDS, run_newsbot

pytestmark = pytest.mark.chroma_server

HARBOUR = (
    "Harbour lighthouse repairs finish early\n\nPublished: 2025-11-02\n\n"
    "The harbour authority said the lighthouse repairs finished two weeks early and cost "
    "3 million ringgit.\n"
)
HARBOUR_Q = "What did the harbour authority say about the lighthouse repairs?"
SUMMIT_Q = "Who met at the ASEAN defence meeting?"

# A reader that answers in a loop for a while, as a bot does, and reports what went wrong.
_READER = """
import pathlib, sys, time
from bot.factory import build_service
from bot.settings import Settings
service = build_service(Settings())
stop, started = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
answered, errors = 0, []
end = time.monotonic() + 180
while time.monotonic() < end and not stop.exists():
    try:
        service.answer(sys.argv[3])
        answered += 1
        started.touch()
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.2)
print(answered, len(errors), errors[:3], flush=True)
"""


def _server_env(server: object, collection: str) -> dict[str, str]:
    return {**server.env, "NEWSBOT_COLLECTION": collection}  # type: ignore[attr-defined]


def _set_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_index_in_one_process_and_ask_in_another(chroma_server, tmp_path: Path) -> None:
    env = _server_env(chroma_server, "srv-share")
    done = run_newsbot("index", str(SEEDS), data_dir=tmp_path / "indexer", env=env)
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout
    # Nothing was written locally: the chunks live on the server.
    assert not (tmp_path / "indexer" / "chroma").exists()

    asked = run_newsbot("ask", "--json", SUMMIT_Q, data_dir=tmp_path / "asker", env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert "Hegseth" in answer["citations"][0]["quote"]
    assert not (tmp_path / "asker" / "chroma").exists()


def test_serving_process_sees_a_new_index_run_and_never_fails_meanwhile(
    chroma_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_dir: Path
) -> None:
    env = _server_env(chroma_server, "srv-live")
    _set_env(monkeypatch, env)
    assert run_newsbot("index", str(seed_dir), data_dir=tmp_path / "i", env=env).returncode == 0

    from bot.factory import build_service
    from bot.settings import Settings

    service = build_service(Settings())
    assert service.answer(HARBOUR_Q).refused

    # Another serving process (a Telegram bot, say) beside this one (a chat): both keep
    # answering while another process indexes.
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    stop_file = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, str(stop_file), str(tmp_path / f"up{n}"), SUMMIT_Q],
            env={**base, **env, "NEWSBOT_DATA_DIR": str(tmp_path / f"reader{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(1)
    ]
    errors: list[str] = []
    stop = threading.Event()

    def ask_in_a_loop() -> None:
        while not stop.is_set():
            try:
                service.answer(SUMMIT_Q)
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(0.2)

    loop = threading.Thread(target=ask_in_a_loop)
    loop.start()
    try:
        # The reader processes first answer from the version before the index runs.
        deadline = time.monotonic() + 90
        while not (tmp_path / "up0").exists():
            assert time.monotonic() < deadline and all(r.poll() is None for r in readers)
            time.sleep(0.2)
        (seed_dir / "harbour.txt").write_text(HARBOUR + "\nUpdate: crews left the site.\n")
        run = run_newsbot("index", str(seed_dir), data_dir=tmp_path / "i", env=env)
        assert run.returncode == 0, run.stderr
        time.sleep(1)  # one more round of questions against the new version
    finally:
        stop.set()
        stop_file.touch()
        loop.join()
    outputs = [r.communicate(timeout=120) for r in readers]

    assert errors == []
    for reader, (out, err) in zip(readers, outputs, strict=True):
        assert reader.returncode == 0, err
        answered, failed = out.split()[:2]
        assert int(answered) > 0 and failed == "0", out
    answer = service.answer(HARBOUR_Q)
    assert not answer.refused
    assert answer.citations[0].file == "harbour.txt"
    assert "crews left" in service.search("crews left the site update")[0].chunk.text


class _EchoingAuthServer(http.server.BaseHTTPRequestHandler):
    """A hostile stand-in: refuses every request and quotes the Authorization header back."""

    seen: list[str] = []  # noqa: RUF012

    def _refuse(self) -> None:
        header = self.headers.get("Authorization", "")
        type(self).seen.append(header)
        body = json.dumps({"error": "Unauthorized", "message": f"bad credentials: {header}"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echoing_server() -> Iterator[int]:
    _EchoingAuthServer.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingAuthServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_auth_token_is_sent_but_never_shown(echoing_server: int, tmp_path: Path) -> None:
    token = "tok3n-Sup3rS3cret-98765"
    env = {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(echoing_server),
        "CHROMA_AUTH_TOKEN": token,
    }
    for args in (("ask", SUMMIT_Q), ("index", str(SEEDS))):
        done = run_newsbot(*args, data_dir=tmp_path / "d", env=env)
        assert done.returncode == 1
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr
        assert token not in done.stderr + done.stdout
    assert f"Bearer {token}" in _EchoingAuthServer.seen


def test_openai_key_is_never_shown(echoing_server: int, tmp_path: Path) -> None:
    key = "sk-test-N0tForY0urEyes-424242"
    env = {
        "OPENAI_API_KEY": key,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{echoing_server}/v1",
        "NEWSBOT_EMBED_MODEL": "text-embedding-3-small",
    }
    done = run_newsbot("index", str(SEEDS), data_dir=tmp_path / "d", env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert key not in done.stderr + done.stdout
    assert f"Bearer {key}" in _EchoingAuthServer.seen
    bad = run_newsbot("ask", "who?", data_dir=tmp_path / "d", env={**env, "NEWSBOT_TOP_K": "x"})
    assert bad.returncode == 1 and "top_k" in bad.stderr and key not in bad.stderr


def test_embedded_second_writer_is_told_to_use_a_server(seed_dir: Path, tmp_path: Path) -> None:
    import fcntl

    data = tmp_path / "data"
    assert run_newsbot("index", str(seed_dir), data_dir=data).returncode == 0
    (seed_dir / "harbour.txt").write_text(HARBOUR)
    # This process plays a `newsbot index` that is still writing.
    fd = os.open(data / "chroma" / "newsbot-write.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        blocked = run_newsbot("index", str(seed_dir), data_dir=data)
        # Readers are never turned away.
        asked = run_newsbot("ask", SUMMIT_Q, data_dir=data)
    finally:
        os.close(fd)
    assert blocked.returncode == 1 and "Traceback" not in blocked.stderr
    assert "another `newsbot index`" in blocked.stderr and "CHROMA_HOST" in blocked.stderr
    assert asked.returncode == 0
    after = run_newsbot("index", str(seed_dir), data_dir=data)
    assert after.returncode == 0 and "1 added" in after.stdout


def test_embedded_serving_process_finds_articles_another_process_indexed(
    seed_dir: Path, tmp_path: Path
) -> None:
    """Embedded Chroma 1.5 lets two processes open one store (nothing fails), but each keeps its
    own in-memory vector index; newsbot reopens the store when the version stamp changes."""
    from bot.factory import build_service
    from bot.settings import Settings

    assert run_newsbot("index", str(seed_dir), data_dir=tmp_path / "data").returncode == 0
    service = build_service(Settings())
    assert service.answer(HARBOUR_Q).refused
    (seed_dir / "harbour.txt").write_text(HARBOUR)
    assert run_newsbot("index", str(seed_dir), data_dir=tmp_path / "data").returncode == 0
    answer = service.answer(HARBOUR_Q)
    assert not answer.refused and answer.citations[0].file == "harbour.txt"
    passage = service.search(HARBOUR_Q)[0]
    assert passage.file == "harbour.txt" and passage.dense > 0.3


def test_lexical_cache_built_by_many_at_once_never_fails(
    seeded_data_dir: Path, tmp_path: Path
) -> None:
    """Bots sharing a data dir rebuild the cache together after an index run."""
    from bot.factory import build_store
    from bot.settings import Settings
    from index.embedding import MiniLMEmbedder
    from index.search.catalog_sync import current_catalog

    settings = Settings(data_dir=seeded_data_dir)
    store = build_store(settings, MiniLMEmbedder(settings.model_cache_dir))
    errors: list[str] = []
    sizes: list[int] = []

    def load() -> None:
        try:
            sizes.append(len(current_catalog(store, tmp_path / "cache")))
        except Exception as exc:
            errors.append(repr(exc))

    for _ in range(5):
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(set(sizes)) == 1 and sizes[0] == store.count()
    folder = tmp_path / "cache" / store.config.collection
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [store.config.collection]
    assert sorted(p.name.split("-")[0] for p in folder.iterdir()) == [
        "catalog.json",
        "seg",
        "update.lock",
    ]


def test_telegram_main_case_against_a_chroma_server(chroma_server, tmp_path: Path) -> None:
    from tests.test_telegram_cli import main_case

    env = _server_env(chroma_server, "srv-telegram")
    indexed = run_newsbot("index", str(SEEDS), data_dir=tmp_path / "indexer", env=env)
    assert indexed.returncode == 0, indexed.stderr
    # The bot has a data dir of its own: everything it answers from comes from the server.
    main_case(tmp_path / "bot", env)


# A bot process: two threads answer in a loop, as a bot's handlers do. It notes, for each answer,
# the catalogue version it was asked under and whether it cited the new article, and the name of
# the catalogue's first segment (a full rebuild would replace it).
_TWO_THREAD_READER = """
import json, pathlib, sys, threading
from bot.factory import build_service
from bot.settings import Settings
service = build_service(Settings())
stop, up, found = (pathlib.Path(p) for p in sys.argv[1:4])
question = sys.argv[4]
log, errors = [], []
def loop():
    while not stop.exists():
        try:
            catalog = service.retriever.catalog
            answer = service.answer(question)
            new = not answer.refused and answer.citations[0].file == "harbour.txt"
            log.append((catalog.version, catalog.segments[0].name, new))
            up.touch()
            if new:
                found.touch()
        except Exception as exc:
            errors.append(repr(exc))
threads = [threading.Thread(target=loop) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"log": log, "errors": errors[:3]}), flush=True)
"""


def test_two_bots_on_one_server_answer_from_new_articles_without_a_rebuild(
    chroma_server, tmp_path: Path, seed_dir: Path
) -> None:
    env = _server_env(chroma_server, "srv-two-bots")
    assert run_newsbot("index", str(seed_dir), data_dir=tmp_path / "i", env=env).returncode == 0
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    stop = tmp_path / "stop"
    bots = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TWO_THREAD_READER,
                str(stop),
                str(tmp_path / f"up{n}"),
                str(tmp_path / f"found{n}"),
                HARBOUR_Q,
            ],
            env={**base, **env, "NEWSBOT_DATA_DIR": str(tmp_path / f"bot{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        for n in range(2):
            while not (tmp_path / f"up{n}").exists():
                assert time.monotonic() < deadline and all(b.poll() is None for b in bots)
                time.sleep(0.1)
        (seed_dir / "harbour.txt").write_text(HARBOUR)
        run = run_newsbot("index", str(seed_dir), data_dir=tmp_path / "i", env=env)
        assert run.returncode == 0, run.stderr
        for n in range(2):
            while not (tmp_path / f"found{n}").exists():
                assert time.monotonic() < deadline and all(b.poll() is None for b in bots)
                time.sleep(0.1)
    finally:
        stop.touch()
    for bot in bots:
        out, err = bot.communicate(timeout=120)
        assert bot.returncode == 0, err
        result = json.loads(out)
        assert result["errors"] == []
        log = result["log"]
        versions = list(dict.fromkeys(v for v, _, _ in log))
        assert len(versions) == 2  # before the index run, and after it
        # Brought up to date, not rebuilt: the first segment stayed.
        assert len({first for _, first, _ in log}) == 1
        # Every answer asked once the catalogue had the new version found the new article (one
        # begun just before may have been answered from it too, but from nothing older).
        assert all(new for v, _, new in log if v == versions[1])
        assert not log[0][2]
