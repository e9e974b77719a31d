"""`newsbot ask` for staff: each flag, the exit statuses, and what it costs to start."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import _OUR_VARS, SEED_A, SEED_B, SEEDS, invoke_newsbot, run_newsbot

RENEWED = "Which agreement was renewed?"  # answered from both seed articles
NOT_COVERED = "What is the capital of France?"
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def in_terminal(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `newsbot ask ...` with its output on a pseudo-terminal, as a person at a shell."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_VARS)}
    full_env.pop("NO_COLOR", None)
    full_env |= {"NEWSBOT_DATA_DIR": str(data_dir), "TERM": "xterm-256color", **(env or {})}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "ask", *args],
        env=full_env,
        encoding="utf-8",
        dimensions=(50, 250),
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before.replace("\r\n", "\n")


@pytest.mark.slow
def test_on_a_terminal_the_answer_is_in_colour(seeded_data_dir: Path) -> None:
    code, out = in_terminal(RENEWED, data_dir=seeded_data_dir)
    assert code == 0
    assert "\x1b[" in out
    text = " ".join(_ANSI.sub("", out).split())
    assert "Acquisition and Cross-Servicing Agreement" in text
    assert f"[1] {SEED_A}" in text and f"[2] {SEED_B}" in text
    # On a terminal each source also shows its quote in context.
    assert "Memorandum of Understanding on Defense Cooperation" in text


@pytest.fixture(scope="module")
def renewed(seeded_data_dir: Path) -> tuple[dict[str, Any], set[str]]:
    """`ask --json RENEWED` run once, with the modules it imported."""
    done = run_newsbot(
        "ask", "--json", RENEWED, data_dir=seeded_data_dir, env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert done.returncode == 0
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return json.loads(done.stdout), imported


@pytest.mark.slow
def test_no_color_is_the_plain_text_of_a_pipe(seeded_data_dir: Path) -> None:
    piped = invoke_newsbot("ask", RENEWED, data_dir=seeded_data_dir)
    assert piped.returncode == 0 and "\x1b" not in piped.stdout
    for args, env in [([RENEWED, "--no-color"], {}), ([RENEWED], {"NO_COLOR": "1"})]:
        code, out = in_terminal(*args, data_dir=seeded_data_dir, env=env)
        assert code == 0 and "\x1b" not in out
        assert out.strip() == piped.stdout.strip()


def test_source_only_prints_the_sources_and_their_quotes(
    seeded_data_dir: Path, renewed: tuple[dict[str, Any], set[str]]
) -> None:
    full = renewed[0]
    done = invoke_newsbot("ask", "--source-only", RENEWED, data_dir=seeded_data_dir)
    assert done.returncode == 0
    assert done.stdout.startswith("[1] "), "the sources alone, not the answer"
    for c in full["citations"]:
        assert f"[{c['n']}] {c['file']} — {c['title']}" in done.stdout
        assert f"    “{' '.join(c['quote'].split())}”" in done.stdout

    listed = invoke_newsbot("ask", "--source-only", "--json", RENEWED, data_dir=seeded_data_dir)
    assert listed.returncode == 0
    citations = json.loads(listed.stdout)
    assert citations == full["citations"]
    for c in citations:
        assert (SEEDS / c["file"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]


def test_source_only_when_the_articles_do_not_cover_it(seeded_data_dir: Path) -> None:
    done = invoke_newsbot("ask", "--source-only", NOT_COVERED, data_dir=seeded_data_dir)
    assert done.returncode == 3
    assert done.stdout == ""
    assert "don't cover" in done.stderr
    listed = invoke_newsbot("ask", "--source-only", "--json", NOT_COVERED, data_dir=seeded_data_dir)
    assert listed.returncode == 3 and json.loads(listed.stdout) == []


def test_k_limits_the_passages_read(
    seeded_data_dir: Path, renewed: tuple[dict[str, Any], set[str]]
) -> None:
    wide = renewed[0]
    assert {c["file"] for c in wide["citations"]} == {SEED_A, SEED_B}
    narrow = invoke_newsbot("ask", "--json", "--k", "1", RENEWED, data_dir=seeded_data_dir)
    assert narrow.returncode == 0
    cited = json.loads(narrow.stdout)["citations"]
    assert len({c["file"] for c in cited}) == 1 and all(c["also_in"] == [] for c in cited)

    bad = invoke_newsbot("ask", "--k", "0", RENEWED, data_dir=seeded_data_dir)
    assert bad.returncode == 2 and "--k" in bad.stderr and "Traceback" not in bad.stderr


def test_as_of_leaves_out_later_articles(seeded_data_dir: Path) -> None:
    # SEED_A is dated 2025-10-30; SEED_B carries no date, so it is always in.
    done = invoke_newsbot(
        "ask", "--json", "--as-of", "2025-10-01", RENEWED, data_dir=seeded_data_dir
    )
    assert done.returncode == 0
    assert {c["file"] for c in json.loads(done.stdout)["citations"]} == {SEED_B}


def test_json_reports_the_as_of_used(seeded_data_dir: Path) -> None:
    before = date.today()
    today = invoke_newsbot("ask", "--json", RENEWED, data_dir=seeded_data_dir)
    assert json.loads(today.stdout)["as_of"] in {before.isoformat(), date.today().isoformat()}

    # A date in the question, with its year, ends what is read: a week after September 2025.
    dated = "Which agreement had been renewed by September 2025?"
    asked = json.loads(invoke_newsbot("ask", "--json", dated, data_dir=seeded_data_dir).stdout)
    assert asked["as_of"] == "2025-10-07"
    found = invoke_newsbot("search", "--json", dated, data_dir=seeded_data_dir)
    assert {p["file"] for p in json.loads(found.stdout)} == {SEED_B}  # SEED_A is of 2025-10-30

    # An explicit --as-of wins over the question's date.
    args = ("ask", "--json", "--as-of", "2025-11-15", dated)
    assert (
        json.loads(invoke_newsbot(*args, data_dir=seeded_data_dir).stdout)["as_of"] == "2025-11-15"
    )


def test_question_from_stdin_and_its_errors(seeded_data_dir: Path) -> None:
    piped = invoke_newsbot("ask", "-", "--source-only", data_dir=seeded_data_dir, stdin=RENEWED)
    assert piped.returncode == 0 and f"[1] {SEED_A}" in piped.stdout
    empty = invoke_newsbot("ask", "-", data_dir=seeded_data_dir, stdin="")
    assert empty.returncode == 1
    assert empty.stderr.startswith("error: ") and len(empty.stderr.strip().splitlines()) == 1


def test_ask_does_not_load_what_it_does_not_use(renewed: tuple[dict[str, Any], set[str]]) -> None:
    """No Telegram stack, chat library, LlamaIndex or model client when no model is configured."""
    imported = renewed[1]
    assert "bot.terminal.cli" in imported and "bot.service" in imported
    top_level = {name.split(".")[0] for name in imported}
    # A library's probe for an optional one (thinc's `import torch`) is listed too; what is not
    # installed was not loaded.
    loaded = {name for name in top_level if importlib.util.find_spec(name) is not None}
    assert not loaded & {"telegram", "prompt_toolkit", "llama_index", "openai", "torch"}


@pytest.mark.slow
def test_ask_with_a_current_catalogue_does_not_load_chroma(
    seeded_data_dir: Path, renewed: tuple[dict[str, Any], set[str]]
) -> None:
    """Once the catalogue on disk matches the collection's version (read from Chroma's SQLite file),
    a cold `ask` answers without importing chromadb, and still checks the model it was built with."""
    done = run_newsbot(
        "ask", "--json", RENEWED, data_dir=seeded_data_dir, env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    assert done.returncode == 0
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "chromadb" not in imported
    assert json.loads(done.stdout) == renewed[0]
