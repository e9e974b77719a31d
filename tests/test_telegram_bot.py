"""The Telegram bot end to end: the real python-telegram-bot Application, polling over HTTP.

Telegram itself can't be reached from here, so the bot talks to the Bot API stand-in on loopback
(tests/telegram_standin.py), which accepts only what Telegram would. Behind the bot is the real
service over a real index of a small corpus: the seed articles, an article full of markup, twenty
towns with a harbour master each, and six long logbooks for an answer too long for one message.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
import random
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.answering.extractive import ExtractiveAnswerer, ExtractiveConfig
from bot.conversation import Turn
from bot.factory import build_indexer, build_service
from bot.redaction import MASK
from bot.results import Answer
from bot.service import NewsService
from bot.settings import Settings
from bot.telegram.app import UPDATES, build_application
from bot.telegram.formatting import answer_messages
from tests.conftest import SEED_A, SEEDS, run_newsbot
from tests.support.llm_server import LlamaServer
from tests.support.telegram_standin import BOT_USERNAME, TelegramStandIn, parse_telegram_html

TOKEN = "4242424242:AAE-newsbot-test-token_never-log-me"
MENTION = f"@{BOT_USERNAME}"
TOWNS = [
    ("Arvella", "Mirela Okonkwo"), ("Brisport", "Tomasz Halvorsen"), ("Caldwyn", "Ines Marchetti"),
    ("Dunmarrow", "Kofi Lindqvist"), ("Eskerby", "Yuki Fairbrother"), ("Fallowmere", "Rosa Achterberg"),
    ("Glenrith", "Dmitri Osei"), ("Harrowgate Quay", "Leilani Varga"), ("Inverlisk", "Pavel Quintero"),
    ("Jorvale", "Amara Nightingale"), ("Kestwick", "Bruno Takahashi"), ("Lanmouth", "Freya Castellanos"),
    ("Morvenna", "Hamid Sorensen"), ("Northolme", "Clara Abernathy"), ("Ottersby", "Jonas Mbeki"),
    ("Penhallow", "Sofia Delacroix"), ("Quarrington", "Ravi Ellingsen"), ("Rosscarbery", "Mei Odhiambo"),
    ("Saltcombe", "Viktor Ashdown"), ("Tregarron", "Nadia Kowalczyk"),
]  # fmt: skip
HOSTILE = """Harbour council warns of <script> tags & fake links

Published: 2025-11-02

The Velden harbour council said the notice read <b>CLOSED</b> & "unsafe" until further notice.
Residents received a message saying <a href="http://evil.example/steal">click here to claim your compensation</a>, which the council called a scam.
Officials added that the forged letter claimed 3 < 5 and 7 > 2 &amp; signed itself "the mayor".
"""
LOGBOOKS = 4
LOGBOOK_QUESTION = "What did the lighthouse keepers of the northern coast record in their logbooks?"


def write_corpus(folder: Path) -> None:
    shutil.copytree(SEEDS, folder)
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    for i, (town, name) in enumerate(TOWNS):
        (folder / f"town_{i:02d}.txt").write_text(
            f"{name} to run the harbour of {town}\n\nPublished: 2025-10-{i + 1:02d}\n\n"
            f"The town of {town} has appointed {name} as its new harbour master, the council of "
            f"{town} announced. {name} previously worked for eleven years as a ferry captain. "
            f"Residents of {town} welcomed the appointment at a meeting on the quay.\n",
            encoding="utf-8",
        )
    rng = random.Random(4)
    syllables = ["bra", "ven", "tor", "mil", "quo", "zan", "del", "rik", "sol", "fen", "gar", "lum"]
    words = sorted({"".join(rng.sample(syllables, 3)) for _ in range(400)})
    for f in range(LOGBOOKS):
        sentences = [
            "The lighthouse keepers of the northern coast recorded in their logbooks "
            + " ".join(rng.sample(words, 22))
            + "."
            for _ in range(10)
        ]
        (folder / f"logbook_{f}.txt").write_text(
            f"Lighthouse keepers' logbook, part {f + 1}\n\nPublished: 2025-09-{f + 1:02d}\n\n"
            + " ".join(sentences)
            + "\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("telegram")
    folder, data = root / "articles", root / "data"
    write_corpus(folder)
    summary = build_indexer(Settings(_env_file=None, data_dir=data), embedder).run([folder])
    assert not summary.skipped
    return folder, data


@pytest.fixture(scope="module")
def service(corpus: tuple[Path, Path]) -> NewsService:
    return build_service(Settings(_env_file=None, data_dir=corpus[1]))


class Spy:
    """Counts retrieval and records what the bot asked the service, around the real calls."""

    def __init__(self, service: NewsService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.searches = 0
        self.asked: list[tuple[str, tuple[Turn, ...]]] = []
        self.options: list[dict[str, Any]] = []  # the keyword arguments of each question
        self.lock = threading.Lock()
        search, stream = service.retriever.search, service.stream

        def counting_search(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.searches += 1
            return search(*args, **kwargs)

        def recording_stream(question: str, history: Any = (), **kwargs: Any) -> Any:
            with self.lock:
                self.asked.append((question, tuple(history)))
                self.options.append(kwargs)
            return stream(question, history, **kwargs)

        monkeypatch.setattr(service.retriever, "search", counting_search)
        monkeypatch.setattr(service, "stream", recording_stream)


@pytest.fixture
def spy(service: NewsService, monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(service, monkeypatch)


class BotThread:
    """The bot's Application polling in its own thread and event loop, as `run_polling` runs it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BotThread:
        self.thread.start()
        assert self.ready.wait(60), "the bot did not start"
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._main())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self.stop = asyncio.Event()
        try:
            await self.app.initialize()
            await self.app.post_init(self.app)
            await self.app.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=UPDATES
            )
            await self.app.start()
        except BaseException as exc:
            self.error = exc
            return
        finally:
            self.ready.set()
        await self.stop.wait()
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()


@pytest.fixture
def start_bot(
    service: NewsService, corpus: tuple[Path, Path], embedder: Any
) -> Iterator[Callable[..., TelegramStandIn]]:
    """Start a stand-in and the bot against it; keyword arguments are Settings fields."""
    running: list[tuple[BotThread, TelegramStandIn]] = []

    def start(bot_service: NewsService | None = None, **fields: Any) -> TelegramStandIn:
        standin = TelegramStandIn(TOKEN).__enter__()
        settings = Settings(
            _env_file=None,
            data_dir=corpus[1],
            telegram_bot_token=TOKEN,
            telegram_api_base_url=standin.url,
            **fields,
        )
        app = build_application(
            settings,
            bot_service or service,
            lambda: build_indexer(settings, embedder).run([corpus[0]]),
        )
        running.append((BotThread(app).__enter__(), standin))
        standin.wait_polling()
        return standin

    yield start
    for bot, standin in running:
        bot.__exit__()
        standin.__exit__()


def final_answer(standin: TelegramStandIn, chat_id: int, count: int = 1) -> list[str]:
    """The chat's first `count` messages once the last one carries its sources footer."""
    sent = standin.wait_for(
        lambda: (
            (got := standin.sent(chat_id))
            and len(got) >= count
            and "Sources" in got[-1].text
            and got
        ),
    )
    return [m.text for m in sent]


def check_html(text: str) -> str:
    parsed = parse_telegram_html(text)
    assert set(parsed.tags) <= {"b", "i", "blockquote"}
    return parsed.text


# --- answers and formatting -------------------------------------------------------------------


def test_question_gets_one_cited_answer_in_valid_html(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot(telegram_admin_users={77})
    standin.push_message(5, "Who met at the ASEAN defence meeting?")
    (html,) = final_answer(standin, 5)
    visible = check_html(html)
    assert "Hegseth" in visible and "[1]" in visible
    assert "Sources\n[1] " in visible and SEED_A in visible
    standin.settle()
    assert len(standin.sent(5)) == 1 and spy.searches == 1
    first_typing = standin.calls_to("sendChatAction")[0].at
    assert first_typing <= standin.sent(5)[0].sent_at
    menu = {c["command"] for c in standin.commands["null"]}
    assert menu == {
        "start",
        "help",
        "sources",
        "source",
        "reset",
        "follow",
        "following",
        "unfollow",
    }
    (admin_scope,) = [scope for scope in standin.commands if "77" in scope]
    admin_menu = {c["command"] for c in standin.commands[admin_scope]}
    assert admin_menu == menu | {"stats", "reindex"}


def test_a_question_is_answered_as_of_its_messages_date(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot()
    sent_at = datetime(2025, 10, 15, 9, 30, tzinfo=UTC)
    standin.push_message(9, "Who met at the ASEAN defence meeting?", sent_at=sent_at.timestamp())
    standin.wait_for(lambda: standin.sent(9))
    standin.settle()
    assert spy.options[-1]["now"] == date(2025, 10, 15)
    # SEED_A was published on 2025-10-30, after the message was sent.
    assert SEED_A not in " ".join(m.text for m in standin.sent(9))


def test_article_markup_is_shown_as_text(start_bot: Callable[..., TelegramStandIn]) -> None:
    standin = start_bot()
    standin.push_message(6, "What did the message to residents say about claiming compensation?")
    (html,) = final_answer(standin, 6)
    visible = check_html(html)
    assert (
        '<a href="http://evil.example/steal">click here to claim your compensation</a>' in visible
    )
    assert "&lt;a href=" in html
    assert "Harbour council warns of <script> tags & fake links — hostile.txt" in visible


def test_long_answer_is_split_at_sentences_with_the_footer_whole(
    start_bot: Callable[..., TelegramStandIn], service: NewsService
) -> None:
    # The same service, told to quote every sentence it finds (up to 35).
    verbose = copy.copy(service)
    verbose.top_k = 10
    verbose.extractive = ExtractiveAnswerer(
        service.retriever.embedder,
        ExtractiveConfig(
            max_sentences=35, min_relevance=-10, min_dense=-10, keep_ratio=0.0, max_embedded=0
        ),
    )
    standin = start_bot(bot_service=verbose)
    standin.push_message(7, LOGBOOK_QUESTION)
    pieces = final_answer(standin, 7)
    expected = answer_messages(verbose.answer(LOGBOOK_QUESTION, now=datetime.now(UTC).date()))
    assert len(expected) >= 2
    assert pieces == expected
    for piece in pieces:
        check_html(piece)
        assert len(piece) <= 4096
    assert all(p.rstrip().endswith("]") and "Sources" not in p for p in pieces[:-1])
    footer = pieces[-1].split("<b>Sources</b>")[1]
    quotes = len(re.findall(r"^\[\d+\] ", footer, re.M))
    assert quotes >= 15 and f"[{quotes}]" in pieces[-2] + pieces[-1].split("<b>Sources")[0]


# --- who may ask --------------------------------------------------------------------------------


def test_not_allowed_users_are_refused_once_and_nothing_is_retrieved(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot(telegram_allowed_users={1}, telegram_allowed_chats={-100})
    standin.push_message(2, "Who met at the ASEAN defence meeting?")
    standin.push_message(2, "Which agreement was renewed?")
    standin.push_message(2, "/help")
    standin.push_message(-300, f"{MENTION} which agreement was renewed?", user_id=3)
    (refusal,) = [m.visible for m in standin.wait_sent(2)]
    assert "only answers the people its owner has allowed" in refusal and "id is 2" in refusal
    standin.wait_sent(-300)
    standin.settle()
    assert spy.searches == 0 and spy.asked == []
    assert len(standin.sent(2)) == 1 and len(standin.sent(-300)) == 1
    assert not [c for c in standin.calls_to("sendChatAction") if c.params["chat_id"] in ("2", 2)]

    standin.push_message(1, "Which agreement was renewed?")
    standin.push_message(-100, f"{MENTION} which agreement was renewed?", user_id=4)
    assert "Acquisition and Cross-Servicing" in final_answer(standin, 1)[0]
    assert "Acquisition and Cross-Servicing" in final_answer(standin, -100)[0]
    assert spy.searches == 2


def test_per_user_rate_limit(start_bot: Callable[..., TelegramStandIn], spy: Spy) -> None:
    standin = start_bot(telegram_questions_per_minute=2)
    for _ in range(4):
        standin.push_message(8, "Where will they meet next year?")
    standin.wait_for(lambda: len(standin.sent(8)) >= 3)
    standin.settle()
    texts = [m.visible for m in standin.sent(8)]
    assert sum("Pentagon" in t for t in texts) == 2
    assert sum("more than 2 questions a minute" in t for t in texts) == 1
    assert len(texts) == 3 and spy.searches == 2


def test_admin_commands_only_for_admins(
    start_bot: Callable[..., TelegramStandIn], corpus: tuple[Path, Path], embedder: Any
) -> None:
    standin = start_bot(telegram_admin_users={77})
    standin.push_message(78, "/stats")
    standin.push_message(78, "/reindex")
    standin.wait_sent(78, 2)
    standin.settle()
    assert all("only for the bot's admins" in m.visible for m in standin.sent(78))

    standin.push_message(77, "/stats")
    stats = standin.wait_sent(77)[0].visible
    assert f"Articles: {3 + len(TOWNS) + LOGBOOKS}" in stats and "all-MiniLM-L6-v2" in stats
    (corpus[0] / "observatory.txt").write_text(
        "Quillmere opens an observatory\n\nPublished: 2025-11-05\n\n"
        "The astronomer Ottoline Brask opened the Quillmere observatory on Tuesday.\n",
        encoding="utf-8",
    )
    try:
        standin.push_message(77, "/reindex")
        done = standin.wait_for(lambda: [m for m in standin.sent(77) if "1 added" in m.visible])
        assert "0 updated" in done[0].visible
        standin.push_message(77, "Who opened the Quillmere observatory?")
        assert "— observatory.txt (2025-11-05)" in final_answer(standin, 77, count=4)[-1]
    finally:
        (corpus[0] / "observatory.txt").unlink()
        build_indexer(Settings(_env_file=None, data_dir=corpus[1]), embedder).run([corpus[0]])


# A second process indexing beside the bot: the fast lane has the bot's own answers.
@pytest.mark.slow
def test_what_another_process_indexes_is_answered_without_a_restart(
    start_bot: Callable[..., TelegramStandIn], corpus: tuple[Path, Path], embedder: Any
) -> None:
    standin = start_bot(telegram_admin_users={77})
    standin.push_message(77, "/stats")
    assert "Quillmere" not in standin.wait_sent(77)[0].visible
    (corpus[0] / "ferry_line.txt").write_text(
        "Quillmere gets a night ferry\n\nPublished: 2025-12-01\n\n"
        "The night ferry to Quillmere will be run by captain Halvard Seim from January.\n",
        encoding="utf-8",
    )
    try:
        # As `newsbot index --watch` does beside a running bot: another process writes.
        days = {f"{datetime.now():%Y-%m-%d}"}
        done = run_newsbot("index", str(corpus[0]), data_dir=corpus[1])
        assert done.stdout.startswith("1 added"), done.stdout + done.stderr
        days.add(f"{datetime.now():%Y-%m-%d}")
        standin.push_message(77, "Who will run the night ferry to Quillmere?")
        answer = final_answer(standin, 77, count=2)[-1]
        assert "Halvard Seim" in answer and "ferry_line.txt (2025-12-01)" in answer
        standin.push_message(77, "/stats")
        stats = standin.wait_for(lambda: standin.sent(77)[2:])[0].visible
        assert "Newest article: 2025-12-01 — Quillmere gets a night ferry" in stats
        assert any(f"Last indexed: {day}" in stats for day in days)
    finally:
        (corpus[0] / "ferry_line.txt").unlink()
        build_indexer(Settings(_env_file=None, data_dir=corpus[1]), embedder).run([corpus[0]])


# --- groups and conversations -------------------------------------------------------------------


def test_in_groups_only_mentions_and_replies_are_answered(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot()
    group = -500
    standin.push_message(group, "Who met at the ASEAN defence meeting?", user_id=10)
    asked = standin.push_message(
        group, f"{MENTION} Who met at the ASEAN defence meeting?", user_id=10
    )
    (answer,) = standin.wait_sent(group)
    assert answer.reply_to == asked and "Hegseth" in answer.visible
    assert spy.asked[-1][0] == "Who met at the ASEAN defence meeting?"

    other = standin.push_message(group, "I think it was in October", user_id=11)
    standin.push_message(group, "Where will they meet next year?", user_id=10, reply_to=other)
    standin.push_message(group, "@someone_else where will they meet?", user_id=10)
    standin.push_message(group, "/help@another_bot", user_id=10)
    standin.push_message(
        group, "Where will they meet next year?", user_id=12, reply_to=answer.message_id
    )
    standin.push_message(
        group, "Newsbot, which agreement was renewed?", user_id=13, mention_by_name="Newsbot"
    )
    standin.push_message(group, f"/help{MENTION}", user_id=10)
    standin.push_message(group, MENTION, user_id=14)
    standin.wait_for(lambda: len(standin.sent(group)) >= 5)
    standin.settle()
    texts = [m.visible for m in standin.sent(group)]
    assert len(texts) == 5
    assert sum("Pentagon" in t for t in texts) == 1
    assert sum("Acquisition and Cross-Servicing" in t for t in texts) == 1
    assert sum("In a group, mention @" in t for t in texts) == 1
    assert sum("Please ask a question in words" in t for t in texts) == 1
    assert spy.searches == 3


def test_reset_forgets_only_its_own_chat(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot()
    standin.push_message(11, "Which agreement was renewed?")
    standin.push_message(12, "Where will they meet next year?")
    final_answer(standin, 11)
    final_answer(standin, 12)
    standin.push_message(11, "/reset")
    standin.wait_sent(11, 2)
    standin.push_message(11, "and when was that signed?")
    standin.push_message(12, "and who said that?")
    standin.wait_for(lambda: len(standin.sent(11)) >= 3 and len(standin.sent(12)) >= 2)
    history = dict(spy.asked)
    assert history["and when was that signed?"] == ()
    ((question, answer),) = [(t.question, t.answer) for t in history["and who said that?"]]
    assert (question, answer) == (
        "Where will they meet next year?",
        standin.sent(12)[0].visible.split("\n\n")[0],
    )
    standin.push_message(11, "/sources")
    standin.push_message(12, "/reset")
    standin.wait_sent(12, 3)
    standin.push_message(12, "/sources")
    assert "No answer in this chat yet" in standin.wait_sent(12, 4)[-1].visible
    assert "No answer in this chat yet" not in standin.wait_sent(11, 4)[-1].visible


def test_source_command_with_good_and_bad_numbers(
    start_bot: Callable[..., TelegramStandIn],
) -> None:
    standin = start_bot()
    standin.push_message(13, "/source 1")
    assert "Ask a question first" in standin.wait_sent(13)[0].visible
    standin.push_message(13, "Which rocket systems were fired in the Straits of Malacca drills?")
    final_answer(standin, 13, count=2)
    standin.push_message(13, "/source 1")
    passage = standin.wait_sent(13, 3)[-1]
    assert "HIMARS" in passage.visible and SEED_A in passage.visible
    assert "<blockquote>" in passage.text and "<b>" in passage.text
    bad = ["/source", "/source abc", "/source -1", "/source 99999999999999999999", "/source 0"]
    bad += ["/source ../../../etc/passwd", "/source 1 2", "/source 7"]
    for i, command in enumerate(bad):
        standin.push_message(13, command)
        reply = standin.wait_sent(13, 4 + i)[-1].visible
        assert "Use /source N" in reply or "There is no citation" in reply, command
    standin.push_message(13, "/sources")
    sources = standin.wait_sent(13, 4 + len(bad))[-1]
    assert "HIMARS" in sources.visible and "/source N" in sources.visible


# --- faults, load, logs ---------------------------------------------------------------------


def test_flood_control_is_waited_out_and_the_answer_delivered_once(
    start_bot: Callable[..., TelegramStandIn],
) -> None:
    standin = start_bot()
    standin.fail("sendMessage", 429, retry_after=1)
    standin.push_message(14, "Which agreement was renewed?")
    final_answer(standin, 14)
    standin.settle()
    calls = standin.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    assert len(standin.sent(14)) == 1


@pytest.mark.slow
def test_server_errors_for_a_while_then_every_answer_exactly_once(
    start_bot: Callable[..., TelegramStandIn],
) -> None:
    standin = start_bot()
    standin.fail("*", 502, seconds=2.0)
    standin.fail("sendMessage", 500, times=2)
    questions = {21: "Which agreement was renewed?", 22: "Where will they meet next year?"}
    questions[23] = "Who is the new harbour master of Glenrith?"
    for chat, question in questions.items():
        standin.push_message(chat, question)
    answers = {chat: final_answer(standin, chat)[0] for chat in questions}
    standin.settle(quiet=1.0)
    assert all(len(standin.sent(chat)) == 1 for chat in questions)
    assert "Acquisition" in answers[21] and "Pentagon" in answers[22]
    assert "Dmitri Osei" in answers[23]
    statuses = [c.status for c in standin.calls if c.method in ("getUpdates", "sendMessage")]
    assert 502 in statuses and 500 in statuses


@pytest.mark.slow
def test_twenty_chats_at_once_each_get_their_own_answer(
    start_bot: Callable[..., TelegramStandIn], spy: Spy
) -> None:
    standin = start_bot()
    for i, (town, _) in enumerate(TOWNS):
        standin.push_message(1000 + i, f"Who is the new harbour master of {town}?")
    for i, (town, name) in enumerate(TOWNS):
        (html,) = final_answer(standin, 1000 + i)
        body = check_html(html).split("\n\nSources")[0]
        assert name in body, town
        assert not [n for _, n in TOWNS if n != name and n in body]
    standin.settle()
    assert all(len(standin.sent(1000 + i)) == 1 for i in range(len(TOWNS)))
    assert spy.searches == len(TOWNS)


def test_errors_are_logged_the_user_gets_an_apology_and_the_token_never_shows(
    start_bot: Callable[..., TelegramStandIn],
    service: NewsService,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx logs every URL at this level, token and all
    stream = service.stream

    def failing(question: str, *args: Any, **kwargs: Any) -> Iterator[str | Answer]:
        if "explode" in question:
            raise RuntimeError("the service broke")
        return stream(question, *args, **kwargs)

    monkeypatch.setattr(service, "stream", failing)
    standin = start_bot()
    standin.push_message(15, "please explode")
    apology = standin.wait_sent(15)[0].visible
    assert apology.startswith("Sorry, something went wrong")
    assert "the service broke" not in apology and TOKEN not in apology
    standin.push_message(15, "Which agreement was renewed?")
    final_answer(standin, 15, count=2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "RuntimeError: the service broke" in caplog.text
    assert f"/bot{MASK}/sendMessage" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


# --- a generated answer, streamed -------------------------------------------------------------


@pytest.mark.llm
@pytest.mark.slow
def test_generated_answer_streams_by_edits_then_shows_the_checked_answer(
    start_bot: Callable[..., TelegramStandIn], corpus: tuple[Path, Path], llm_server: LlamaServer
) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=corpus[1],
        openai_base_url=llm_server.base_url,
        llm_model="smollm2",
        llm_max_tokens=64,
        llm_temperature=0.0,
        llm_timeout=120.0,
        top_k=2,
    )
    standin = start_bot(bot_service=build_service(settings))
    standin.push_message(40, "Which agreement did the two countries renew?")
    (message,) = standin.wait_for(
        lambda: (got := standin.sent(40)) and not got[0].text.endswith(" …") and got, timeout=180
    )
    standin.settle()
    assert len(standin.sent(40)) == 1
    # Only sentences the checker let through were shown as they came (drafts ending in "…"; none
    # when SmolLM2 wrote no supported sentence before its last), each the start of the answer
    # that replaced them.
    assert all(draft.endswith(" …") for draft in message.edits)
    assert all(draft.removesuffix(" …") in message.text for draft in message.edits)
    check_html(message.text)
    edits = [c.at for c in standin.calls_to("editMessageText")]
    draft_edits = edits[:-1]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(draft_edits))
