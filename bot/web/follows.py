"""/api/follows: the caller's follows (GET, POST, DELETE /api/follows/{id}) and what they matched.

Each token is its own follower (without tokens, the machine's one local user). A GET first looks
for new articles (`FollowService.check`, cheap when the index has not moved), so a server with no
bot beside it still matches; the alerts it returns count as delivered.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bot.as_of import today
from bot.follows.service import MAX_TOPIC_CHARS, Alert, Follow, web_follower
from bot.web.articles import article_id
from bot.web.context import Owner, WebDep
from bot.web.errors import NotFound

router = APIRouter()


class FollowRequest(BaseModel):
    topic: str = Field(
        max_length=MAX_TOPIC_CHARS, description="What to follow: a question or a few words."
    )


@router.get("/api/follows")
def list_follows(web: WebDep, owner: Owner) -> dict[str, Any]:
    """The caller's follows, oldest first, and the articles they matched, newest first."""
    web.follows.check()
    follower = web_follower(owner)
    found, alerts = web.follows.following(follower), web.follows.alerts(follower)
    return {"follows": [follow_json(f) for f in found], "alerts": [alert_json(a) for a in alerts]}


@router.post("/api/follows", status_code=201)
def add_follow(body: FollowRequest, web: WebDep, owner: Owner) -> dict[str, Any]:
    """Follow a topic from today on: each new article that matches it is listed in `alerts`."""
    return follow_json(web.follows.follow(web_follower(owner), body.topic, today=today()))


@router.delete("/api/follows/{follow_id}")
def remove_follow(follow_id: int, web: WebDep, owner: Owner) -> dict[str, Any]:
    """Stop a follow; 404 when the caller has none with that id."""
    if not web.follows.unfollow(web_follower(owner), follow_id):
        raise NotFound("no follow of yours has that id")
    return {"removed": follow_id}


def follow_json(f: Follow) -> dict[str, Any]:
    return {
        "id": f.id,
        "topic": f.topic,
        "since": f.made.isoformat(),
        "added_at": f.added_at.isoformat(timespec="seconds"),
    }


def alert_json(a: Alert) -> dict[str, Any]:
    c = a.citation
    return {
        "topic": a.topic,
        "article": article_id(c.file),
        "file": c.file,
        "title": c.title,
        "date": c.date,
        "url": c.url,
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
    }
