"""What was known of each source when it was last read, so that an unchanged one is not read again.

A page's or feed's ETag and Last-Modified (sent back in a conditional request), a file's hash, and a
feed entry's fingerprint, kept in one JSON file in the data dir. The file is only a shortcut: if it
is lost, every source is read again and content hashes still keep what is unchanged from being
embedded again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from index.reading.private import private_dir, write_private

log = logging.getLogger(__name__)
_VERSION = 1


@dataclass(frozen=True)
class Validators:
    """What tells that a source has not changed since it was read."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None  # of a file's bytes
    fingerprint: str | None = None  # of a feed entry


class SourceState:
    """The validators of every source read, by key (a file's path, an address, an entry's name).

    Changes are kept in memory until `save`, which an indexing run calls once its writes are done,
    so that a run that fails halfway leaves the state of the run before it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known = self._load()

    def _load(self) -> dict[str, Validators]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != _VERSION:
                return {}
            return {key: Validators(**value) for key, value in data["sources"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("reading every source again: %s can't be used (%s)", self.path, exc)
            return {}

    def get(self, key: str) -> Validators | None:
        return self._known.get(key)

    def put(self, key: str, validators: Validators) -> None:
        self._known[key] = validators

    def clear(self) -> None:
        self._known = {}

    def save(self) -> None:
        """Write the state, whole or not at all (a temporary file renamed into place)."""
        private_dir(self.path.parent)
        sources = {key: asdict(v) for key, v in sorted(self._known.items())}
        write_private(self.path, json.dumps({"version": _VERSION, "sources": sources}))
