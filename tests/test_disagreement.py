"""Sources that disagree: a corpus with planted disagreements (two outlets, two values for one
fact) and planted agreements (syndicated copies, rounding, "about", one amount written two ways),
read through the real pipeline. The answer says the sources differ, newest first, instead of
picking one, and never does so when they agree."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.factory import build_indexer, build_service
from bot.results import Answer
from bot.service import NewsService
from bot.settings import Settings
from tests.conftest import invoke_newsbot
from tests.support.llm_server import CannedServer
from tests.test_generation import canned_completion

ARTICLES = {
    # Two outlets, two death tolls for one flood.
    "flood-herald.txt": (
        "Floods kill hundreds in the Ebro valley\nPublished: 2025-10-30\n\n"
        "Officials said 300 people died in the Ebro valley floods on Tuesday. Rescue teams "
        "searched the villages along the river through the night."
    ),
    "flood-courier.txt": (
        "Ebro valley counts the cost of the floods\nPublished: 2025-10-31\n\n"
        "The regional government said 250 people died in the Ebro valley floods. Roads to "
        "the valley stayed closed on Wednesday."
    ),
    # Rounding: "about 300" and 298 are one count.
    "plant-gazette.txt": (
        "Dunmore plant closes its doors\nPublished: 2025-09-02\n\n"
        "About 300 workers lost their jobs when the Dunmore paper plant closed on Monday. The "
        "plant had made paper since 1951."
    ),
    "plant-tribune.txt": (
        "Paper town loses its mill\nPublished: 2025-09-03\n\n"
        "Exactly 298 workers lost their jobs when the Dunmore paper plant closed, the union "
        "said. Many had worked there for decades."
    ),
    # One amount written two ways.
    "stadium-post.txt": (
        "City buys the old stadium\nPublished: 2025-08-10\n\n"
        "Lakeport paid $12.6 million for the old Harbor Stadium, the mayor's office said. The "
        "site will become a park."
    ),
    "stadium-times.txt": (
        "Lakeport closes stadium deal\nPublished: 2025-08-11\n\n"
        "The city of Lakeport paid $12,600,000 for Harbor Stadium under the deal signed on "
        "Friday. Work on the park starts next spring."
    ),
    # A syndicated copy, and another outlet that states the same amount.
    "bridge-wire.txt": (
        "Bridge reopens after repairs\nPublished: 2025-07-01\n\n"
        "The Kessel bridge repairs cost $4 million, the transport ministry said on Monday. "
        "Traffic returned to the bridge the same afternoon."
    ),
    "bridge-wire-copy.txt": (
        "Bridge reopens after repairs\nPublished: 2025-07-01\n\n"
        "The Kessel bridge repairs cost $4 million, the transport ministry said on Monday. "
        "Traffic returned to the bridge the same afternoon."
    ),
    "bridge-daily.txt": (
        "Kessel bridge open again\nPublished: 2025-07-02\n\n"
        "Repairs to the Kessel bridge cost $4 million in all, and took eight months. Drivers "
        "had used a ferry in the meantime."
    ),
    # Two dates for one opening.
    "summit-observer.txt": (
        "Corvo summit date set\nPublished: 2026-01-10\n\n"
        "The Corvo climate summit will open on March 3, the organisers said. Forty countries "
        "have said they will attend."
    ),
    "summit-ledger.txt": (
        "Corvo prepares for summit\nPublished: 2026-01-12\n\n"
        "The Corvo climate summit will open on March 5, according to the host city. Hotels in "
        "the city are already full."
    ),
    # Two names for one role.
    "bank-review.txt": (
        "Ovra Bank posts a loss\nPublished: 2025-05-05\n\n"
        "Marta Lind, the chief executive of Ovra Bank, said the loss came from bad loans. "
        "Shares fell five percent."
    ),
    "bank-journal.txt": (
        "Ovra Bank results disappoint\nPublished: 2025-05-06\n\n"
        "Jonas Berg, the chief executive of Ovra Bank, said the bank would cut costs. Analysts "
        "had expected a profit."
    ),
    # A later report that says it corrects the earlier figure.
    "quake-first.txt": (
        "Quake shakes Pellow island\nPublished: 2025-06-01\n\n"
        "The earthquake that struck Pellow island injured 40 people, the island's hospital "
        "said. Several old houses collapsed."
    ),
    "quake-update.txt": (
        "Pellow quake: hospital corrects injury count\nPublished: 2025-06-03\n\n"
        "The earthquake that struck Pellow island injured 65 people, according to corrected "
        "figures from the island's hospital. Repairs to the harbour began on Tuesday."
    ),
}

PLANTED = {
    "How many people died in the Ebro valley floods?": ("250", "300"),
    "How many people did the Pellow earthquake injure?": ("65", "40"),
    "When will the Corvo climate summit open?": ("March 5", "March 3"),
    "Who is the chief executive of Ovra Bank?": ("Jonas Berg", "Marta Lind"),
}
AGREEING = [
    "How many workers lost their jobs when the Dunmore plant closed?",
    "How much did Lakeport pay for Harbor Stadium?",
    "How much did the Kessel bridge repairs cost?",
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("disagreeing")
    articles = folder / "articles"
    articles.mkdir()
    for name, text in ARTICLES.items():
        (articles / name).write_text(text + "\n", encoding="utf-8")
    data = folder / "data"
    settings = Settings(data_dir=data)
    build_indexer(settings).run([articles])
    return data


@pytest.fixture(scope="module")
def service(data_dir: Path) -> NewsService:
    return build_service(Settings(data_dir=data_dir))


def ask(service: NewsService, question: str) -> Answer:
    return service.answer(question, now=date(2026, 2, 1))


@pytest.mark.parametrize("question", sorted(PLANTED))
def test_two_sources_stating_different_values_are_both_given_newest_first(
    service: NewsService, question: str
) -> None:
    answer = ask(service, question)
    assert answer.disagreement is not None, answer.text
    values = [v.value for v in answer.disagreement.values]
    assert values == list(PLANTED[question])
    dates = [v.date for v in answer.disagreement.values]
    assert dates == sorted(dates, reverse=True)
    # No one value is picked as the answer, and each value is cited.
    assert answer.short_answer is None
    cited = {c.n: c for c in answer.citations}
    assert all(set(v.citations) <= set(cited) and v.citations for v in answer.disagreement.values)
    # Each value's own sentence is quoted, with its marker, even where the two read alike.
    for v in answer.disagreement.values:
        n = v.citations[0]
        assert f"“{cited[n].quote}” [{n}]" in answer.text
        assert v.value in cited[n].quote


def test_a_report_that_says_it_corrects_is_shown_as_the_update(service: NewsService) -> None:
    answer = ask(service, "How many people did the Pellow earthquake injure?")
    assert answer.disagreement is not None and answer.disagreement.updated
    assert answer.text.startswith("Updated on 2025-06-03: ")
    flood = ask(service, "How many people died in the Ebro valley floods?")
    assert flood.disagreement is not None and not flood.disagreement.updated
    assert flood.text.startswith("Sources differ: “Ebro valley counts the cost of the floods”")


@pytest.mark.parametrize("question", AGREEING)
def test_copies_rounding_and_two_spellings_of_an_amount_are_no_disagreement(
    service: NewsService, question: str
) -> None:
    answer = ask(service, question)
    assert not answer.refused, answer.text
    assert answer.disagreement is None, answer.text
    assert "Sources differ" not in answer.text


def test_ask_json_lists_the_disagreeing_values_with_their_citations(data_dir: Path) -> None:
    done = invoke_newsbot(
        "ask", "--json", "How many people died in the Ebro valley floods?", data_dir=data_dir
    )
    data = json.loads(done.stdout)
    assert [d["value"].split()[0] for d in data["disagreements"]] == ["250", "300"]
    numbers = {c["n"]: c["file"] for c in data["citations"]}
    files = [numbers[d["citations"][0]] for d in data["disagreements"]]
    assert files == ["flood-courier.txt", "flood-herald.txt"]
    assert data["short_answer"] is None


def test_the_chat_shows_that_sources_differ(data_dir: Path) -> None:
    done = invoke_newsbot(
        "chat", data_dir=data_dir, stdin="How many people died in the Ebro valley floods?\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Sources differ:" in done.stdout
    assert "250" in done.stdout and "300" in done.stdout


def test_with_a_model_the_sources_that_differ_are_quoted_and_the_model_is_not_asked(
    data_dir: Path,
) -> None:
    """A model would pick one of the values: where the sources differ, each is quoted instead."""
    reply = canned_completion("The floods killed 300 people [1].")
    with CannedServer(reply) as server:
        settings = Settings(data_dir=data_dir, openai_base_url=server.base_url, llm_retries=0)
        service = build_service(settings)
        differing = ask(service, "How many people died in the Ebro valley floods?")
        assert differing.disagreement is not None and differing.mode == "extractive"
        assert [v.value for v in differing.disagreement.values] == ["250", "300"]
        assert server.requests == 0
        # Where they agree, the model is asked (its canned reply, about the floods, is then
        # dropped by the checker: what matters here is that it was asked).
        agreeing = ask(service, AGREEING[0])
        assert agreeing.disagreement is None and server.requests == 1
