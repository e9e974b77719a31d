"""The `newsbot` command: index, ask, search, chat, telegram, eval.

Each command parses its input, calls the core service, and renders what comes back; the heavy parts
(embedding runtime, Telegram, the model client) are imported inside the commands that need them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from bot.errors import ConfigError, NewsbotError

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("newsbot")


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn any failure into one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except NewsbotError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        fail(
            f"unexpected {exc.__class__.__name__}: {str(exc)[:200]} "
            "(set NEWSBOT_DEBUG=1 to see the traceback)"
        )


def load_settings() -> Any:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'setting'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None


def parse_as_of(value: str | None) -> date | None:
    if value is None:
        return None
    from index.articles import parse_date

    if value.strip().lower() == "today":
        return date.today()
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter("use a date such as 2024-05-01", param_hint="--as-of")
    return parsed


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsbot")
def cli() -> None:
    """Ask questions about a folder of news articles and get answers cited to the files."""
    logging.basicConfig(
        level=logging.DEBUG if os.environ.get("NEWSBOT_DEBUG") else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # httpx logs request URLs at INFO, and Telegram's contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)


@cli.command("index")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Delete the index and build it again from scratch.")
def index_command(folders: tuple[Path, ...], rebuild: bool) -> None:
    """Index the articles in FOLDERS (default: seeds/); unchanged files are skipped."""
    with user_errors():
        from bot.factory import build_indexer

        folders = folders or (Path("seeds"),)
        for folder in folders:
            if not folder.is_dir():
                fail(f"{folder} is not a folder of articles")
        indexer = build_indexer(load_settings())
        with progress_bar("Indexing") as progress:
            summary = indexer.run(list(folders), rebuild=rebuild, progress=progress)
        click.echo(summary.line())
        for name, reason in summary.skipped:
            click.echo(f"  skipped {name}: {reason}")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@cli.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--k", "k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option("--as-of", "as_of", default=None, help="Answer as of this date (YYYY-MM-DD).")
def ask_command(question: str, as_json: bool, k: int | None, as_of: str | None) -> None:
    """Answer QUESTION from the indexed articles ('-' reads it from standard input).

    Exit status: 0 answered, 3 the articles don't cover it, 1 error.
    """
    with user_errors():
        from bot.factory import build_service

        if question == "-":
            question = sys.stdin.read()
        when = parse_as_of(as_of)
        service = build_service(load_settings())
        answer = service.answer(question, as_of=when, k=k)
        if as_json:
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        else:
            from bot.render import answer_as_text

            click.echo(answer_as_text(answer))
    sys.exit(EXIT_REFUSED if answer.refused else EXIT_OK)


@cli.command("search")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the passages as a JSON list.")
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, help="Passages to show.")
@click.option("--as-of", "as_of", default=None, help="Ignore articles published after this date.")
def search_command(question: str, as_json: bool, k: int, as_of: str | None) -> None:
    """Show the passages that best match QUESTION, best first."""
    with user_errors():
        from bot.factory import build_service

        when = parse_as_of(as_of)
        passages = build_service(load_settings()).search(question, k=k, as_of=when)
        if as_json:
            rows = [
                {
                    "file": p.file,
                    "title": p.chunk.title,
                    "date": p.chunk.date or None,
                    "score": round(p.score, 6),
                    "start": p.chunk.start,
                    "end": p.chunk.end,
                    "text": p.chunk.text,
                }
                for p in passages
            ]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for rank, p in enumerate(passages, start=1):
            snippet = " ".join(p.chunk.text.split())[:110]
            click.echo(f"{rank:>2}. {p.score:.4f} {p.file} ({p.chunk.date or 'undated'}) {snippet}")


def main() -> None:
    cli()
