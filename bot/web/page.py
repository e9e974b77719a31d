"""The web page at `/`: one HTML file, one script and one style sheet, served as they are.

No build step and nothing from elsewhere (the page works offline); the script puts every text from
the API in with `textContent`, never as markup, and the Content-Security-Policy allows nothing but
this server's own files, so an article's `<script>` or `javascript:` link stays text.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

from bot.web.context import Visitor

router = APIRouter(include_in_schema=False)

_STATIC = files("bot.web") / "static"
_TYPES = {
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/")
def page(visitor: Visitor) -> Response:
    """The page (it holds no data: what it shows comes from the API, with the token if needed)."""
    html = (_STATIC / "page.html").read_bytes()
    return Response(html, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


@router.get("/static/{name}")
def static(name: str, visitor: Visitor) -> Response:
    """The page's script and style sheet; nothing else is served."""
    if name not in _TYPES:
        return Response(status_code=404)
    return Response(
        (_STATIC / name).read_bytes(), media_type=_TYPES[name], headers=SECURITY_HEADERS
    )
