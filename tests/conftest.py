"""Shared fixtures: every test gets its own data dir and a clean environment; nothing leaves loopback."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import subprocess
import sys
import traceback
import warnings
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.settings import Settings
    from index.embedding import MiniLMEmbedder

from tests.support.llm_server import LlamaServer, llama_server_missing, smollm2_gguf

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_A = "000_68f61c1e7e3a137d.txt"  # the U.S. embassy's account
SEED_B = "001_883e8d29559a4da5.txt"  # the Malaysian outlet's account

_OUR_VARS = ("NEWSBOT_", "OPENAI_", "CHROMA_", "TELEGRAM_")
# The tests' web servers are on loopback, which fetches refuse unless it is opted in: 127.0.0.1 is
# the tests' "public" side, and 127.0.0.2 (also loopback on Linux) the internal one, never opted in.
OPT_IN = {"NEWSBOT_FETCH_ALLOW_PRIVATE": "127.0.0.1"}
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy")


def pytest_configure(config: pytest.Config) -> None:
    # A terminal's width is the pseudo-terminal's that a test opens; COLUMNS or LINES, which a
    # parallel run's workers are given, would override it for every command the tests start.
    del config
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the model server or the Chroma server is marked so, whether or not it says
    it: `make test-fast` leaves out `llm`, `chroma_server` and `slow` by marker."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, marker in (
            ("llm_server", pytest.mark.llm),
            ("chroma_server", pytest.mark.chroma_server),
        ):
            if fixture in names:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user cache of every test and of the commands they start: the int8 model file is made
    once per run, not once per test, and never in the developer's own cache."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # One for all the workers of a parallel run (beside their own temporary folders): the
        # model file is made by whichever worker comes first, written aside and renamed.
        shared = tmp_path_factory.getbasetemp().parent / "cache-home"
        shared.mkdir(exist_ok=True)
        return shared
    return tmp_path_factory.mktemp("cache-home")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache_home: Path) -> Iterator[Path]:
    """No setting of the developer's leaks in, and no test touches the repo's .newsbot/ or .env,
    nor the user's cache."""
    for name in list(os.environ):
        # A proxy setting would send the fetches of the loopback web server through a proxy.
        if name.startswith(_OUR_VARS) or name.lower() in _PROXY_VARS:
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    for name, value in OPT_IN.items():
        monkeypatch.setenv(name, value)
    # Not a NEWSBOT_ variable, so it reaches the commands that tests run with those stripped.
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="session")
def embedder(cache_home: Path) -> MiniLMEmbedder:
    from bot.settings import user_cache_dir
    from index.embedding import MiniLMEmbedder

    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_CACHE_HOME", str(cache_home))
        return MiniLMEmbedder(user_cache_dir())


@pytest.fixture
def settings(clean_env: Path) -> Settings:
    from bot.settings import Settings

    return Settings()


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A private copy of the seed articles that a test may change."""
    target = tmp_path / "articles"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with seeds/ indexed once, for tests that only read it (copy it before writing)."""
    data = tmp_path_factory.mktemp("seeded") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    env["NEWSBOT_DATA_DIR"] = str(data)
    subprocess.run(
        [sys.executable, "-m", "bot", "index", str(SEEDS)], env=env, check=True, capture_output=True
    )
    return data


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real `chroma run` on loopback for the session: `.host`, `.port`, `.env` (CHROMA_HOST/PORT).

    Tests that write to it use their own NEWSBOT_COLLECTION so they don't see each other's chunks.
    """
    from tests.support.chroma_server import ChromaServer

    folder = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(folder / "db", folder / "chroma.log")
    server.start()
    yield server
    server.stop()


def run_newsbot(
    *args: str, data_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    base["NEWSBOT_DATA_DIR"] = str(data_dir)
    base.update(OPT_IN)
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_articles(root: Path, articles: Mapping[str, str]) -> Path:
    """`root/articles`, holding each of `articles` (file name → text): a folder to index."""
    folder = root / "articles"
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def invoke_newsbot(
    *args: str, data_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`run_newsbot` in this process, through click's CliRunner: the same command line, settings and
    standard input, and what a process would have shown, without a cold start for each command.

    For the tests of flags, messages and exit statuses. What only a process shows (start-up time,
    what is imported, signals) is tested with `run_newsbot`. Around the command, the state that a
    process would have dropped when it ended is put back: the umask, logging's handlers and levels,
    the secrets to mask, Chroma's open stores, the warning filters, the open files; a stray
    exception is written to stderr as Python would, so that "no traceback" still fails when there
    is one.
    """
    from chromadb.api.shared_system_client import SharedSystemClient
    from click.testing import CliRunner

    from bot import redaction
    from bot.terminal.cli import cli

    values: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_OUR_VARS)}
    values["NEWSBOT_DATA_DIR"] = str(data_dir)
    values.update(OPT_IN)
    values.update(env or {})
    # click's width for help text outside a terminal (CliRunner would force 80).
    width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
    root = logging.getLogger()
    handlers = root.handlers[:]
    levels = {logger: logger.level for logger in _loggers()}
    secrets = set(redaction._secrets)
    stores = dict(SharedSystemClient._identifier_to_system)
    umask = os.umask(0o022)
    os.umask(umask)
    # Without handlers, `cli`'s logging.basicConfig writes to this command's stderr, as in a process.
    root.handlers[:] = []
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for quiet in (
                DeprecationWarning,
                PendingDeprecationWarning,
                ImportWarning,
                ResourceWarning,
            ):
                warnings.simplefilter("ignore", quiet)
            warnings.showwarning = _warning_to_stderr
            result = CliRunner().invoke(
                cli,
                list(args),
                input=stdin,
                env=values,
                prog_name="python -m bot",
                terminal_width=width,
            )
    finally:
        os.umask(umask)
        root.handlers[:] = handlers
        # `cli` quietens httpx and bm25s; a logger the command made is left as libraries make them.
        for logger in _loggers():
            if logger.level != (level := levels.get(logger, logging.NOTSET)):
                logger.setLevel(level)
        redaction._secrets.clear()
        redaction._secrets.update(secrets)
        for name, system in list(SharedSystemClient._identifier_to_system.items()):
            if name not in stores:
                with contextlib.suppress(Exception):
                    system.stop()
        SharedSystemClient._identifier_to_system = stores
        # A process's files close when it ends; here the command's open files (about 28: memory
        # maps, SQLite, WordNet) close when its objects are collected, and uncollected they pile
        # up past the 1,024 descriptors that select() (pexpect) can watch. A collection takes a
        # tenth of a second or more, so it waits until there are a few hundred.
        if _open_files() > 256:
            gc.collect()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "bot", *args], result.exit_code, result.stdout, stderr
    )


def _open_files() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: collect after every command
        return sys.maxsize


def _loggers() -> list[logging.Logger]:
    named = logging.Logger.manager.loggerDict.values()
    return [logging.getLogger(), *(x for x in named if isinstance(x, logging.Logger))]


def _warning_to_stderr(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


_llm: list[LlamaServer] = []  # the session's llama.cpp server, once started


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The real llama.cpp server with SmolLM2, started once and killed at the end of the session."""
    if reason := llama_server_missing():
        pytest.skip(reason)
    model = smollm2_gguf()
    assert model is not None
    server = LlamaServer(model, tmp_path_factory.mktemp("llm") / "server.log")
    server.start()
    _llm.append(server)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _llm_server_up(request: pytest.FixtureRequest) -> None:
    """A test that needs the model server fails at once, in one line, if it died earlier."""
    if "llm_server" not in request.fixturenames:
        return
    server: LlamaServer = request.getfixturevalue("llm_server")
    if (death := server.death()) is not None:
        during = f" during {server.died_during}" if server.died_during else ""
        pytest.fail(f"the llama.cpp server is down: it {death}{during}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The test during which the model server died says so, with the end of the server's log,
    rather than a bare "connection refused"."""
    report: pytest.TestReport = yield
    server = _llm[0] if _llm else None
    if (
        report.when == "call"
        and report.failed
        and server is not None
        and server.died_during is None
        and (death := server.death()) is not None
    ):
        server.died_during = item.nodeid
        crash = getattr(report.longrepr, "reprcrash", None)
        ended = crash.message if crash else str(report.longrepr).strip()
        report.longrepr = (
            f"llama.cpp server {death} during this test; the last lines of its log:\n"
            f"{server.log_tail()}\n\n(the test itself ended with: {ended.splitlines()[0][:300]})"
        )
    return report
