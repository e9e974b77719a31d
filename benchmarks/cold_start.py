"""Cold start of the two ways staff reach newsbot from a shell: a new process each time.

    python benchmarks/cold_start.py [--runs 7] [--data-dir DIR]

- `newsbot ask --json QUESTION`: from exec to exit, the answer included.
- `newsbot chat`: from exec to its first prompt on a pseudo-terminal (then Ctrl-D).

Without --data-dir, seeds/ is indexed into a temporary data dir first. The environment is passed on,
so `PYTHONPATH=OLD_CHECKOUT python benchmarks/cold_start.py --data-dir DIR` times an older release
on the same data (give each its own copy of DIR: each keeps its catalogue there in its own way). One untimed run of each
warms the OS file cache, so the figures are a process's start, not the disk's. Prints the median,
min and max wall time of each in seconds, and the median CPU time (user + system) the process used:
on a busy machine the wall time grows with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Which agreement was renewed?"
PROMPT = "newsbot> "


def newsbot() -> str:
    script = Path(sys.executable).with_name("newsbot")
    if not script.exists():
        sys.exit("run this with the venv's python (the one that has the `newsbot` command)")
    return str(script)


def environment(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSBOT_", "OPENAI_", "CHROMA_", "TELEGRAM_"))
    }
    return env | {
        "NEWSBOT_DATA_DIR": str(data_dir),
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_ask(env: dict[str, str], cwd: Path) -> Timing:
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [newsbot(), "ask", "--json", QUESTION], env=env, cwd=cwd, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"ask failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed, children_cpu() - cpu


def time_chat(env: dict[str, str], cwd: Path) -> Timing:
    """To the first prompt; the CPU time is the whole process's, which leaves at once after it."""
    cpu, started = children_cpu(), time.perf_counter()
    child = pexpect.spawn(newsbot(), ["chat"], env=env, cwd=str(cwd), encoding="utf-8", timeout=120)
    child.expect_exact(PROMPT)
    elapsed = time.perf_counter() - started
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return elapsed, children_cpu() - cpu


def summary(name: str, timings: list[Timing]) -> str:
    wall = [w for w, _ in timings]
    cpu = statistics.median(c for _, c in timings)
    return (
        f"{name:<32} median {statistics.median(wall):5.2f} s"
        f"   min {min(wall):5.2f}   max {max(wall):5.2f}   CPU {cpu:5.2f} s   ({len(wall)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)  # no .env from the repo
        data_dir = args.data_dir or cwd / "data"
        env = environment(data_dir)
        if args.data_dir is None:
            subprocess.run(
                [newsbot(), "index", str(ROOT / "seeds")],
                env=env,
                cwd=cwd,
                check=True,
                capture_output=True,
            )
        time_ask(env, cwd)
        time_chat(env, cwd)
        ask = [time_ask(env, cwd) for _ in range(args.runs)]
        chat = [time_chat(env, cwd) for _ in range(args.runs)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}, Python {sys.version.split()[0]}")
    print(summary("newsbot ask --json (to exit)", ask))
    print(summary("newsbot chat (to first prompt)", chat))


if __name__ == "__main__":
    main()
