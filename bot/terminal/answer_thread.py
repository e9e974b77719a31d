"""An answer produced in a thread of its own, so that Ctrl-C on the terminal leaves at once."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from bot.results import Answer


class AnswerThread:
    """Runs one `NewsService.stream` in a thread, so Ctrl-C leaves at once and the service is never
    cut off halfway: a stopped stream is closed at its next piece and what it still yields is
    dropped."""

    def __init__(self, stream: Callable[[], Iterator[str | Answer]]) -> None:
        self._stream = stream
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="newsbot-answer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            pieces = self._stream()
            try:
                for piece in pieces:
                    if self.stop.is_set():
                        break
                    self._queue.put(("piece", piece))
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:
            self._queue.put(("error", exc))
        else:
            self._queue.put(("done", None))

    def pieces(self) -> Iterator[str | Answer]:
        """What the stream yields, as it comes, until it ends or `stop` is set."""
        while not self.stop.is_set():
            # Short waits, so that a stop (Ctrl-C) is seen at once.
            try:
                kind, value = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            if kind == "done":
                return
            assert isinstance(value, str | Answer)
            yield value
