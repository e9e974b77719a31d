"""`newsbot index --watch`: index the folders and addresses again and again, one line a cycle, until
Ctrl-C or SIGTERM.

Each cycle is an ordinary incremental run (`Indexer.run`), so it reads only what changed. A source
that fails is named in the cycle's line and never ends it. A cycle that fails anyway (the Chroma
server down, another process writing, or anything unforeseen) is logged and the next one tries
again; only a fault no later cycle can get past (the collection built with another embedding
model) ends the watch. A stop request ends the cycle after the article being read.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType

from bot.errors import ConfigError, describe
from index.errors import CollectionNameError, EmbeddingMismatch, NewsbotError
from index.indexing import Indexer, IndexSummary

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.I)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Skipped sources named in a cycle's line; the rest are counted.
_NAMED_SKIPS = 3


def parse_duration(text: str) -> float:
    """Seconds in "10m", "90s", "1h30m", "2h" or "45" (seconds); ConfigError if it is none."""
    compact = text.strip().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"--every {text}: use a duration such as 10m, 90s or 1h")
    seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    if seconds < 1:
        raise ConfigError(f"--every {text}: a cycle needs at least a second")
    return seconds


def cycle_line(number: int, summary: IndexSummary, seconds: float) -> str:
    """What one cycle did, in one line, with the first sources it skipped and why."""
    line = f"{_stamp()} cycle {number}: {summary.line()} ({seconds:.1f} s)"
    skipped = summary.skipped
    if skipped:
        named = "; ".join(f"{name} ({why})" for name, why in skipped[:_NAMED_SKIPS])
        more = f"; and {len(skipped) - _NAMED_SKIPS} more" if len(skipped) > _NAMED_SKIPS else ""
        line += f"; skipped {named}{more}"
    if summary.cut:
        named = "; ".join(f"{name} ({what})" for name, what in summary.cut[:_NAMED_SKIPS])
        more = (
            f"; and {len(summary.cut) - _NAMED_SKIPS} more"
            if len(summary.cut) > _NAMED_SKIPS
            else ""
        )
        line += f"; cut {named}{more}"
    if summary.stopped:
        line += "; stopped before the end"
    return line


def run_watch(
    indexer: Indexer,
    folders: Sequence[Path],
    addresses: Sequence[str],
    *,
    every: float,
    rebuild: bool,
    report: Callable[[str], None],
) -> None:
    """Run cycles every `every` seconds (start to start) until Ctrl-C or SIGTERM."""
    with stop_signals(report) as stop:
        number = 0
        while not stop.is_set():
            number += 1
            started = time.monotonic()
            try:
                summary = indexer.run(
                    folders, addresses=addresses, rebuild=rebuild and number == 1, stop=stop.is_set
                )
                report(cycle_line(number, summary, time.monotonic() - started))
            except (EmbeddingMismatch, CollectionNameError, ConfigError):
                raise  # every cycle would fail the same way until the settings change
            except NewsbotError as exc:
                # It may pass: the server restarts, the other writer finishes.
                report(
                    f"{_stamp()} cycle {number}: failed, tried again next cycle: {describe(exc)}"
                )
            except Exception as exc:
                # Not foreseen, and maybe not for good: the next cycle tries, and the log has why.
                log.error("cycle %d failed", number, exc_info=True)
                report(
                    f"{_stamp()} cycle {number}: failed, tried again next cycle: unexpected "
                    f"{exc.__class__.__name__}"
                )
            stop.wait(max(0.0, every - (time.monotonic() - started)))
        report("stopped")


def _stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


@contextmanager
def stop_signals(report: Callable[[str], None]) -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C or SIGTERM; a second Ctrl-C interrupts at once."""
    stop = threading.Event()

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        report("stopping once the article being read is in (Ctrl-C again to stop at once)")

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
