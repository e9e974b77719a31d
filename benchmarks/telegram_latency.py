"""Telegram: time from a user's update to the bot's first reply message, with the extractive answerer.

    PYTHONPATH=. python benchmarks/telegram_latency.py [--questions 30] [--rounds 5] [--data-dir DIR]

Runs `newsbot telegram` as a subprocess (polling) against the Bot API stand-in on loopback
(tests/telegram_standin.py), and measures from the moment an update is queued at the stand-in to
the moment the bot's sendMessage for that chat arrives there: long-poll pickup, python-telegram-bot,
retrieval and the answer, its rate limiter (30 messages a second overall), and the HTTP round trips.

- 1 chat: `--questions` questions one after another, each after the previous answer.
- 20 chats: `--rounds` rounds of 20 chats asking at the same moment.

Without --data-dir, seeds/ is indexed into a temporary data dir first. Two untimed questions warm
the process up. Prints p50, p95 and max in milliseconds, and the bot's CPU time per answer (on a
busy machine the latency grows with the load; the CPU time much less).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import p50, p95

from tests.support.telegram_standin import TelegramStandIn

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "1000000001:benchmark-token"
QUESTIONS = [
    "Who met at the ASEAN defence meeting?",
    "When did Hegseth and Khaled meet?",
    "What did they sign?",
    "Which agreement was renewed?",
    "How many Malaysian officers train in the US each year?",
    "Where will they meet next year?",
    "Which rocket systems were fired in the Straits of Malacca drills?",
    "What did they say about preventing military miscalculations?",
]


def first_reply_latency(standin: TelegramStandIn, chat_id: int, message_id: int) -> float:
    (first, *_) = standin.wait_sent(chat_id, timeout=120)
    return first.sent_at - standin.pushed_at[message_id]


def one_chat(standin: TelegramStandIn, questions: int, first_chat: int) -> list[float]:
    times = []
    for i in range(questions):
        chat = first_chat + i  # a fresh chat each time, so "first message" is this answer's
        message_id = standin.push_message(chat, QUESTIONS[i % len(QUESTIONS)])
        times.append(first_reply_latency(standin, chat, message_id))
    return times


def twenty_chats(standin: TelegramStandIn, rounds: int, first_chat: int) -> list[float]:
    times = []
    for r in range(rounds):
        chats = [first_chat + r * 20 + i for i in range(20)]
        pushed = {
            chat: standin.push_message(chat, QUESTIONS[chat % len(QUESTIONS)]) for chat in chats
        }
        times += [first_reply_latency(standin, chat, pushed[chat]) for chat in chats]
        standin.settle(quiet=0.5)
    return times


def cpu_seconds(pid: int) -> float:
    """The bot process's CPU time so far (Linux), for figures that don't depend on the load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(label: str, times: list[float], cpu: float) -> None:
    ms = sorted(t * 1000 for t in times)
    print(
        f"{label:<22} n={len(ms):<4} p50 {p50(ms):7.0f} ms   "
        f"p95 {p95(ms):7.0f} ms   max {ms[-1]:7.0f} ms   bot CPU {cpu / len(ms) * 1000:5.0f} ms/answer"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        env["NEWSBOT_DATA_DIR"] = str(data_dir)
        if args.data_dir is None:
            subprocess.run(
                [sys.executable, "-m", "bot", "index", str(ROOT / "seeds")],
                env=env,
                check=True,
                capture_output=True,
            )
        with TelegramStandIn(TOKEN) as standin:
            env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": standin.url}
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "telegram"], env=env, stderr=subprocess.DEVNULL
            )
            try:
                started = time.monotonic()
                standin.wait_polling(120)
                print(f"bot polling {time.monotonic() - started:.1f} s after start")
                one_chat(standin, 2, first_chat=1)  # warm-up
                cpu = cpu_seconds(bot.pid)
                times = one_chat(standin, args.questions, first_chat=100)
                report("1 chat", times, cpu_seconds(bot.pid) - cpu)
                cpu = cpu_seconds(bot.pid)
                times = twenty_chats(standin, args.rounds, first_chat=1000)
                report("20 concurrent chats", times, cpu_seconds(bot.pid) - cpu)
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(60)


if __name__ == "__main__":
    main()
