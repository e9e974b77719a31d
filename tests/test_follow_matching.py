"""Follows matched against newly indexed articles: real Chroma, the real embedder, a few articles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.follows.matching import THRESHOLD, Topic, match_new_articles, topic_vector
from index.embedding import MiniLMEmbedder
from index.ranking.retrieval import Retriever
from tests.conftest import invoke_newsbot, write_articles

_GRAIN_PARAGRAPH = (
    "Ukraine and Russia agreed to let grain ships leave the Black Sea ports of Odesa under the "
    "grain deal brokered by Turkey and the United Nations. The first ship carried Ukrainian corn "
    "to Lebanon, and wheat shipments to Africa are expected to follow as the grain deal holds.\n\n"
)
ARTICLES = {
    # Long enough for several chunks, each about the grain deal.
    "grain-new.txt": (
        "Grain ships leave Odesa under the Black Sea deal\n"
        "Published: 2024-03-01 | Source: Wire service\n\n" + _GRAIN_PARAGRAPH * 8
    ),
    "grain-old.txt": (
        "Talks on Ukrainian grain exports begin\n"
        "Published: 2024-02-01 | Source: Wire service\n\n"
        "Turkey hosted talks on a deal to export Ukrainian grain through the Black Sea, with "
        "Russian and Ukrainian officials meeting in Istanbul.\n"
    ),
    "prime-minister.txt": (
        "Conservatives pick a new leader to replace the prime minister\n"
        "Published: 2024-03-02 | Source: London Daily\n\n"
        "The Conservative Party chose Rishi Sunak to replace Liz Truss as the UK prime minister "
        "after her resignation. Sunak will form a government at Downing Street this week.\n"
    ),
    "cheese.txt": (
        "Cheese festival draws record crowd\n"
        "Published: 2024-03-01 | Source: Valley News\n\n"
        "The annual cheese festival in Millbrook drew 12,000 visitors, a record, organisers said. "
        "Thirty dairies from the valley sold aged cheddar and fresh curds.\n"
    ),
}
NEW = {"grain-new.txt", "prime-minister.txt", "cheese.txt"}  # what the latest run added
GRAIN = Topic(key=1, text="Ukraine grain deal")
PM = Topic(key=2, text="Who will replace the UK prime minister?")


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder) -> Retriever:
    from bot.factory import build_retriever
    from bot.settings import Settings

    root = tmp_path_factory.mktemp("follows")
    folder = write_articles(root, ARTICLES)
    data = root / "data"
    done = invoke_newsbot("index", str(folder), data_dir=data)
    assert done.returncode == 0, done.stderr
    return build_retriever(Settings(data_dir=Path(data)), embedder)


def _matched(retriever: Retriever, topics: list[Topic], **kw: float) -> set[tuple[int, str]]:
    return {(m.key, m.passage.file) for m in match_new_articles(retriever, topics, NEW, **kw)}


def test_a_topic_matches_its_article_and_not_an_unrelated_one(retriever: Retriever) -> None:
    found = _matched(retriever, [GRAIN, PM])
    assert (1, "grain-new.txt") in found
    assert (2, "prime-minister.txt") in found
    assert (1, "cheese.txt") not in found and (2, "cheese.txt") not in found
    assert (1, "prime-minister.txt") not in found and (2, "grain-new.txt") not in found


def test_only_the_files_named_are_considered(retriever: Retriever) -> None:
    everything = match_new_articles(retriever, [GRAIN], NEW, threshold=0.0)
    assert {m.passage.file for m in everything} == NEW
    only_old = match_new_articles(retriever, [GRAIN], {"grain-old.txt", "not-indexed.txt"})
    assert [m.passage.file for m in only_old] == ["grain-old.txt"]


def test_one_match_per_topic_and_article_with_its_best_chunk(retriever: Retriever) -> None:
    chunks = retriever.catalog.in_files({"grain-new.txt"}).sum()
    assert chunks >= 2  # so that one match per article says something
    matches = match_new_articles(retriever, [GRAIN, PM], NEW, threshold=0.0)
    pairs = [(m.key, m.passage.file) for m in matches]
    assert len(pairs) == len(set(pairs)) == 2 * len(NEW)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    grain = next(m for m in matches if m.key == 1 and m.passage.file == "grain-new.txt")
    assert grain.passage.score == grain.score
    assert 0 < grain.passage.dense <= 1 and grain.passage.lexical == pytest.approx(1.0)


def test_the_threshold_is_respected(retriever: Retriever) -> None:
    scores = sorted(m.score for m in match_new_articles(retriever, [GRAIN, PM], NEW, threshold=0))
    middle = scores[len(scores) // 2]
    kept = match_new_articles(retriever, [GRAIN, PM], NEW, threshold=middle)
    assert kept and all(m.score >= middle for m in kept)
    assert len(kept) == sum(s >= middle for s in scores)
    assert all(m.score >= THRESHOLD for m in match_new_articles(retriever, [GRAIN, PM], NEW))
    assert match_new_articles(retriever, [GRAIN, PM], NEW, threshold=scores[-1] + 0.01) == []


def test_a_stored_vector_scores_as_one_embedded_on_the_fly(retriever: Retriever) -> None:
    vector = topic_vector(retriever, GRAIN.text)
    assert vector.shape == (retriever.embedder.dim,) and np.linalg.norm(vector) == pytest.approx(1)
    stored = Topic(key=1, text=GRAIN.text, vector=vector)
    fly = match_new_articles(retriever, [GRAIN], NEW, threshold=0.0)
    kept = match_new_articles(retriever, [stored], NEW, threshold=0.0)
    assert [m.passage.file for m in kept] == [m.passage.file for m in fly]
    assert [m.score for m in kept] == pytest.approx([m.score for m in fly], abs=1e-5)


def test_no_topics_or_no_files_give_nothing(retriever: Retriever) -> None:
    assert match_new_articles(retriever, [], NEW) == []
    assert match_new_articles(retriever, [GRAIN], []) == []
    assert match_new_articles(retriever, [Topic(key=3, text="  ")], NEW, threshold=0.0) == []


def test_a_changed_article_is_matched_by_its_new_text(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from bot.factory import build_retriever
    from bot.settings import Settings

    folder, data = tmp_path / "articles", tmp_path / "data"
    folder.mkdir()
    (folder / "cheese.txt").write_text(ARTICLES["cheese.txt"], encoding="utf-8")
    assert invoke_newsbot("index", str(folder), data_dir=data).returncode == 0
    retriever = build_retriever(Settings(data_dir=data), embedder)
    assert match_new_articles(retriever, [GRAIN], {"cheese.txt"}) == []

    (folder / "cheese.txt").write_text(ARTICLES["grain-new.txt"], encoding="utf-8")
    assert invoke_newsbot("index", str(folder), data_dir=data).returncode == 0
    [match] = match_new_articles(retriever, [GRAIN], {"cheese.txt"})
    assert "Odesa" in match.passage.chunk.text
