"""A Telegram Bot API stand-in on loopback, for tests and benchmarks.

It speaks the Bot API over HTTP at `{url}/bot{token}/{method}` like api.telegram.org, for the
methods newsbot calls. Tests push updates (what users send), read what the bot sent, and make the
server answer 429 (flood control) or 5xx for a while, or a chat answer 403 as a user who blocked
the bot. Like Telegram, it rejects a message whose HTML
Telegram would not parse or that is longer than 4096 characters, so a bad message fails loudly.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs

T = TypeVar("T")
MESSAGE_LIMIT = 4096
BOT_ID = 7_000_001
BOT_USERNAME = "newsbot_test_bot"
# Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ValueError(f"unsupported start tag {tag!r}")
        self.stack.append(tag)
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ValueError(f"can't find end tag corresponding to start tag {tag!r}")
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if any(ch in data for ch in "<>&"):
            raise ValueError(f"unescaped character in {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _ENTITIES:
            raise ValueError(f"unsupported entity &{name};")
        self.text.append(_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))

    def unknown_decl(self, data: str) -> None:
        raise ValueError("unsupported declaration")

    def handle_comment(self, data: str) -> None:
        raise ValueError("unsupported comment")

    def handle_decl(self, decl: str) -> None:
        raise ValueError("unsupported declaration")

    def handle_pi(self, data: str) -> None:
        raise ValueError("unsupported processing instruction")


@dataclass(frozen=True)
class ParsedHTML:
    text: str  # what the user sees
    tags: list[str]
    links: list[str]  # the addresses of its <a> tags, unescaped


def parse_telegram_html(html: str) -> ParsedHTML:
    """What Telegram shows for `html` in HTML parse mode; ValueError where Telegram refuses it."""
    if re.search(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", html):
        raise ValueError("unescaped '&'")
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    if parser.rawdata:
        raise ValueError(f"unparsed text {parser.rawdata[:40]!r}")
    if parser.stack:
        raise ValueError(f"unclosed tag {parser.stack[-1]!r}")
    return ParsedHTML("".join(parser.text), parser.tags, parser.links)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """A message the bot sent, as it stands now (after any edits)."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_to: int | None
    sent_at: float  # time.monotonic()
    edits: list[str] = field(default_factory=list)

    @property
    def visible(self) -> str:
        return parse_telegram_html(self.text).text if self.parse_mode == "HTML" else self.text


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass
class _Fault:
    method: str  # a method name, or "*" for every method
    status: int
    times: int | None
    until: float | None
    retry_after: int | None

    def applies(self, method: str, now: float) -> bool:
        if self.method not in ("*", method):
            return False
        if self.until is not None:
            return now < self.until
        return self.times is None or self.times > 0


class TelegramStandIn:
    """The stand-in server. Use as a context manager; `url` is the TELEGRAM_API_BASE_URL."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Newsbot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.changed = threading.Condition()
        self.calls: list[Call] = []
        self.messages: list[Sent] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self.pushed_at: dict[int, float] = {}  # user message id → when it was pushed
        self._updates: list[dict[str, Any]] = []
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._faults: list[_Fault] = []
        self._blocked: set[int] = set()
        self._next_update = 1
        self._next_message = 1
        self._closed = False
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> TelegramStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.changed:
            self._closed = True
            self.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what users do -------------------------------------------------------------------------

    def push_message(self, chat_id: int, text: str, **kwargs: Any) -> int:
        """A user's message, queued for the bot's getUpdates; returns its message id.

        Keyword arguments are those of `new_update`.
        """
        update = self.new_update(chat_id, text, **kwargs)
        with self.changed:
            self._updates.append(update)
            self.changed.notify_all()
        message_id: int = update["message"]["message_id"]
        return message_id

    def new_update(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        mention_by_name: str | None = None,
        sent_at: float | None = None,
    ) -> dict[str, Any]:
        """A user's message as an update (for getUpdates, or to post to a webhook).

        Entities are added as Telegram adds them: a leading /command, and @username mentions.
        `sent_at` (a Unix time) is the message's date, by default now.
        """
        user_id = user_id if user_id is not None else chat_id
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"User{user_id}"
        else:
            chat["title"] = f"Group {chat_id}"
        with self.changed:
            self._chats[chat_id] = chat
            message_id = self._next_message
            self._next_message += 1
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time() if sent_at is None else sent_at),
                "chat": chat,
                "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
                "text": text,
            }
            entities = _entities(text)
            if mention_by_name:
                # A mention by name rather than @username, which Telegram sends as text_mention.
                at = text.index(mention_by_name)
                entities.append(
                    {
                        "type": "text_mention",
                        "offset": utf16_len(text[:at]),
                        "length": utf16_len(mention_by_name),
                        "user": self.bot_user,
                    }
                )
            if entities:
                message["entities"] = entities
            if reply_to is not None:
                replied = self._user_messages.get((chat_id, reply_to)) or self._bot_message_json(
                    chat_id, reply_to
                )
                message["reply_to_message"] = replied
            self._user_messages[(chat_id, message_id)] = message
            self.pushed_at[message_id] = time.monotonic()
            update = {"update_id": self._next_update, "message": message}
            self._next_update += 1
        return update

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer `method` ("*": any) with `status` the next `times` calls, or for `seconds`."""
        until = time.monotonic() + seconds if seconds is not None else None
        with self.changed:
            self._faults.append(_Fault(method, status, times, until, retry_after))

    def block(self, chat_id: int) -> None:
        """The user of this private chat blocks the bot: sending to it answers 403 from now on."""
        with self.changed:
            self._blocked.add(chat_id)

    # --- what the test reads -------------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[Sent]:
        with self.changed:
            return [m for m in self.messages if chat_id is None or m.chat_id == chat_id]

    def calls_to(self, method: str) -> list[Call]:
        with self.changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, check: Callable[[], T], timeout: float = 60.0) -> T:
        """Wait until `check()` returns something truthy, and return it."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                result = check()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"stand-in: condition not met in {timeout} s")
                self.changed.wait(min(left, 0.2))

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 60.0) -> list[Sent]:
        """Wait for at least `count` messages in the chat; return all of them."""
        return self.wait_for(
            lambda: (found := self.sent(chat_id)) and len(found) >= count and found, timeout
        )

    def wait_polling(self, timeout: float = 60.0) -> None:
        self.wait_for(lambda: self.calls_to("getUpdates"), timeout)

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the bot has made no call but getUpdates for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.changed:
                busy = [c for c in self.calls if c.method != "getUpdates"]
                last = busy[-1].at if busy else 0.0
            if time.monotonic() - last >= quiet:
                return
            time.sleep(quiet / 3)

    # --- the server ----------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = standin._dispatch(
                    self.path, self.headers.get("Content-Type", ""), body
                )
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot gave up on this request (it is shutting down)

        return Handler

    def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?")[0])
        if not m:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = m.groups()
        params = _params(content_type, body)
        if token != self.token:
            status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            status, payload = self._fault(method) or self._call(method, params)
        with self.changed:
            self.calls.append(Call(method, params, status, time.monotonic()))
            self.changed.notify_all()
        return status, payload

    def _fault(self, method: str) -> tuple[int, dict[str, Any]] | None:
        now = time.monotonic()
        with self.changed:
            fault = next((f for f in self._faults if f.applies(method, now)), None)
            if fault is None:
                return None
            if fault.times is not None and fault.until is None:
                fault.times -= 1
        payload: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.status == 429:
            payload["description"] = f"Too Many Requests: retry after {fault.retry_after or 1}"
            payload["parameters"] = {"retry_after": fault.retry_after or 1}
        else:
            payload["description"] = "Internal Server Error"
        return fault.status, payload

    def _call(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(p)}
        if method == "sendMessage":
            return self._send_message(p)
        if method == "editMessageText":
            return self._edit_message(p)
        if method == "getMe":
            return _ok(self.bot_user)
        if method == "setMyCommands":
            with self.changed:
                self.commands[json.dumps(p.get("scope"))] = p["commands"]
            return _ok(True)
        if method == "setWebhook":
            with self.changed:
                self.webhook = dict(p)
            return _ok(True)
        if method == "deleteWebhook":
            with self.changed:
                self.webhook = {}
            return _ok(True)
        if method == "getWebhookInfo":
            return _ok(
                {
                    "url": self.webhook.get("url", ""),
                    "has_custom_certificate": False,
                    "pending_update_count": len(self._updates),
                }
            )
        if method in ("sendChatAction", "deleteMyCommands", "close", "logOut"):
            return _ok(True)
        return _bad(404, "Not Found: method not found")

    def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        limit = int(p.get("limit") or 100)
        # Long polling, shortened so that a stopped bot leaves no request waiting for long.
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 2.0)
        with self.changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            return self._updates[:limit]

    def _check_text(self, text: str, parse_mode: str | None) -> tuple[int, dict[str, Any]] | None:
        visible = text
        if parse_mode == "HTML":
            try:
                visible = parse_telegram_html(text).text
            except ValueError as exc:
                return _bad(400, f"Bad Request: can't parse entities: {exc}")
        if not visible.strip():
            return _bad(400, "Bad Request: message text is empty")
        if utf16_len(visible.strip()) > MESSAGE_LIMIT:
            return _bad(400, "Bad Request: message is too long")
        return None

    def _send_message(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(p["chat_id"])
        text, parse_mode = str(p.get("text", "")), p.get("parse_mode")
        with self.changed:
            if chat_id in self._blocked:
                return _bad(403, "Forbidden: bot was blocked by the user")
        if problem := self._check_text(text, parse_mode):
            return problem
        reply = p.get("reply_parameters") or {}
        with self.changed:
            sent = Sent(
                message_id=self._next_message,
                chat_id=chat_id,
                text=text,
                parse_mode=parse_mode,
                reply_to=reply.get("message_id"),
                sent_at=time.monotonic(),
            )
            self._next_message += 1
            self.messages.append(sent)
            self.changed.notify_all()
            return _ok(self._bot_message_json(chat_id, sent.message_id))

    def _edit_message(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        text, parse_mode = str(p.get("text", "")), p.get("parse_mode")
        with self.changed:
            sent = next(
                (m for m in self.messages if (m.chat_id, m.message_id) == (chat_id, message_id)),
                None,
            )
        if sent is None:
            return _bad(400, "Bad Request: message to edit not found")
        if sent.text == text:
            return _bad(400, "Bad Request: message is not modified: specified new message content")
        if problem := self._check_text(text, parse_mode):
            return problem
        with self.changed:
            sent.edits.append(sent.text)
            sent.text, sent.parse_mode = text, parse_mode
            self.changed.notify_all()
            return _ok(self._bot_message_json(chat_id, message_id))

    def _bot_message_json(self, chat_id: int, message_id: int) -> dict[str, Any]:
        sent = next(
            (m for m in self.messages if (m.chat_id, m.message_id) == (chat_id, message_id)), None
        )
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chats.get(
                chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
            ),
            "from": self.bot_user,
            "text": sent.visible if sent else "",
        }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A bot that stops drops its long poll: that is not an error of the stand-in.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _bad(status: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error_code": status, "description": description}


_JSON_PARAMS = {"reply_parameters", "commands", "scope", "allowed_updates", "link_preview_options"}


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    for key in _JSON_PARAMS & params.keys():
        params[key] = json.loads(params[key])
    return params


def _entities(text: str) -> list[dict[str, Any]]:
    entities = []
    if m := re.match(r"/\w+(@\w+)?", text):
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group())})
    for m in re.finditer(r"(?<!\w)@\w{3,}", text):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group()),
            }
        )
    return entities
