"""The API's reference at `/docs`: the OpenAPI schema read out as one plain page.

FastAPI's own `/docs` (Swagger UI) loads its script from a CDN, so on a newsroom's closed network
it would be blank; this page is rendered here from the same schema (`/openapi.json`), with nothing
from elsewhere, like the page at `/`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.web.context import Visitor
from bot.web.page import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:1rem auto;padding:0 1rem}"
    "code{background:#f2f2f2;padding:0 .2rem}h2{margin-top:2rem;font-size:1.1rem}"
    "@media (prefers-color-scheme:dark){body{background:#111;color:#eee}code{background:#333}}"
)


@router.get("/openapi.json")
def openapi_schema(request: Request, visitor: Visitor) -> dict[str, Any]:
    """The schema itself, behind the token like every route but /healthz."""
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/docs")
def api_docs(request: Request, visitor: Visitor) -> Response:
    """Every route of the schema: method, path, what it does, its parameters and its body."""
    schema = request.app.openapi()
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(schema['info']['title'])} API</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        f"<h1>{escape(schema['info']['title'])} API {escape(schema['info']['version'])}</h1>",
        f"<p>{escape(schema['info'].get('summary', ''))} The schema as JSON: ",
        "<a href='/openapi.json'>/openapi.json</a>.</p>",
    ]
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            parts.append(f"<h2><code>{escape(method.upper())} {escape(path)}</code></h2>")
            parts.append(f"<p>{escape(op.get('summary', ''))}</p>")
            if description := op.get("description"):
                parts.append(f"<p>{escape(description)}</p>")
            parts += _parameters(op.get("parameters", []))
            if body := _body(op):
                parts.append(f"<p>Body: <code>{escape(body)}</code></p>")
    parts.append("</main></body></html>")
    return Response("".join(parts), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


def _parameters(parameters: list[dict[str, Any]]) -> list[str]:
    if not parameters:
        return []
    rows = [
        f"<li><code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
        f"{', required' if p.get('required') else ''}) {escape(p.get('description', ''))}</li>"
        for p in parameters
    ]
    return ["<ul>", *rows, "</ul>"]


def _body(op: dict[str, Any]) -> str | None:
    content = op.get("requestBody", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        return ref.rsplit("/", 1)[-1] or None
    return None
