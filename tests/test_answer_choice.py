"""Which sentence answers, the short answer, and refusing what the articles don't cover.

The articles are written here, indexed for real (local model, embedded Chroma) and asked through
the service, as a user's question goes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.extractive import ExtractiveAnswerer, ExtractiveConfig
from bot.factory import build_indexer, build_service
from bot.service import NewsService
from bot.settings import Settings
from index.embedding import MiniLMEmbedder
from tests.conftest import invoke_newsbot, write_articles
from tests.support.llm_server import CannedServer
from tests.test_generation import canned_completion

ARTICLES = {
    "mayor.txt": (
        "Riverton counts its votes\nPublished: 2024-03-06\n\n"
        "The winner of the Riverton mayoral election was announced on Tuesday evening. "
        "Jane Holloway took 58 percent of the vote, the county clerk said. "
        "Turnout was the highest in a decade.\n"
    ),
    "harbor-board.txt": (
        "Harbor Authority picks a new chief\nPublished: 2024-03-04\n\n"
        "The Harbor Authority board chose its next chief between Mark Tully and Sara Quinn "
        "on Monday. The vote was close, board members said.\n"
    ),
    "harbor-staff.txt": (
        "New chief for the port\nPublished: 2024-03-05\n\n"
        "Sara Quinn starts at the port in April, after years at the coast guard. "
        "Staff at the port welcomed the news.\n"
    ),
    "cheese.txt": (
        "Cheese festival draws record crowd\nPublished: 2024-02-15\n\n"
        "The annual cheese festival in Millbrook drew 12,000 visitors, a record, organisers said.\n"
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder) -> Path:
    """The articles above, indexed once into a data dir of their own."""
    root = tmp_path_factory.mktemp("answers")
    folder = write_articles(root, ARTICLES)
    data = root / "data"
    build_indexer(Settings(data_dir=data), embedder).run([folder])
    return data


def service_on(data: Path, **extra: object) -> NewsService:
    return build_service(Settings(data_dir=data, **extra))  # type: ignore[arg-type]


def test_the_sentence_holding_the_name_beats_the_one_echoing_the_question(corpus: Path) -> None:
    service = service_on(corpus)
    question = "Who won the Riverton mayoral election?"
    answer = service.answer(question)
    assert not answer.refused
    assert "Jane Holloway" in answer.citations[0].quote
    assert answer.short_answer is not None and answer.short_answer.text == "Jane Holloway"
    assert answer.text.startswith("Jane Holloway: ")
    # Scored by words and meaning alone, the sentence that repeats the question wins: the answer
    # signals are what choose the other one.
    plain = ExtractiveAnswerer(
        service.extractive.embedder,
        replace(ExtractiveConfig(), answer_weight=0, proximity_weight=0, agreement_weight=0),
    )
    echo = plain.answer(question, service.search(question))
    assert "winner of the Riverton mayoral election" in echo.citations[0].quote


def test_a_short_answer_is_a_span_of_its_cited_quote(corpus: Path) -> None:
    answer = service_on(corpus).answer("Who won the Riverton mayoral election?")
    short = answer.short_answer
    assert short is not None
    cited = answer.citations[short.n - 1]
    assert cited.start <= short.start < short.end <= cited.end
    assert cited.quote[short.start - cited.start : short.end - cited.start] == short.text


def test_agreement_across_articles_decides_the_short_answer(corpus: Path) -> None:
    service = service_on(corpus)
    question = "Who is the Harbor Authority's new chief?"
    answer = service.answer(question)
    # Both names stand in the board's sentence; only one is stated by a second article.
    assert answer.short_answer is not None and answer.short_answer.text == "Sara Quinn"
    # From the board's article alone, the name nearer "chief" would be taken.
    passages = [p for p in service.search(question) if p.file == "harbor-board.txt"]
    alone = service.extractive.answer(question, passages).short_answer
    assert alone is None or alone.text != "Sara Quinn"


def test_a_near_topic_question_is_refused_naming_what_is_missing(seeded_data_dir: Path) -> None:
    done = invoke_newsbot(
        "ask", "--json", "How many US troops are stationed in Malaysia?", data_dir=seeded_data_dir
    )
    assert done.returncode == 3, done.stderr
    data = json.loads(done.stdout)
    assert data["refused"] is True and data["citations"] == []
    assert {"troops", "stationed"} <= set(data["missing"])
    assert "“troops”" in data["answer"] and data["closest"]
    plain = invoke_newsbot(
        "ask", "How many F-35 jets did Malaysia agree to buy?", data_dir=seeded_data_dir
    )
    assert plain.returncode == 3 and "F-35" in plain.stdout


@pytest.mark.slow
def test_the_model_is_not_called_for_a_question_the_articles_cannot_answer(corpus: Path) -> None:
    reply = canned_completion("Jane Holloway won the election [1].")
    with CannedServer(reply) as server:
        service = service_on(corpus, openai_base_url=server.base_url, llm_retries=0)
        refused = service.answer("How many goals did the Millbrook football club score?")
        assert refused.refused and refused.missing
        assert server.requests == 0
        answered = service.answer("Who won the Riverton mayoral election?")
        assert answered.mode == "generated" and not answered.refused
        assert server.requests == 1


def test_eval_without_evidence_counts_refusals(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("mayor.txt", "cheese.txt"):
        (articles / name).write_text(ARTICLES[name], encoding="utf-8")
    queries = tmp_path / "q.jsonl"
    rows = [
        {
            "question": "Who won the Riverton mayoral election?",
            "answer": "Jane Holloway",
            "evidence_files": ["mayor.txt"],
        },
        {
            "question": "How many visitors came to the Millbrook cheese festival?",
            "answer": "12,000",
            "evidence_files": ["cheese.txt"],
        },
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    args = ("eval", str(queries), "--articles", str(articles), "--json")
    normal = invoke_newsbot(*args, data_dir=tmp_path / "data")
    assert normal.returncode == 0, normal.stderr
    figures = json.loads(normal.stdout)
    assert figures["refusal_rate"] == 0.0 and figures["answer_match"] == 1.0
    assert figures["short_answer_match"] == 1.0
    without = invoke_newsbot(*args, "--without-evidence", data_dir=tmp_path / "data")
    assert without.returncode == 0, without.stderr
    figures = json.loads(without.stdout)
    assert figures["refusal_rate"] == 1.0 and figures["answer_match"] == 0.0
    assert figures["hit@10"] == 0.0 and figures["citation_accuracy"] == 0.0
