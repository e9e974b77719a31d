"""Hybrid retrieval and `newsbot search` on a few articles written here, dated so that time matters."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.embedding import MiniLMEmbedder
from index.ranking.retrieval import Retriever
from tests.conftest import invoke_newsbot, write_articles

ARTICLES = {
    "old-election.txt": (
        "Riverton elects a new mayor\n"
        "Published: 2024-01-10 | Source: Riverton Gazette\n\n"
        "Voters in Riverton chose Jane Holloway as mayor on Tuesday. Holloway, a former school "
        "teacher, won the mayoral election with 58 percent of the vote. She promised to repair "
        "the old harbour bridge before the summer.\n"
    ),
    "new-recall.txt": (
        "Riverton mayor faces recall vote\n"
        "Published: 2024-03-20 | Source: Riverton Gazette\n\n"
        "Tom Bexley now leads Riverton after winning a snap mayoral election, held after a recall "
        "vote removed the previous mayor. Bexley said the harbour bridge repairs would wait.\n"
    ),
    "wire-storm.txt": (
        "Storm closes coastal roads\n"
        "Published: 2024-02-02 | Source: Wire service\n\n"
        "A winter storm closed four coastal roads near Port Ellis on Thursday. Crews expect to "
        "reopen the roads by Saturday morning, the highway agency said in a statement.\n"
    ),
    "paper-storm.txt": (
        "Winter storm shuts roads near Port Ellis\n"
        "Published: 2024-02-02 | Source: Port Ellis Daily\n\n"
        "A winter storm closed four coastal roads near Port Ellis on Thursday. Crews expect to "
        "reopen the roads by Saturday morning, the highway agency said in a statement.\n"
    ),
    "cheese.txt": (
        "Cheese festival draws record crowd\n"
        "Published: 2024-02-15 | Source: Valley News\n\n"
        "The annual cheese festival in Millbrook drew 12,000 visitors, a record, organisers said. "
        "Thirty dairies from the valley sold aged cheddar and fresh curds.\n"
    ),
    "fund-now.txt": (
        "Millbrook school fund pays for new roofs\n"
        "Published: 2024-02-20 | Source: Valley News\n\n"
        "The Millbrook school fund will pay for new roofs on three schools, the council said.\n"
    ),
    "lantern-vague.txt": (
        "Lantern parade to return\n"
        "Published: 2024-02-25 | Source: Valley News\n\n"
        "The Millbrook lantern parade will return in 2025, organisers said, after a year away. "
        "The lantern parade will again follow the river path.\n"
    ),
    "lantern-date.txt": (
        "Parade returns\n"
        "Published: 2024-02-25 | Source: Valley News\n\n"
        "The lantern parade will return on June 14, 2025, organisers said.\n"
    ),
    "fund-2019.txt": (
        "Council looks back on past budgets\n"
        "Published: 2024-02-21 | Source: Valley News\n\n"
        "In 2019 the council spent the Millbrook school fund on playgrounds, a report says.\n"
    ),
}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("search")
    folder = write_articles(root, ARTICLES)
    data = root / "data"
    done = invoke_newsbot("index", str(folder), data_dir=data)
    assert done.returncode == 0, done.stderr
    return folder, data


@pytest.fixture(scope="module")
def retriever(indexed: tuple[Path, Path], embedder: MiniLMEmbedder) -> Retriever:
    from bot.factory import build_retriever
    from bot.settings import Settings

    return build_retriever(Settings(data_dir=indexed[1]), embedder)


QUESTION = "Who won the Riverton mayoral election?"


def test_as_of_uses_only_articles_published_by_then(retriever: Retriever) -> None:
    passages = retriever.search(QUESTION, k=10, as_of=date(2024, 2, 1))
    files = [p.file for p in passages]
    assert files[0] == "old-election.txt"
    assert "new-recall.txt" not in files
    assert all(p.published is None or p.published <= date(2024, 2, 1) for p in passages)


def test_without_a_date_the_newer_article_is_found_too(retriever: Retriever) -> None:
    files = [p.file for p in retriever.search(QUESTION, k=10)]
    assert {"old-election.txt", "new-recall.txt"} <= set(files[:2])


def test_recent_question_prefers_the_newest_article_before_the_date(retriever: Retriever) -> None:
    passages = retriever.search(
        "Who is the latest Riverton mayor this week?", k=5, as_of=date(2024, 3, 25)
    )
    assert passages[0].file == "new-recall.txt"


def test_syndicated_copies_take_one_place_and_travel_together(retriever: Retriever) -> None:
    passages = retriever.search("Which roads did the storm close?", k=5)
    storm = [p for p in passages if set(p.files) & {"wire-storm.txt", "paper-storm.txt"}]
    assert len(storm) == 1
    assert set(storm[0].files) == {"wire-storm.txt", "paper-storm.txt"}
    assert passages[0] is storm[0]


def test_a_passage_that_states_the_questions_year_ranks_first(retriever: Retriever) -> None:
    from dataclasses import replace

    question = "What did the Millbrook school fund pay for in 2019?"
    config = retriever.config
    try:
        retriever.config = replace(config, number_weight=0.0)
        without = retriever.search(question, k=5)
    finally:
        retriever.config = config
    ranked = retriever.search(question, k=5)
    assert without[0].file == "fund-now.txt"  # the topic alone points at the other article
    assert ranked[0].file == "fund-2019.txt"


def test_a_when_question_prefers_the_passage_that_gives_the_day(retriever: Retriever) -> None:
    from dataclasses import replace

    question = "When will the Millbrook lantern parade return?"
    config = retriever.config
    ranked = {}
    try:
        for weight in (0.0, 0.5):
            # Both passages hold a date; only a bonus graded by precision can part them.
            retriever.config = replace(config, answer_type_weight=weight)
            ranked[weight] = retriever.search(question, k=5)
    finally:
        retriever.config = config
    assert ranked[0.0][0].file == "lantern-vague.txt"  # closer in words; it gives only the year
    assert ranked[0.5][0].file == "lantern-date.txt"


def test_answer_strength_grades_how_precise_a_date_is() -> None:
    from index.language.answer_types import answer_strength

    question = "When was the bridge reopened?"
    grades = [
        answer_strength(text, question, "date")
        for text in (
            "It reopened on March 3, 2024.",
            "It reopened on 3 March 2024.",
            "It reopened on March 3.",
            "It reopened in 2024.",
            "It reopened after repairs.",
        )
    ]
    assert grades == [1.0, 1.0, 0.5, 0.25, 0.0]
    # A date the question already gives is no answer to it.
    assert answer_strength("Opened March 3, 2024.", "What opened on March 3, 2024?", "date") < 1


def test_a_chunk_found_only_by_keywords_is_scored_by_its_real_similarity(
    retriever: Retriever, embedder: MiniLMEmbedder
) -> None:
    from dataclasses import replace

    from index.ranking.retrieval import rank

    question = "What did Millbrook say of its school fund, its festivals and the harbour bridge?"
    catalog = retriever.catalog
    config = retriever.config
    lexical = catalog.bm25_scores(question)
    vector = embedder.embed([question])[0]
    similarity = catalog.similarity(vector)
    # Only the nearest chunk comes from the dense side; every other passage is BM25's alone.
    dense = similarity.nearest(None, 1)
    (nearest,) = dense
    passages = rank(
        catalog, question, lexical, dense, as_of=None, k=10, config=config, similarity=similarity
    )
    positions = [catalog.position[p.chunk.id] for p in passages]
    assert len(set(positions) - {nearest}) >= 2
    for p, i in zip(passages, positions, strict=True):
        assert p.dense == pytest.approx(
            float(catalog.vectors_at(np.array([i]))[0] @ vector), abs=1e-4
        )
    # Dense only: BM25's candidates stay out, similarity or not.
    dense_only = replace(config, lexical_weight=0.0)
    alone = rank(
        catalog,
        question,
        lexical,
        dense,
        as_of=None,
        k=10,
        config=dense_only,
        similarity=similarity,
    )
    assert [catalog.position[p.chunk.id] for p in alone] == [nearest]
    # Without the similarities, those passages know nothing of their distance.
    blind = rank(catalog, question, lexical, dense, as_of=None, k=10, config=config)
    assert {p.dense for p in blind if catalog.position[p.chunk.id] != nearest} == {0.0}


def test_search_command_json_gives_offsets_into_the_file(indexed: tuple[Path, Path]) -> None:
    folder, data = indexed
    done = invoke_newsbot(
        "search",
        "--json",
        "--k",
        "3",
        "--as-of",
        "2024-02-20",
        "how many visitors came to the cheese festival?",
        data_dir=data,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows[0]["file"] == "cheese.txt" and rows[0]["date"] == "2024-02-15"
    assert len(rows) <= 3
    for row in rows:
        text = (folder / row["file"]).read_text(encoding="utf-8")
        assert text[row["start"] : row["end"]] == row["text"]
        assert row["date"] is None or row["date"] <= "2024-02-20"
    scores = [row["score"] for row in rows]
    assert scores[0] == max(scores)


def test_search_command_lines_on_a_terminal_or_pipe(indexed: tuple[Path, Path]) -> None:
    _, data = indexed
    done = invoke_newsbot("search", "--k", "2", "storm roads Port Ellis", data_dir=data)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith(" 1. ") and "storm.txt" in lines[0] and "also in" in lines[0]
