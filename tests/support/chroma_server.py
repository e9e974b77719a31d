"""A real Chroma server (`chroma run`) on loopback that a test can stop and start again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.loopback import answers, free_port, wait_until_answers

_START_TIMEOUT = 60.0


def chroma_cli() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT`; the port stays the same across restarts."""

    host = "127.0.0.1"

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = free_port()
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The settings that point newsbot at this server."""
        return {"CHROMA_HOST": self.host, "CHROMA_PORT": str(self.port)}

    def start(self) -> None:
        cli = chroma_cli()
        if cli is None:
            raise RuntimeError("the chroma CLI (from the chromadb package) is not installed")
        with self._log.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    cli,
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        state = wait_until_answers(self._heartbeat, self._proc, timeout=_START_TIMEOUT)
        if state == "exited":
            raise RuntimeError(f"chroma run exited: {self._log.read_text()[-2000:]}")
        if state == "timed out":
            self.stop()
            raise RuntimeError("chroma run did not answer within a minute")

    @property
    def _heartbeat(self) -> str:
        return f"http://{self.host}:{self.port}/api/v2/heartbeat"

    def alive(self) -> bool:
        return answers(self._heartbeat)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it still accepts connections but answers nothing."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGCONT)

    def stop(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Stop the server (SIGKILL by default: a crash, not a polite shutdown)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            os.kill(self._proc.pid, sig)
            self._proc.wait(timeout=30)
        self._proc = None
