"""`newsbot serve` under load: 1, 8 and 32 concurrent clients on /api/ask, against in-process
`NewsService.answer` on the same questions in the same run.

    python benchmarks/serve_load.py QUERIES.jsonl --articles DIR [--as-of-field F]
        [--clients 1,8,32] [--questions 48] [--warm-up 5]

The articles are indexed as `newsbot eval` indexes them (a collection of their own in the data dir,
reused by a second run). In-process, `--questions` questions are answered one after another. Then
`newsbot serve` runs in a process of its own on a free loopback port (no rate limit) and, for each
number of clients, that many threads each with its own connection ask the same `--questions`
questions between them, as fast as answers come. Each side first answers the questions once
untimed, so every timed answer is a warm one. For each: p50 and p95 latency, answers per
second, and CPU seconds per answer (the server process's, from /proc; in-process, this process's).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from question_sets import indexed_settings
from timing import p50, p95

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process `pid` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def line(label: str, times: list[float], wall: float, cpu: float) -> str:
    n = len(times)
    return (
        f"{label:<22} {n:>4}  p50 {p50(times) * 1000:7.0f} ms  "
        f"p95 {p95(times) * 1000:7.0f} ms  {n / wall:6.2f} answers/s  "
        f"CPU {cpu / n * 1000:6.0f} ms/answer"
    )


def in_process(service: Any, queries: list[Any]) -> str:
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for q in queries:
        started = time.perf_counter()
        service.answer(q.question, as_of=q.as_of)
        times.append(time.perf_counter() - started)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return line("in-process answer", times, wall, cpu)


def start_server(settings: Any) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    env |= {
        "NEWSBOT_DATA_DIR": str(settings.data_dir),
        "NEWSBOT_COLLECTION": settings.collection,
        "NEWSBOT_API_QUESTIONS_PER_MINUTE": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("newsbot serve did not start")
        time.sleep(0.3)


def load(url: str, pid: int, queries: list[Any], clients: int) -> str:
    import httpx

    local = [httpx.Client(base_url=url, timeout=300) for _ in range(clients)]

    def ask(job: tuple[int, Any]) -> float:
        i, q = job
        body = {"question": q.question}
        if q.as_of is not None:
            body["as_of"] = q.as_of.isoformat()
        started = time.perf_counter()
        response = local[i % clients].post("/api/ask", json=body)
        response.raise_for_status()
        return time.perf_counter() - started

    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(ask, enumerate(queries)))
    wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
    for c in local:
        c.close()
    return line(f"serve, {clients} client{'s' if clients > 1 else ''}", times, wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--as-of-field", default=None)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--questions", type=int, default=48, help="Questions per run.")
    parser.add_argument("--warm-up", type=int, default=5)
    args = parser.parse_args()

    from bot.evaluation import load_queries
    from bot.factory import build_service

    settings = indexed_settings(args.articles)
    all_queries = load_queries(args.queries, args.as_of_field)
    warm, timed = all_queries[: args.warm_up], all_queries[args.warm_up :]
    queries = list(islice(cycle(timed), args.questions))

    # Every run asks the same questions: each side answers them once untimed first, so that every
    # timed answer is a warm one (models loaded, the questions' sentences cached alike).
    service = build_service(settings)
    for q in [*warm, *queries]:
        service.answer(q.question, as_of=q.as_of)
    print(in_process(service, queries), flush=True)
    del service  # the server opens the same store: one process writes to an embedded one at a time

    server, url = start_server(settings)
    try:
        load(url, server.pid, [*warm, *queries], 1)
        for clients in (int(c) for c in args.clients.split(",")):
            print(load(url, server.pid, queries, clients), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
