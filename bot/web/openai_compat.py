"""The OpenAI-compatible endpoint: newsbot as a "model" for any chat client (the `openai` package,
Open WebUI, LibreChat).

The last user message is the question and the earlier user and assistant messages its
conversation. The reply is the answer's text with its numbered sources as a footer; the citations
come as data in a `newsbot` field (the JSON of /api/ask).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.as_of import today
from bot.conversation import Turn
from bot.errors import QuestionError, describe
from bot.results import Answer
from bot.web.articles import answer_json
from bot.web.context import Asker, Owner, Web, WebDep
from bot.web.errors import error_body
from bot.web.footer import with_sources

router = APIRouter(prefix="/v1")
MODEL = "newsbot"


class Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[Part] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatRequest(BaseModel):
    # Clients send sampling settings and more: newsbot's answers don't depend on them.
    model_config = ConfigDict(extra="allow")
    model: str = MODEL
    messages: list[Message] = Field(max_length=200)
    stream: bool = False


@router.get("/models")
def models(owner: Owner) -> dict[str, Any]:
    """The one model this server offers."""
    return {
        "object": "list",
        "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "newsbot"}],
    }


@router.post("/chat/completions", response_model=None)
def chat_completions(body: ChatRequest, web: WebDep, owner: Asker) -> Any:
    """A chat completion whose content is newsbot's answer to the last user message."""
    question, history = split_messages(body.messages)
    reply = _Reply(body.model)
    if body.stream:
        return StreamingResponse(
            _chunks(web, reply, question, history), media_type="text/event-stream"
        )
    started = time.perf_counter()
    answer = web.service.answer(question, history, now=today())
    web.metrics.answered(answer, time.perf_counter() - started, "chat_completions")
    return reply.completion(answer)


def split_messages(messages: list[Message]) -> tuple[str, list[Turn]]:
    """The last user message, and the user/assistant exchanges before it as turns."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise QuestionError("send at least one message with role `user`: the question")
    last = users[-1]
    turns: list[Turn] = []
    asked: str | None = None
    for m in messages[:last]:
        if m.role == "user":
            asked = m.text
        elif m.role == "assistant" and asked is not None:
            turns.append(Turn(asked, _without_footer(m.text)))
            asked = None
    return messages[last].text, turns


def _without_footer(text: str) -> str:
    """A reply of ours as the client sends it back, without its sources footer."""
    return text.split("\n\nSources:\n", 1)[0]


class _Reply:
    """The envelope of one completion: its id, time and model, the same for each chunk."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{secrets.token_hex(12)}"
        self.created = int(time.time())
        self.model = model

    def completion(self, answer: Answer) -> dict[str, Any]:
        return self._envelope("chat.completion") | {
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": with_sources(answer)},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "newsbot": answer_json(answer),
        }

    def chunk(self, delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        return self._envelope("chat.completion.chunk") | {
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        }

    def _envelope(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def _chunks(web: Web, reply: _Reply, question: str, history: list[Turn]) -> Iterator[str]:
    """The answer as chunks: its pieces as they come, then what the checked answer adds (its
    sources; the whole checked answer after a rule if it differs from what was streamed)."""
    started = time.perf_counter()
    shown = ""
    yield _data(reply.chunk({"role": "assistant", "content": ""}))
    try:
        for piece in web.service.stream(question, history, now=today()):
            if isinstance(piece, Answer):
                web.metrics.answered(piece, time.perf_counter() - started, "chat_completions")
                full = with_sources(piece)
                rest = full[len(shown) :] if full.startswith(shown) else f"\n\n---\n{full}"
                yield _data(reply.chunk({"content": rest}))
                yield _data(reply.chunk({}, "stop") | {"newsbot": answer_json(piece)})
                break
            shown += piece
            yield _data(reply.chunk({"content": piece}))
    except Exception as exc:
        web.metrics.error(type(exc).__name__)
        yield _data(error_body(describe(exc)))
    yield "data: [DONE]\n\n"


def _data(obj: object) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"
