"""A question set's articles indexed as `newsbot eval` indexes them (a collection of their own in the
data dir, reused by a later run), for the benchmarks that time answers over a question set.

Imported by the benchmarks from beside them, like `timing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def indexed_settings(articles: Path) -> Any:
    """The settings of the articles' own collection, indexed (only what changed since last time)."""
    from bot.evaluation import eval_settings
    from bot.factory import build_embedder, build_indexer
    from bot.terminal.cli import load_settings

    settings = load_settings()
    embedder = build_embedder(settings)
    settings = eval_settings(settings, articles, embedder.name)
    build_indexer(settings, embedder).run([articles])
    return settings
