"""`newsbot ask` end to end over the indexed seed articles: in this process through the CLI, and as
a person runs it, a process, for its exit statuses and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.embedding import MiniLMEmbedder
from tests.conftest import SEED_A, SEED_B, SEEDS, invoke_newsbot, run_newsbot


def ask_json(question: str, data_dir: Path) -> tuple[int, dict]:
    done = invoke_newsbot("ask", "--json", question, data_dir=data_dir)
    assert done.stderr == "" or "error" not in done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize(
    ("question", "must_contain"),
    [
        ("Who met at the ASEAN defence meeting?", "Hegseth"),
        ("When did Hegseth and Khaled meet?", "October 30"),
        ("What did they sign?", "Memorandum of Understanding"),
        ("Which agreement was renewed?", "Acquisition and Cross-Servicing Agreement"),
        ("How many Malaysian officers train in the US each year?", "300"),
        ("Where will they meet next year?", "Pentagon"),
    ],
)
def test_answers_facts_with_the_right_sentence(
    seeded_data_dir: Path, question: str, must_contain: str
) -> None:
    code, answer = ask_json(question, seeded_data_dir)
    assert code == 0 and answer["refused"] is False
    first = answer["citations"][0]
    assert must_contain in first["quote"]
    assert first["file"] in {SEED_A, SEED_B}


def test_json_schema_and_quotes_are_the_files_text(seeded_data_dir: Path) -> None:
    code, answer = ask_json("Which agreement was renewed?", seeded_data_dir)
    assert code == 0
    assert set(answer) >= {"question", "answer", "refused", "citations", "mode"}
    assert answer["mode"] == "extractive"
    for c in answer["citations"]:
        assert set(c) >= {"n", "file", "title", "date", "quote", "start", "end", "score"}
        text = (SEEDS / c["file"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in answer["answer"]


def test_answer_only_in_one_file_cites_that_file(seeded_data_dir: Path) -> None:
    _, only_a = ask_json(
        "Which rocket systems were fired in the Straits of Malacca drills?", seeded_data_dir
    )
    assert {c["file"] for c in only_a["citations"]} == {SEED_A}
    assert "HIMARS" in only_a["citations"][0]["quote"]
    _, only_b = ask_json(
        "What did they say about preventing military miscalculations?", seeded_data_dir
    )
    assert {c["file"] for c in only_b["citations"]} == {SEED_B}


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["What is the capital of France?", "Who won the 2022 World Cup final?"]
)
def test_refuses_what_the_articles_do_not_cover(seeded_data_dir: Path, question: str) -> None:
    code, answer = ask_json(question, seeded_data_dir)
    assert code == 3
    assert answer["refused"] is True and answer["citations"] == []
    plain = run_newsbot("ask", question, data_dir=seeded_data_dir)
    assert plain.returncode == 3 and "don't cover" in plain.stdout


def test_text_output_lists_sources(seeded_data_dir: Path) -> None:
    done = invoke_newsbot("ask", "Which agreement was renewed?", data_dir=seeded_data_dir)
    assert done.returncode == 0
    assert "Sources:" in done.stdout
    assert f"[1] {SEED_A} — U.S., Malaysia sign new defense cooperation agreement" in done.stdout


def test_question_from_stdin(seeded_data_dir: Path) -> None:
    done = invoke_newsbot(
        "ask", "-", "--json", data_dir=seeded_data_dir, stdin="Where will they meet next year?\n"
    )
    assert done.returncode == 0 and "Pentagon" in json.loads(done.stdout)["answer"]


@pytest.mark.slow
def test_errors_are_one_line_without_traceback(seeded_data_dir: Path, tmp_path: Path) -> None:
    empty = run_newsbot("ask", "   ", data_dir=seeded_data_dir)
    assert empty.returncode == 1
    assert empty.stderr.startswith("error: ") and "Traceback" not in empty.stderr
    bad = run_newsbot("ask", "who?", data_dir=seeded_data_dir, env={"NEWSBOT_TOP_K": "many"})
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "top_k" in bad.stderr
    missing = run_newsbot("index", str(tmp_path / "nope"), data_dir=seeded_data_dir)
    assert missing.returncode == 1 and "not a folder" in missing.stderr


def test_ask_on_an_empty_index_says_how_to_build_it(tmp_path: Path) -> None:
    done = invoke_newsbot("ask", "Who met?", data_dir=tmp_path / "empty")
    assert done.returncode == 1
    assert "newsbot index" in done.stderr


def test_only_the_likeliest_sentences_are_embedded(
    seeded_data_dir: Path, embedder: MiniLMEmbedder
) -> None:
    from dataclasses import replace

    from bot.answering.extractive import ExtractiveAnswerer, ExtractiveConfig
    from bot.factory import build_retriever
    from bot.settings import Settings

    class Counting:
        """The real model, counting what it is asked to embed."""

        def __init__(self, inner: object) -> None:
            self.inner, self.texts = inner, 0

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def embed(self, texts: list[str]) -> object:
            # Sentences and the question; a role or counted noun looked up by meaning is a word.
            self.texts += sum(len(text.split()) > 1 for text in texts)
            return self.inner.embed(texts)  # type: ignore[attr-defined]

    question = "How many Malaysian officers train in the US each year?"
    retriever = build_retriever(Settings(data_dir=seeded_data_dir), embedder)
    passages = retriever.search(question, k=6)
    counting = Counting(embedder)
    answerer = ExtractiveAnswerer(counting, ExtractiveConfig(max_embedded=0))  # type: ignore[arg-type]
    every = answerer.rank_sentences(question, passages)
    assert counting.texts == 1 + len(every) > 6
    answerer.config = replace(answerer.config, max_embedded=5)
    counting.texts = 0
    answer = answerer.answer(question, passages)
    assert counting.texts == 6
    assert "300" in answer.citations[0].quote
