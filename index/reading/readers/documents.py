"""PDF and Word files read in a worker process, each within a time and a memory limit.

A file of a few KB can hold a page that takes minutes to read or XML that inflates to gigabytes.
The worker is a process of its own with a cap on its address space, started on the first file and
kept for the next; a file that overruns its time is ended with the worker (a thread can't be), and
the next file gets a new worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from typing import TYPE_CHECKING, Any, Literal

from index.errors import ArticleError
from index.reading.readers.extract import Extract
from index.reading.readers.limits import ReadLimits

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

Kind = Literal["pdf", "docx"]
log = logging.getLogger(__name__)
# Seconds the worker may take to start (a new interpreter that imports pypdf and python-docx).
_START_SECONDS = 30.0


class DocumentReader:
    """Reads PDF and Word files in a worker process; `close` ends it."""

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def read(self, kind: Kind, raw: bytes) -> Extract:
        """The article in a PDF (`kind` "pdf") or .docx file; ArticleError when it can't be read,
        or not within the limits."""
        conn = self._worker()
        conn.send((kind, raw))
        limit = self.limits.document_timeout
        if not conn.poll(limit):
            self.close()
            raise ArticleError(f"took too long to read (more than {limit:g} s)")
        try:
            status, value = conn.recv()
        except (EOFError, OSError):
            # Killed for its memory (the kernel's OOM killer, a cap it ran into in C) or crashed.
            self.close()
            raise ArticleError(self._memory_message()) from None
        if status == "memory":
            self.close()
            raise ArticleError(self._memory_message())
        if status == "error":
            raise ArticleError(str(value))
        assert isinstance(value, Extract)
        return value

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process = None

    def _worker(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self.close()
        # spawn, not fork: the indexing process has threads (the embedding runtime, Chroma's),
        # and a forked child of a threaded process may deadlock on a lock one of them held.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, self.limits), name="newsbot-documents", daemon=True
        )
        process.start()
        theirs.close()
        if not ours.poll(_START_SECONDS):
            process.kill()
            raise ArticleError("the document reader did not start")
        ours.recv()  # ready
        self._process, self._conn = process, ours
        return ours

    def _memory_message(self) -> str:
        limit = self.limits.document_memory >> 20
        return f"needed too much memory to read (more than {limit:,} MB)"


def _serve(conn: Connection, limits: ReadLimits) -> None:
    """The worker: read each file sent, send back its Extract or why it can't be read."""
    # Ctrl-C reaches the whole process group; the parent decides when the worker ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from index.reading.readers.pdf import read_pdf
    from index.reading.readers.word import read_docx

    readers: dict[str, Any] = {"pdf": read_pdf, "docx": read_docx}
    _cap_memory(limits.document_memory)
    conn.send("ready")
    while True:
        try:
            kind, raw = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", readers[kind](raw, limits)))
        except ArticleError as exc:
            conn.send(("error", str(exc)))
        except MemoryError:
            conn.send(("memory", None))
            return  # a process that ran out of memory may be in any state: a new one reads on
        except RecursionError:
            conn.send(("error", "nested too deeply to read"))
        except Exception as exc:
            detail = str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
            conn.send(("error", f"could not be read ({detail})"))


def _cap_memory(budget: int) -> None:
    """Cap the worker's address space at what it holds now (the interpreter and the readers'
    modules) plus `budget` bytes; where the platform can't, it stays uncapped."""
    try:
        import os
        import resource

        with open("/proc/self/statm") as f:
            now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (now + budget, now + budget))
    except (ImportError, OSError, ValueError):
        log.debug("the document reader's memory is not capped here", exc_info=True)
