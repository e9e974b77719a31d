"""`newsbot serve`: check the address, build the service, run the app on uvicorn."""

from __future__ import annotations

from collections.abc import Callable

from bot.redaction import protect
from bot.settings import Settings
from bot.web.access import check_bind, parse_tokens


def serve(settings: Settings, *, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted; ConfigError before anything is bound when `host` is not loopback
    and no tokens are set."""
    tokens = parse_tokens(settings.api_tokens.get_secret_value() if settings.api_tokens else None)
    check_bind(host, tokens)
    for token in tokens:
        protect(token)  # never in a log or an error message
    import uvicorn

    from bot.factory import build_service
    from bot.web.app import create_app

    app = create_app(build_service(settings), settings)
    shown = f"[{host}]" if ":" in host else host
    announce(f"newsbot serve: http://{shown}:{port}/ (the API at /api, docs at /docs)")
    # No access log: a search's URL holds its question, and questions are logged only as counts.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
