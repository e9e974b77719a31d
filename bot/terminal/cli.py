"""The `newsbot` command: index, ask, search, chat, telegram, serve, eval.

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
from typing import Any, NoReturn

import click

from bot.errors import ConfigError, describe
from bot.redaction import protect, protect_environment, redact
from bot.terminal.render import printable

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3
AS_OF_HELP = "Answer as of this date (YYYY-MM-DD); by default today, or a date the question names."


def fail(message: str) -> NoReturn:
    click.echo(printable(f"error: {redact(message)}"), err=True)
    sys.exit(EXIT_ERROR)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn any failure into one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except Exception as exc:
        fail(describe(exc))


def load_settings() -> Any:
    from pydantic import SecretStr, ValidationError

    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'setting'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None
    for value in settings.__dict__.values():
        if isinstance(value, SecretStr):
            protect(value.get_secret_value())
    return settings


def announce_settings(settings: Any, *, telegram: bool = False) -> None:
    """Say on stderr which .env file was read and which servers are not the usual ones."""
    from bot.settings import start_up_lines

    for line in start_up_lines(settings, telegram=telegram):
        click.echo(printable(redact(line)), err=True)


def parse_as_of(value: str | None) -> date | None:
    """The day an `--as-of` names; None without one (then the service decides, `bot.as_of`)."""
    if value is None:
        return None
    from index.language.dates import parse_date

    if value.strip().lower() == "today":
        from bot import today

        return today()
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
    # Secret values (keys, tokens) never reach the terminal or a log, even when a library quotes one.
    protect_environment()
    # Whatever newsbot writes (the store, snapshots of articles, the question history) is readable
    # by the user alone, whichever library writes it.
    os.umask(0o077)
    # httpx logs request URLs at INFO, and Telegram's contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)


@cli.command("index")
@click.argument("sources", nargs=-1, metavar="[FOLDER | URL]...")
@click.option("--rebuild", is_flag=True, help="Delete the index and build it again from scratch.")
@click.option(
    "--watch", is_flag=True, help="Keep the index current: read the sources again every --every."
)
@click.option(
    "--every",
    default=None,
    metavar="DURATION",
    help="Time between two cycles of --watch, such as 10m, 90s or 1h (default 10m).",
)
def index_command(sources: tuple[str, ...], rebuild: bool, watch: bool, every: str | None) -> None:
    """Index the articles in folders and the pages and feeds at URLs (default: seeds/).

    Folders may hold .txt, .md, .html, RSS or Atom feeds, .jsonl or .json exports, .pdf and .docx;
    unchanged articles are skipped.
    """
    with user_errors():
        from bot.factory import build_indexer
        from bot.terminal.watch import parse_duration, run_watch
        from index.reading.sources import is_address

        if every is not None and not watch:
            raise click.UsageError("--every goes with --watch")
        addresses = [s for s in sources if is_address(s)]
        folders = [Path(s) for s in sources if not is_address(s)] or (
            [] if addresses else [Path("seeds")]
        )
        for folder in folders:
            if not folder.is_dir():
                hint = "" if "://" not in str(folder) else " (only http:// and https:// addresses)"
                fail(f"{folder} is not a folder of articles{hint}")
        settings = load_settings()
        interval = parse_duration(every) if every is not None else settings.watch_every
        indexer = build_indexer(settings)
        try:
            if watch:
                run_watch(
                    indexer,
                    folders,
                    addresses,
                    every=interval,
                    rebuild=rebuild,
                    report=lambda line: click.echo(line),
                )
                return
            with progress_bar("Indexing") as progress:
                summary = indexer.run(
                    folders, addresses=addresses, rebuild=rebuild, progress=progress
                )
        finally:
            indexer.close()
        click.echo(summary.line())
        for name, reason in summary.skipped:
            click.echo(f"  skipped {name}: {reason}")
        for name, what in summary.cut:
            click.echo(f"  cut {name}: {what}")


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
@click.option("--as-of", "as_of", default=None, help=AS_OF_HELP)
@click.option(
    "--source-only", is_flag=True, help="Print only the sources that answer, with their quotes."
)
@click.option("--no-color", is_flag=True, help="Plain text even on a terminal.")
def ask_command(
    question: str,
    as_json: bool,
    k: int | None,
    as_of: str | None,
    source_only: bool,
    no_color: bool,
) -> None:
    """Answer QUESTION from the indexed articles ('-' reads it from standard input).

    Exit status: 0 answered, 3 the articles don't cover it, 1 error.
    """
    with user_errors():
        from bot import build_service, today

        if question == "-":
            # Bytes that aren't UTF-8 become U+FFFD rather than a UnicodeDecodeError.
            question = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        when = parse_as_of(as_of)
        service = build_service(load_settings())
        answer = service.answer(question, as_of=when, now=today(), k=k)
        if answer.notice and (as_json or source_only):
            # The model was down or unverifiable: say so where a script's reader will see it.
            click.echo(printable(f"note: {answer.notice}"), err=True)
        if as_json:
            data = answer.to_json()
            click.echo(
                json.dumps(data["citations"] if source_only else data, ensure_ascii=False, indent=2)
            )
        elif source_only and answer.refused:
            click.echo(printable(answer.text), err=True)
        elif rich_terminal(no_color):
            from rich.console import Console

            from bot.terminal.render_rich import answer_view, sources_view

            Console(highlight=False).print(
                sources_view(answer) if source_only else answer_view(answer)
            )
        else:
            from bot.terminal.render import answer_as_text, sources_with_quotes

            click.echo(
                printable(sources_with_quotes(answer) if source_only else answer_as_text(answer))
            )
    sys.exit(EXIT_REFUSED if answer.refused else EXIT_OK)


def rich_terminal(no_color: bool) -> bool:
    """Rich output only for a person at a terminal who hasn't asked for plain text (NO_COLOR too)."""
    return (
        not no_color
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )


@cli.command("search")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the passages as a JSON list.")
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, help="Passages to show.")
@click.option("--as-of", "as_of", default=None, help="Ignore articles published after this date.")
def search_command(question: str, as_json: bool, k: int, as_of: str | None) -> None:
    """Show the passages that best match QUESTION, best first."""
    with user_errors():
        from bot import build_service, today

        when = parse_as_of(as_of)
        service = build_service(load_settings())
        passages = service.search(question, k=k, as_of=when, now=today())
        if as_json:
            rows = [p.to_json() for p in passages]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for rank, p in enumerate(passages, start=1):
            snippet = " ".join(p.chunk.text.split())[:110]
            also = f" (also in {', '.join(d.file for d in p.duplicates)})" if p.duplicates else ""
            click.echo(
                printable(
                    f"{rank:>2}. {p.score:.4f} {p.file} ({p.chunk.date or 'undated'}) "
                    f"[{p.chunk.start}:{p.chunk.end}]{also} {snippet}"
                )
            )


@cli.command("eval")
@click.argument("queries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--articles",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="The folder of articles the questions are about (indexed into a collection of its own).",
)
@click.option(
    "--as-of-field", default=None, help="Ask each question as of the date in this JSON field."
)
@click.option(
    "--without-evidence",
    is_flag=True,
    help="Leave each question's evidence files out of retrieval: the right answer is a refusal.",
)
@click.option(
    "--retrieval",
    "retrieval",
    multiple=True,
    metavar="KEY=VALUE",
    help="Change a retrieval setting for this run, such as lexical_weight=0 or date_aware=false "
    "(repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_command(
    queries: Path,
    articles: Path,
    as_of_field: str | None,
    without_evidence: bool,
    retrieval: tuple[str, ...],
    as_json: bool,
) -> None:
    """Score retrieval and answers on QUERIES (JSONL: question, evidence_files, answer)."""
    with user_errors():
        from bot import build_service
        from bot.evaluation import eval_settings, evaluate, load_queries
        from bot.factory import build_embedder, build_indexer, retrieval_config

        config = retrieval_config(retrieval)
        questions = load_queries(queries, as_of_field)
        settings = load_settings()
        embedder = build_embedder(settings)
        settings = eval_settings(settings, articles, embedder.name)
        with progress_bar("Indexing") as progress:
            summary = build_indexer(settings, embedder).run([articles], progress=progress)
        if not as_json:
            click.echo(summary.line(), err=True)
        service = build_service(settings, config)
        with progress_bar("Evaluating") as progress:
            report = evaluate(
                service, questions, progress=progress, without_evidence=without_evidence
            )
        if as_json:
            click.echo(json.dumps(report.to_json(), indent=2))
        else:
            click.echo("\n".join(report.lines()))


@cli.command("chat")
@click.option("--k", "k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve.")
@click.option("--as-of", "as_of", default=None, help=AS_OF_HELP)
@click.option("--no-color", is_flag=True, help="No colours on the terminal.")
def chat_command(k: int | None, as_of: str | None, no_color: bool) -> None:
    """Chat about the articles; follow-up questions use the conversation.

    Without a terminal, it answers each line of standard input in plain text (exit status 1 if any
    line failed).
    """
    with user_errors():
        from bot import build_service

        when = parse_as_of(as_of)
        settings = load_settings()
        announce_settings(settings)
        service = build_service(settings)
        if sys.stdin.isatty() and sys.stdout.isatty():
            from bot.terminal.console import run_terminal

            code = run_terminal(
                service,
                history_file=settings.data_dir / "chat_history",
                k=k,
                as_of=when,
                color=not no_color and os.environ.get("TERM") != "dumb",
            )
        else:
            from bot.terminal.chat import run_plain

            code = run_plain(service, sys.stdin, sys.stdout, sys.stderr, k=k, as_of=when)
    sys.exit(code)


@cli.command("telegram")
@click.option(
    "--articles",
    "folders",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder that /reindex indexes again (repeatable; default: seeds/).",
)
@click.option(
    "--webhook",
    "webhook_url",
    default=None,
    metavar="URL",
    help="Receive updates at this public HTTPS URL (behind a proxy) instead of polling.",
)
@click.option("--listen", default="127.0.0.1", show_default=True, help="Webhook server address.")
@click.option("--port", type=click.IntRange(1, 65535), default=8443, show_default=True)
def telegram_command(
    folders: tuple[Path, ...], webhook_url: str | None, listen: str, port: int
) -> None:
    """Run the Telegram bot (needs TELEGRAM_BOT_TOKEN); polls Telegram unless --webhook is given."""
    with user_errors():
        from bot.telegram.app import run_bot

        settings = load_settings()
        announce_settings(settings, telegram=True)
        run_bot(
            settings,
            folders=folders,
            webhook_url=webhook_url,
            listen=listen,
            port=port,
            announce=lambda line: click.echo(line, err=True),
        )


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
def serve_command(host: str, port: int) -> None:
    """Serve the web page, the JSON API and an OpenAI-compatible endpoint.

    On an address other than loopback it needs NEWSBOT_API_TOKENS.
    """
    with user_errors():
        from bot.web.server import serve

        settings = load_settings()
        announce_settings(settings)
        serve(settings, host=host, port=port, announce=lambda line: click.echo(line, err=True))


def main() -> None:
    cli()
