"""A web server on loopback that serves, per path, the bytes and headers a test chooses.

It answers conditional requests (ETag, Last-Modified) with 304, redirects, waits before answering,
fails a number of times first, sends a body larger than it declares or with no length at all, and
records every request so a test can check what was asked and how.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What the server answers at one path."""

    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None  # sent, and If-None-Match with it gets 304
    last_modified: str | None = None  # sent, and If-Modified-Since with it gets 304
    redirect: str | None = None  # a path or address: answered with 302 and this Location
    delay: float = 0.0  # seconds before the answer starts
    fail_first: int = 0  # answer 503 this many times before answering as above
    send_length: bool = True  # False: no Content-Length, the body ends when the connection does
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


class WebServer:
    """`with WebServer() as web: web.route("/feed.xml", Route(...)); web.url("/feed.xml")`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host  # 127.0.0.2 for the tests' internal server (Linux routes 127/8 to lo)
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, route: Route) -> None:
        with self._lock:
            self.routes[path] = route

    def hits(self, path: str) -> list[Request]:
        """The requests for `path` so far."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Request(handler.path, headers))
            route = self.routes.get(handler.path)
            failing = route is not None and route.fail_first > 0
            if route is not None and failing:
                route.fail_first -= 1
        if route is None:
            _send(handler, 404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.delay:
            time.sleep(route.delay)
        if failing:
            _send(handler, 503, b"busy", {"Content-Type": "text/plain"})
            return
        if route.redirect:
            _send(handler, 302, b"", {"Location": route.redirect})
            return
        out = dict(route.headers)
        if route.content_type:
            out["Content-Type"] = route.content_type
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        if (route.etag and headers.get("if-none-match") == route.etag) or (
            route.last_modified and headers.get("if-modified-since") == route.last_modified
        ):
            _send(handler, 304, b"", out)
            return
        _send(handler, route.status, route.body, out, length=route.send_length)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str],
    *,
    length: bool = True,
) -> None:
    try:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        if length:
            handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (a timeout, a size limit): nothing to tell it


def _handler(server: WebServer) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server._answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reads `requests`, not a log

    return Handler
