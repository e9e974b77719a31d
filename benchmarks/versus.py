"""A baseline commit's speed and memory beside the current tree's, with their ratios.

    python benchmarks/versus.py BASELINE --eval-dir realtimeqa [--size 500000] [--articles 150] [--runs 5]

The baseline is unpacked from git into a temporary folder and run with this venv's python, each
tree importing its own `bot` and `index`, on the same data, one after the other:

- index chunks/s: `newsbot index` of the first ARTICLES realtimeqa articles into a new data dir,
  process start to exit, over the chunks the collection then holds;
- first answer after a change: SIZE synthetic chunks (benchmarks/scale.py `grow`, run with the
  tree's code) served once, then 10 of its articles re-indexed (`change`), then a new process
  started as a bot is (`serve`): seconds from its start to its first answer;
- RSS and search p50/p95: that process's, after it searched the dev questions, each as of its
  date;
- cold ask: the median wall time of `newsbot ask --json` over RUNS new processes, with ARTICLES
  articles indexed.

Ratios are current / baseline: below 1 is faster (or smaller) for every figure but chunks/s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALE = str(ROOT / "benchmarks" / "scale.py")
CHANGED_ARTICLES = 10


@dataclass
class Tree:
    name: str
    path: Path

    def env(self, data_dir: Path) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NEWSBOT_", "OPENAI_", "CHROMA_", "TELEGRAM_"))
        }
        return env | {"PYTHONPATH": str(self.path), "NEWSBOT_DATA_DIR": str(data_dir)}

    def run(self, data_dir: Path, *args: str) -> tuple[float, str]:
        """Wall seconds and stdout of one new process in this tree."""
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *args],
            cwd=self.path,
            env=self.env(data_dir),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        # `ask` exits 3 when it declines to answer: an answer all the same.
        if done.returncode not in (0, 3):
            sys.exit(f"{self.name}: {' '.join(args[:3])} failed:\n{done.stderr[-2000:]}")
        return seconds, done.stdout

    def newsbot(self, data_dir: Path, *args: str) -> tuple[float, str]:
        return self.run(data_dir, "-m", "bot", *args)

    def step(self, data_dir: Path, *args: str) -> dict[str, float]:
        """One of this file's in-tree steps (below), run with the tree's own code."""
        _, out = self.run(data_dir, str(Path(__file__).resolve()), "--in-tree", *args)
        result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return result


def unpack(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def article_folder(tmp: Path, name: str, paths: list[Path]) -> Path:
    folder = tmp / name
    folder.mkdir()
    for path in paths:
        shutil.copy(path, folder / path.name)
    return folder


def measure(tree: Tree, tmp: Path, args: argparse.Namespace) -> dict[str, float]:
    articles = sorted((args.eval_dir / "articles").glob("*.txt"))
    first = article_folder(tmp, f"{tree.name}-first", articles[: args.articles])
    question = json.loads((args.eval_dir / "queries.dev.jsonl").read_text().splitlines()[0])[
        "question"
    ]
    figures: dict[str, float] = {}

    small = tmp / f"{tree.name}-small"
    seconds, _ = tree.newsbot(small, "index", str(first))
    chunks = tree.step(small, "count")["chunks"]
    figures["index chunks/s"] = chunks / seconds
    tree.newsbot(small, "ask", "--json", question)  # builds what a first ask builds, once
    cold = [tree.newsbot(small, "ask", "--json", question)[0] for _ in range(args.runs)]
    figures["cold ask s (median)"] = statistics.median(cold)

    large, queries = tmp / f"{tree.name}-large", str(args.eval_dir / "queries.dev.jsonl")
    tree.run(
        large, SCALE, "grow", str(large), str(args.eval_dir / "articles"), "--size", str(args.size)
    )
    tree.run(large, SCALE, "serve", str(large), queries)  # the catalogue before the change
    tree.run(large, SCALE, "change", str(large), "--files", str(CHANGED_ARTICLES))
    _, out = tree.run(large, SCALE, "serve", str(large), queries)
    served = json.loads(out.strip().splitlines()[-1])
    figures["first answer after change s"] = served["first_answer_s"]
    figures["RSS MB"] = served["rss_mb"]
    figures["search p50 ms"] = served["p50_ms"]
    figures["search p95 ms"] = served["p95_ms"]
    shutil.rmtree(large, ignore_errors=True)
    return figures


def report(baseline: dict[str, float], current: dict[str, float], size: int) -> None:
    print(f"{'figure':<40} {'baseline':>10} {'current':>10} {'ratio':>7}")
    for key in baseline:
        label = key.replace("after change", f"after change at {size:,}")
        ratio = current[key] / baseline[key] if baseline[key] else float("nan")
        print(f"{label:<40} {baseline[key]:>10.2f} {current[key]:>10.2f} {ratio:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="a commit, tag or branch")
    parser.add_argument(
        "--eval-dir",
        type=Path,
        required=True,
        help="the RealTime QA set's folder (articles/, queries.dev.jsonl)",
    )
    parser.add_argument("--size", type=int, default=500_000, help="chunks for the large index")
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5, help="cold ask processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        trees = [
            Tree("baseline", unpack(args.baseline, tmp / "baseline")),
            Tree("current", ROOT),
        ]
        results = {}
        for tree in trees:
            print(f"measuring {tree.name} ({tree.path}) ...", file=sys.stderr, flush=True)
            results[tree.name] = measure(tree, tmp, args)
    report(results["baseline"], results["current"], args.size)


# --- steps run inside a tree, with that tree's code on the path -------------------------------


def in_tree(step: str, *args: str) -> dict[str, float]:
    from bot.factory import build_embedder, build_store
    from bot.settings import Settings

    settings = Settings()
    embedder = build_embedder(settings)
    store = build_store(settings, embedder)
    if step == "count":
        return {"chunks": float(store.collection.count())}
    raise SystemExit(f"no step {step!r}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--in-tree":
        print(json.dumps(in_tree(sys.argv[2], *sys.argv[3:])))
    else:
        main()
