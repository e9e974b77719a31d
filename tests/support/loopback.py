"""Servers that tests start as processes on loopback: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from typing import Literal


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(url: str) -> bool:
    """Whether a GET of `url` is answered with 200 within two seconds."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], *, timeout: float, every: float = 0.2
) -> Literal["up", "exited", "timed out"]:
    """Poll `url` until it answers ("up"), the server's `process` ends ("exited"), or `timeout`
    seconds pass ("timed out"); the caller says what that means for its server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited"
        if answers(url):
            return "up"
        time.sleep(every)
    return "timed out"
