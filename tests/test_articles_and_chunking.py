from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import Chunker
from index.language.dates import find_date
from index.reading.articles import find_articles, read_article
from tests.conftest import SEED_A, SEED_B, SEEDS


def test_seed_titles_and_dates() -> None:
    files = {f.name: f for f in find_articles(SEEDS)}
    assert set(files) >= {SEED_A, SEED_B}
    a = read_article(files[SEED_A])
    assert a.title == "U.S., Malaysia sign new defense cooperation agreement at ASEAN summit"
    assert a.published == date(2025, 10, 30)
    b = read_article(files[SEED_B])
    assert b.title.startswith("KUALA LUMPUR: Malaysia and the United States")


def test_dates_from_headers() -> None:
    assert find_date("Title\nPublished: 2022-06-03 | Source: x\n\nText") == date(2022, 6, 3)
    assert find_date("Title\nMarch 4, 2023\n\nBody mentions May 1, 2020.") == date(2023, 3, 4)
    assert find_date("Title\n\nNo date here at all.") is None


def test_chunk_offsets_round_trip_on_seeds(embedder) -> None:
    chunker = Chunker(embedder.count_tokens, 80, 16)
    for f in find_articles(SEEDS):
        text = read_article(f).text
        chunks = chunker.split(text)
        assert len(chunks) > 1
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert len(embedder.count_tokens(c.text)) <= 80
            for s, e in c.sentences:
                assert c.start <= s < e <= c.end
                assert text[s:e].strip() == text[s:e]
        # Together the chunks cover every sentence of the article.
        covered = {s for c in chunks for s, _ in c.sentences}
        assert min(covered) == 0


def test_sentences_keep_abbreviations_whole(embedder) -> None:
    text = "The U.S. Secretary of War met Dr. Smith in Washington, D.C. on Oct. 30. They signed a pact."
    chunk = Chunker(embedder.count_tokens, 200, 0).split(text)[0]
    sentences = [text[s:e] for s, e in chunk.sentences]
    assert sentences == [
        "The U.S. Secretary of War met Dr. Smith in Washington, D.C. on Oct. 30.",
        "They signed a pact.",
    ]


_words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_words, st.sampled_from([" ", ". ", "\n", "\n\n", "! ", "? ", "  "])),
        max_size=120,
    )
)
def test_chunk_offsets_always_round_trip(embedder, parts: list[tuple[str, str]]) -> None:
    text = "".join(w + sep for w, sep in parts)
    for c in Chunker(embedder.count_tokens, 48, 8).split(text):
        assert text[c.start : c.end] == c.text
        for s, e in c.sentences:
            assert text[s:e].strip() and c.start <= s < e <= c.end


def test_reader_handles_encodings(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes(
        "Café owners in Zürich protest\n\nThe café société met on Monday.".encode("cp1252")
    )
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    files = {f.name: f for f in find_articles(tmp_path)}
    assert read_article(files["latin.txt"]).title == "Café owners in Zürich protest"
    import pytest

    from index.errors import ArticleError

    with pytest.raises(ArticleError, match="binary"):
        read_article(files["blob.txt"])
