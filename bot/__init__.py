"""newsbot: answers questions about a folder of news articles, with citations to the files.

The library's API, which newsbot's own command line uses too::

    from bot import Settings, build_service, today

    service = build_service(Settings())   # NEWSBOT_* settings from the environment or .env
    answer = service.answer("Who met on October 30?", now=today())
    print(answer.text)                    # "... [1]"
    for citation in answer.citations:     # the file's own text between start and end
        print(citation.n, citation.file, citation.quote)

- `build_service(settings)`: the `NewsService`, built from the settings (`bot.settings.Settings`).
- `NewsService`: `answer`, `stream` (the text as it is written, then the `Answer`), `search`.
- `Answer`, `Citation`, `Source`, `ShortAnswer`: what it returns, as plain frozen data.
- `Turn`: one exchange of a conversation, to ask a follow-up with (`Turn.of(answer)`).
- `today`: "now" for a person at this machine, as the command line answers (`bot.as_of`).

The names load when first used, so that `import bot` stays cheap for a command that needs none.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.as_of import today
    from bot.conversation import Turn
    from bot.factory import build_service
    from bot.results import Answer, Citation, ShortAnswer, Source
    from bot.service import NewsService
    from bot.settings import Settings

__version__ = "0.1.0"
__all__ = [
    "Answer",
    "Citation",
    "NewsService",
    "Settings",
    "ShortAnswer",
    "Source",
    "Turn",
    "build_service",
    "today",
]

_HOMES = {
    "Answer": "bot.results",
    "Citation": "bot.results",
    "ShortAnswer": "bot.results",
    "Source": "bot.results",
    "Turn": "bot.conversation",
    "NewsService": "bot.service",
    "Settings": "bot.settings",
    "build_service": "bot.factory",
    "today": "bot.as_of",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    return getattr(import_module(home), name)
