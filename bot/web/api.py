"""The JSON API: /api/ask (JSON or an event stream), /api/search, /api/articles/{id}, /api/stats,
/healthz and /readyz."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from bot.as_of import today
from bot.conversation import Conversation
from bot.errors import describe
from bot.results import Answer
from bot.web.articles import answer_json, article_id, read_article
from bot.web.context import Asker, Owner, Web, WebDep
from bot.web.errors import error_body
from index.errors import EmptyIndex
from index.ranking.retrieval import Passage

router = APIRouter()
MAX_QUESTION = 4000  # characters; the service reads half of that


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION, description="The question, in words.")
    as_of: date | None = Field(
        None,
        description="Answer as of this day (YYYY-MM-DD); by default today, or a date the "
        "question names.",
    )
    conversation: str | None = Field(
        None, max_length=100, description="The id a previous answer returned: ask a follow-up."
    )


@router.post("/api/ask", response_model=None)
def ask(body: AskRequest, request: Request, web: WebDep, owner: Asker) -> Any:
    """The answer `newsbot ask --json` prints, with `conversation` (send it back for a follow-up)
    and each citation's `article` id. With `Accept: text/event-stream`, the answer's text comes in
    `delta` events as it is produced, then the checked answer as an `answer` event."""
    conversation_id, conversation = web.conversations.open(owner, body.conversation)
    if "text/event-stream" in request.headers.get("accept", ""):
        events = _events(web, body, conversation_id, conversation)
        return StreamingResponse(events, media_type="text/event-stream")
    started = time.perf_counter()
    answer = web.service.answer(
        body.question, conversation.history(), as_of=body.as_of, now=today()
    )
    return _recorded(web, answer, started, conversation_id, conversation, "ask")


def _recorded(
    web: Web,
    answer: Answer,
    started: float,
    conversation_id: str,
    conversation: Conversation,
    route: str,
) -> dict[str, Any]:
    web.metrics.answered(answer, time.perf_counter() - started, route)
    conversation.record(answer)
    return answer_json(answer) | {"conversation": conversation_id}


def _events(
    web: Web, body: AskRequest, conversation_id: str, conversation: Conversation
) -> Iterator[str]:
    """Server-sent events: `delta` {"text"} pieces, then `answer` (the JSON of /api/ask) or
    `error` {"error"}; the stream then ends."""
    started = time.perf_counter()
    try:
        pieces = web.service.stream(
            body.question, conversation.history(), as_of=body.as_of, now=today()
        )
        for piece in pieces:
            if isinstance(piece, Answer):
                data = _recorded(web, piece, started, conversation_id, conversation, "ask")
                yield sse("answer", data)
                return
            yield sse("delta", {"text": piece})
    except Exception as exc:
        # The status line is sent already: the error is the stream's last event.
        web.metrics.error(type(exc).__name__)
        yield sse("error", error_body(describe(exc)))


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/api/search")
def search(
    web: WebDep,
    owner: Asker,
    q: Annotated[str, Query(max_length=MAX_QUESTION, description="What to search for.")],
    as_of: Annotated[
        date | None, Query(description="Leave out articles published after this day.")
    ] = None,
    k: Annotated[int, Query(ge=1, le=100, description="How many passages.")] = 10,
) -> dict[str, Any]:
    """The passages that best match `q`, best first (the rows of `newsbot search --json`)."""
    passages = web.service.search(q, k=k, as_of=as_of, now=today())
    return {"passages": [passage_json(p) for p in passages]}


def passage_json(p: Passage) -> dict[str, Any]:
    """A passage as `newsbot search --json` prints it, with its article id."""
    return {"article": article_id(p.file), **p.to_json()}


@router.get("/api/articles/{article}")
def article(article: str, web: WebDep, owner: Owner) -> dict[str, Any]:
    """An indexed article's title, date, URL and text (the text its citations' offsets index)."""
    found = read_article(web.service.retriever.store, article, max_bytes=web.max_article_bytes)
    return found.to_json()


@router.get("/api/stats")
def stats(web: WebDep, owner: Owner) -> dict[str, Any]:
    """What is indexed, and what answers."""
    s = web.service.stats()
    return {
        "articles": s.articles,
        "chunks": s.chunks,
        "newest": s.newest,
        "newest_title": s.newest_title,
        "indexed_at": s.indexed_at.isoformat(timespec="seconds") if s.indexed_at else None,
        "embed_model": s.embed_model,
        "answerer": s.answerer,
    }


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The server is up (no token needed)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(web: WebDep, owner: Owner) -> dict[str, Any]:
    """The index opens and holds articles, its store answers, and the model answers when one
    is configured."""
    # Opening the catalogue asks the store: their errors are the answer, as is an empty index.
    if not web.service.stats().articles:
        raise EmptyIndex()
    checks: dict[str, str] = {"index": "ok", "store": "ok"}
    if web.model_url is not None:
        from bot.web.readiness import check_model

        check_model(web.model_url, web.model_key)
        checks["model"] = "ok"
    return {"status": "ready", "checks": checks}
