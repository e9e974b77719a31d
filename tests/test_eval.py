"""The evaluation harness: metrics on hand-made cases, and `newsbot eval` on a small question set."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.evaluation import EvalQuery, QueryResult, load_queries, normalise, score
from tests.conftest import invoke_newsbot


def result(
    evidence: set[str],
    ranked: list[str],
    answer: str = "",
    cited: tuple = (),
    answers: tuple = (),
    refused: bool = False,
) -> QueryResult:
    query = EvalQuery("q", "question?", frozenset(evidence), answers, None)
    return QueryResult(query, tuple(ranked), answer, cited, refused)


def test_metrics_on_a_case_worked_out_by_hand() -> None:
    results = [
        # gold first: hit at every k, reciprocal rank 1
        result({"a"}, ["a", "b", "c"], "It was Jane Holloway.", ("a",), ("jane holloway",)),
        # gold third: hit@3 and above, rank 1/3; cites a wrong file; answer differs
        result({"c", "z"}, ["a", "b", "c"], "Tom.", ("b",), ("Jane",)),
        # gold 11th: outside every cut-off and MRR@10
        result({"k"}, [*"abcdefghij", "k"], "", (), ("x",), refused=True),
        # second gold file at rank 6 counts; an alias matches; cites a file not indexed
        result(
            {"f", "q"},
            [*"abcdef"],
            "The U.S. Senate, said…",
            ("nowhere.txt", "f"),
            ("House", "U.S. senate"),
        ),
    ]
    report = score(results, indexed_files=set("abcdefghijk"))
    assert report.n == 4
    assert report.hit == {1: 0.25, 3: 0.5, 5: 0.5, 10: 0.75}
    assert report.mrr10 == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
    assert report.citation_accuracy == 0.5
    assert report.answer_match == 0.5
    assert report.refusal_rate == 0.25
    assert report.unknown_citations == 1


def test_normalise_follows_the_eval_readme() -> None:
    assert normalise("“Squid Game”") == "squid game"
    assert normalise("The  U.S.-Mexico   border!") == "u s mexico border"
    assert normalise("Ｆｕｌｌwidth AN apple") == "fullwidth apple"
    assert normalise("$5") == "$5"  # a currency sign is a symbol, not punctuation


def test_load_queries_reads_dates_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "1",
            "question": "Who?",
            "answer": "Ann",
            "answer_aliases": ["Ann", "Anne"],
            "evidence_files": ["a.txt"],
            "question_date": "2024-02-01",
        },
        {"question": "What?", "answer": "x", "evidence_files": ["b.txt"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    first, second = load_queries(path, "question_date")
    assert first.answers == ("Ann", "Anne") and first.as_of == date(2024, 2, 1)
    assert second.as_of is None and second.id == "2"
    assert load_queries(path)[0].as_of is None
    path.write_text('{"question": "no evidence"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=":1:"):
        load_queries(path)


_ELECTION = (
    "Riverton elects a new mayor",
    "Voters in Riverton chose Jane Holloway as mayor on Tuesday. Holloway won the mayoral "
    "election with 58 percent of the vote.",
)
_FESTIVAL = (
    "Cheese festival draws record crowd",
    "The annual cheese festival in Millbrook drew 12,000 visitors, a record, organisers said.",
)


def _write_article(
    path: Path, published: str, title: str, body: str, *, source: str = "Gazette"
) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f"{title}\nPublished: {published} | Source: {source}\n\n{body}\n", encoding="utf-8"
    )


def test_eval_command_scores_a_small_set_without_touching_the_users_index(
    tmp_path: Path,
) -> None:
    articles = tmp_path / "articles"
    _write_article(articles / "old.txt", "2024-01-10", *_ELECTION)
    _write_article(
        articles / "new.txt",
        "2024-03-20",
        "Riverton mayor recalled",
        "Tom Bexley won the Riverton mayoral election held after a recall vote removed the mayor "
        "elected in January.",
    )
    _write_article(articles / "cheese.txt", "2024-02-15", *_FESTIVAL, source="Valley News")
    queries = tmp_path / "q.jsonl"
    rows = [
        {
            "question": "Who won the Riverton mayoral election?",
            "answer": "Jane Holloway",
            "evidence_files": ["old.txt"],
            "asked": "2024-02-01",
        },
        {
            "question": "How many visitors came to the Millbrook cheese festival?",
            "answer": "12,000",
            "evidence_files": ["cheese.txt"],
            "asked": "2024-02-20",
        },
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data = tmp_path / "data"

    dated = invoke_newsbot(
        "eval",
        str(queries),
        "--articles",
        str(articles),
        "--as-of-field",
        "asked",
        "--json",
        data_dir=data,
    )
    assert dated.returncode == 0, dated.stderr
    figures = json.loads(dated.stdout)
    assert figures["n"] == 2
    # As of February the newer election is hidden, so both gold files come first and are cited.
    assert figures["hit@1"] == 1.0 and figures["mrr@10"] == 1.0
    assert figures["citation_accuracy"] == 1.0 and figures["unknown_citations"] == 0
    assert figures["answer_match"] == 1.0 and figures["refusal_rate"] == 0.0

    plain = invoke_newsbot("eval", str(queries), "--articles", str(articles), data_dir=data)
    assert plain.returncode == 0, plain.stderr
    assert "hit@1" in plain.stdout and "MRR@10" in plain.stdout
    assert "0 added" in plain.stderr  # the second run reuses the eval index

    # The user's own index (the default collection in the data dir) was never created.
    user = invoke_newsbot("search", "mayor", data_dir=data)
    assert user.returncode == 1 and "no articles are indexed" in user.stderr


def test_eval_retrieval_switch_changes_the_ranking(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    _write_article(articles / "old.txt", "2023-01-10", *_ELECTION)
    _write_article(
        articles / "new.txt",
        "2024-03-18",
        "Riverton mayor opens the spring fair",
        "The mayor of Riverton opened the spring fair on Saturday, a year after the election.",
    )
    _write_article(articles / "cheese.txt", "2024-02-15", *_FESTIVAL, source="Valley News")
    queries = tmp_path / "q.jsonl"
    row = {
        "question": "Who won the Riverton mayoral election?",
        "answer": "Jane Holloway",
        "evidence_files": ["old.txt"],
        "asked": "2024-03-20",
    }
    queries.write_text(json.dumps(row), encoding="utf-8")
    data = tmp_path / "data"

    def hit_at_1(*switches: str) -> float:
        args = ("eval", str(queries), "--articles", str(articles), "--as-of-field", "asked")
        run = invoke_newsbot(*args, *switches, "--json", data_dir=data)
        assert run.returncode == 0, run.stderr
        return float(json.loads(run.stdout)["hit@1"])

    # Asked two days after the fair, the recency prior puts the fair above the year-old election;
    # without it the article that answers comes first.
    assert hit_at_1() == 0.0
    assert hit_at_1("--retrieval", "date_aware=false") == 1.0

    for switch, error in [
        ("date_awre=no", "error: --retrieval date_awre: there is no such setting (there are "),
        ("per_file=two", "error: --retrieval per_file=two: expected a whole number"),
    ]:
        args = ("eval", str(queries), "--articles", str(articles), "--retrieval", switch)
        run = invoke_newsbot(*args, data_dir=data)
        assert run.returncode == 1
        assert run.stderr.startswith(error) and len(run.stderr.strip().splitlines()) == 1
