"""Following a story, end to end: the real bot against the Bot API stand-in, and `newsbot serve`.

Each test has its own articles folder and data dir with two articles indexed; what a test adds is
indexed by `newsbot index` in another process, or in this one, beside the running bot, which
notices the new index version by its change log (NEWSBOT_FOLLOW_POLL is half a second here).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.answering.extractive import ExtractiveAnswerer
from bot.factory import build_indexer, build_retriever
from bot.follows.store import FollowStore
from bot.service import NewsService
from bot.settings import Settings
from bot.telegram.app import build_application
from tests.conftest import run_newsbot
from tests.support.newsbot_web import ServedApp
from tests.support.telegram_standin import TelegramStandIn
from tests.test_telegram_bot import BotThread

TOKEN = "4242424242:AAE-newsbot-follow-token_never-log-me"
TODAY = date.today().isoformat()
USER = 501
FERRY = "Who will run the night ferry to Quillmere?"


def article(title: str, body: str, day: str | None = TODAY) -> str:
    published = f"Published: {day}\n\n" if day else ""
    return f"{title}\n\n{published}{body}\n"


FIRST = {
    "bakery.txt": article(
        "Velden bakery wins regional bread prize",
        "The family bakery on Velden's market square won the regional prize for its rye bread.",
        "2025-10-01",
    ),
    "library.txt": article(
        "Ostby library extends its opening hours",
        "The town library of Ostby will open on Sundays from next month, the council said.",
        "2025-10-02",
    ),
}
FERRY_NEWS = article(
    "Quillmere gets a night ferry",
    "The night ferry to Quillmere will be run by captain Halvard Seim from January, the ferry "
    "company said. The night ferry crossing to Quillmere takes two hours.",
)
CHEESE_NEWS = article(
    "Cheese festival draws record crowds in Dornbach",
    "More than forty thousand visitors came to taste mountain cheeses at the Dornbach festival.",
)


@dataclass
class World:
    """An articles folder and its data dir, indexed."""

    folder: Path
    data: Path
    embedder: Any
    running: list[tuple[BotThread, TelegramStandIn]] = field(default_factory=list)

    def write(self, name: str, text: str) -> None:
        (self.folder / name).write_text(text, encoding="utf-8")

    def index(self) -> None:
        """Index the folder in this process (another writer beside the bot's reader)."""
        summary = build_indexer(Settings(_env_file=None, data_dir=self.data), self.embedder).run(
            [self.folder]
        )
        assert not summary.skipped

    def service(self, settings: Settings) -> NewsService:
        retriever = build_retriever(settings, self.embedder)
        return NewsService(retriever, ExtractiveAnswerer(self.embedder, idf=retriever.idf))

    def start_bot(self, **fields: Any) -> TelegramStandIn:
        """A stand-in and the bot against it; keyword arguments are Settings fields."""
        standin = TelegramStandIn(TOKEN).__enter__()
        settings = Settings(
            _env_file=None,
            data_dir=self.data,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=standin.url,
            follow_poll=0.5,
            **fields,
        )
        app = build_application(settings, self.service(settings), lambda: self.reindex(settings))
        self.running.append((BotThread(app).__enter__(), standin))
        standin.wait_polling()
        return standin

    def reindex(self, settings: Settings) -> Any:
        return build_indexer(settings, self.embedder).run([self.folder])

    def stop_bot(self) -> None:
        bot, standin = self.running.pop()
        bot.__exit__()
        standin.__exit__()

    @property
    def store(self) -> FollowStore:
        return FollowStore.in_data_dir(self.data)


@pytest.fixture
def world(tmp_path: Path, embedder: Any) -> Iterator[World]:
    found = World(tmp_path / "articles", tmp_path / "follow-data", embedder)
    found.folder.mkdir()
    for name, text in FIRST.items():
        found.write(name, text)
    found.index()
    yield found
    while found.running:
        found.stop_bot()


def say(standin: TelegramStandIn, text: str, user: int = USER) -> str:
    """Send `text` from `user`'s private chat; the bot's reply, as the user sees it."""
    before = len(standin.sent(user))
    standin.push_message(user, text)
    return standin.wait_sent(user, before + 1)[before].visible


def alerts(standin: TelegramStandIn, user: int = USER) -> list[str]:
    return [m.visible for m in standin.sent(user) if m.visible.startswith("New on")]


def wait_alerts(standin: TelegramStandIn, count: int, user: int = USER) -> list[str]:
    found = standin.wait_for(lambda: len(alerts(standin, user)) >= count and alerts(standin, user))
    standin.settle(quiet=1.2)  # a run's every message is out, and nothing more comes
    return list(found)


# --- Telegram -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_alert_for_what_another_process_indexes_and_none_after_a_restart(
    world: World,
) -> None:
    standin = world.start_bot()
    assert say(standin, "/follow night ferry to Quillmere").startswith("Following “night ferry")
    world.write("ferry.txt", FERRY_NEWS)
    world.write("cheese.txt", CHEESE_NEWS)
    done = run_newsbot("index", str(world.folder), data_dir=world.data)
    assert done.stdout.startswith("2 added"), done.stdout + done.stderr

    (alert,) = wait_alerts(standin, 1)
    assert "Quillmere gets a night ferry — ferry.txt" in alert
    assert "captain Halvard Seim" in alert
    assert "Cheese" not in " ".join(m.visible for m in standin.sent(USER))
    html = next(m.text for m in standin.sent(USER) if m.visible.startswith("New on"))
    assert "<blockquote>" in html  # the quote, as /sources shows one

    world.stop_bot()
    again = world.start_bot()
    again.settle(quiet=2.0)
    assert again.sent(USER) == []  # nothing pending, nothing matched again

    assert say(again, "/unfollow 1") == "Stopped following “night ferry to Quillmere”."
    world.write("ferry2.txt", FERRY_NEWS.replace("Halvard Seim", "Ragna Holt"))
    world.index()
    again.settle(quiet=2.0)
    assert alerts(again) == []


@pytest.mark.slow
def test_what_matched_while_the_bot_was_down_comes_at_its_start_and_only_then(
    world: World,
) -> None:
    from bot.factory import build_follows

    standin = world.start_bot()
    say(standin, "/follow night ferry to Quillmere")
    world.stop_bot()
    world.write("ferry.txt", FERRY_NEWS)
    world.index()
    # Another process (a `newsbot serve`, say) looks first: the alert waits in the outbox.
    settings = Settings(_env_file=None, data_dir=world.data)
    assert build_follows(settings, world.service(settings).retriever).check() == 1
    assert "captain Halvard Seim" in wait_alerts(world.start_bot(), 1)[0]
    world.stop_bot()
    again = world.start_bot()
    again.settle(quiet=1.5)
    assert again.sent(USER) == []


def test_following_is_numbered_and_unfollow_with_a_bad_number_says_so(world: World) -> None:
    standin = world.start_bot()
    assert say(standin, "/following").startswith("You follow nothing yet.")
    say(standin, "/follow harbour strike")
    say(standin, "/follow night ferry to Quillmere")
    listing = say(standin, "/following").splitlines()
    assert listing[0] == "You follow"
    assert listing[1].startswith("1. harbour strike (added ")
    assert listing[2].startswith("2. night ferry to Quillmere (added ")
    bad = say(standin, "/unfollow 5")
    assert bad == "There is no follow 5. Use /unfollow N, where N is the number /following shows."
    assert say(standin, "/unfollow two").startswith("Use /unfollow N")
    assert say(standin, "/unfollow").startswith("Use /unfollow N")
    assert say(standin, "/unfollow 1") == "Stopped following “harbour strike”."
    assert say(standin, "/following").splitlines()[1].startswith("1. night ferry to Quillmere")
    assert say(standin, "/follow").startswith("Use /follow TOPIC")


def test_the_follow_limit(world: World) -> None:
    standin = world.start_bot(follow_max=2)
    say(standin, "/follow harbour strike")
    say(standin, "/follow night ferry")
    refused = say(standin, "/follow cheese festival")
    assert refused == "You follow 2 topics, the most allowed: unfollow one first."
    assert [f.text for f in world.store.follows(f"telegram:{USER}")] == [
        "harbour strike",
        "night ferry",
    ]


def test_many_matches_in_one_run_come_as_the_best_three_and_a_digest(world: World) -> None:
    standin = world.start_bot()
    say(standin, "/follow new harbour master appointed")
    # Five different stories (near-identical ones would be one story's syndicated copies).
    towns = {
        "Arvella": "Mirela Okonkwo, a ferry captain for eleven years, takes over the quay.",
        "Brisport": "The fishermen's union had asked for Tomasz Halvorsen, a pilot, to get it.",
        "Caldwyn": "Ines Marchetti will also oversee the dredging of the silted east basin.",
        "Dunmarrow": "Kofi Lindqvist starts in March after the retirement of his predecessor.",
        "Eskerby": "Yuki Fairbrother promised lower mooring fees for the island's yachts.",
    }
    for town, detail in towns.items():
        world.write(
            f"{town}.txt",
            article(
                f"New harbour master appointed in {town}",
                f"The council of {town} has appointed a new harbour master. {detail}",
            ),
        )
    # Published before the day of the follow: not news to it.
    world.write(
        "old.txt",
        article(
            "New harbour master appointed in Fallowmere",
            "The town of Fallowmere has appointed a new harbour master, the council announced.",
            "2020-01-06",
        ),
    )
    world.write("cheese.txt", CHEESE_NEWS)
    world.index()
    found = wait_alerts(standin, 3)
    assert len(found) == 3
    digest = standin.wait_for(
        lambda: [m.visible for m in standin.sent(USER) if "more articles match" in m.visible]
    )
    assert digest[0].startswith("…and 2 more articles match “new harbour master appointed”: ")
    shown = " ".join(found) + digest[0]
    assert all(f"appointed in {town}" in shown for town in towns)
    assert "Fallowmere" not in shown and "Cheese" not in shown


def test_a_follower_who_blocked_the_bot_is_dropped(world: World) -> None:
    standin = world.start_bot(telegram_admin_users={USER})
    blocker = 602
    say(standin, "/follow night ferry to Quillmere", user=blocker)
    say(standin, "/follow night ferry to Quillmere")
    standin.block(blocker)
    world.write("ferry.txt", FERRY_NEWS)
    world.index()
    wait_alerts(standin, 1)
    standin.wait_for(lambda: not world.store.follows(f"telegram:{blocker}"))
    assert [f.text for f in world.store.follows(f"telegram:{USER}")] == ["night ferry to Quillmere"]
    stats = say(standin, "/stats")
    assert "Follows: 1\nFollowers: 1\nAlerts sent: 1" in stats


def test_follow_in_a_group_points_to_the_private_chat(world: World) -> None:
    standin = world.start_bot()
    standin.push_message(-100, "/follow harbour strike", user_id=USER)
    reply = standin.wait_sent(-100)[0].visible
    assert reply == "Follow topics in a private chat with me: alerts come there."
    assert world.store.follows() == []


# --- the service, without a front end ----------------------------------------------------------


def test_after_a_rebuild_only_the_articles_new_since_the_last_look_alert(world: World) -> None:
    from bot.factory import build_follows

    settings = Settings(_env_file=None, data_dir=world.data)
    follows = build_follows(settings, world.service(settings).retriever)
    follows.follow("web:x", "night ferry to Quillmere", today=date.today())
    world.write("ferry.txt", FERRY_NEWS)
    world.index()
    assert follows.check() == 1
    # A rebuild empties the collection: its change log cannot say what changed, so the articles
    # the index did not hold at the last look are matched, and no other.
    world.write("ferry2.txt", FERRY_NEWS.replace("Halvard Seim", "Ragna Holt"))
    build_indexer(settings, world.embedder).run([world.folder], rebuild=True)
    assert follows.check() == 1
    assert follows.check() == 0  # that version is handled
    assert [a.citation.file for a in follows.alerts("web:x")] == ["ferry2.txt", "ferry.txt"]
    assert {b.follower for b in follows.pending("web:")} == set()  # alerts() delivered them


# --- HTTP ---------------------------------------------------------------------------------------


def test_api_follows_for_each_token_apart(world: World) -> None:
    from bot.web.app import create_app

    settings = Settings(_env_file=None, data_dir=world.data, api_tokens="token-a,token-b")
    a = {"Authorization": "Bearer token-a"}
    b = {"Authorization": "Bearer token-b"}
    with ServedApp(create_app(world.service(settings), settings)) as web:
        assert httpx.get(web.url("/api/follows")).status_code == 401
        made = httpx.post(web.url("/api/follows"), json={"topic": "night ferry"}, headers=a)
        assert made.status_code == 201, made.text
        follow = made.json()
        assert follow["topic"] == "night ferry" and follow["since"] == TODAY
        empty = httpx.post(web.url("/api/follows"), json={"topic": "  ?! "}, headers=a)
        assert empty.status_code == 400 and "few words" in empty.json()["error"]
        assert httpx.get(web.url("/api/follows"), headers=b).json() == {"follows": [], "alerts": []}

        world.write("ferry.txt", FERRY_NEWS)
        world.write("cheese.txt", CHEESE_NEWS)
        world.index()
        listed = httpx.get(web.url("/api/follows"), headers=a).json()
        assert [f["id"] for f in listed["follows"]] == [follow["id"]]
        assert [x["title"] for x in listed["alerts"]] == ["Quillmere gets a night ferry"]
        assert listed["alerts"][0]["file"] == "ferry.txt" and listed["alerts"][0]["quote"]

        path = f"/api/follows/{follow['id']}"
        assert httpx.delete(web.url(path), headers=b).status_code == 404
        assert httpx.delete(web.url(path), headers=a).json() == {"removed": follow["id"]}
        assert httpx.get(web.url("/api/follows"), headers=a).json()["follows"] == []
