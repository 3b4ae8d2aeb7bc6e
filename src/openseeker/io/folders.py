"""Folders that appear whole or not at all."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced_when_done(out: str | Path) -> Iterator[Path]:
    """A new, empty folder next to ``out`` to build in; when the block ends without an error it replaces
    ``out``, otherwise it is removed and ``out`` stays as it was (a reader never sees half a build).

    The folder is a hidden sibling (``.<name>-building-*``), so the final rename stays on one file system.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-building-", dir=out.parent))
    try:
        yield work
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
