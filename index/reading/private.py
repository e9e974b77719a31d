"""Files only their owner may read: the data dir and what is written in it (snapshots of articles,
the sources' state, the question history) may quote anything that was indexed or asked."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter, made if need be (with its missing parents)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        if path.stat().st_mode & 0o777 != DIR_MODE:
            path.chmod(DIR_MODE)
    except PermissionError:
        pass  # someone else's folder, shared on purpose: its owner decides
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` (UTF-8, line breaks as they are) to `path`, whole or not at all, readable by its
    owner alone: a temporary file beside it, renamed into place."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with open(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
