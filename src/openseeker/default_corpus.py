"""The embedded default corpus, built once per user: what the search and visit tools read when no corpus,
corpus service or web backend is configured (``openseeker agent ask "..."`` with no other option).

It is the generated world the quickstart uses (seed 0, 300 pages, English and Chinese), ingested into a
corpus folder under the user's cache: ``$OPENSEEKER_HOME/default-corpus`` (else beside
``$OPENSEEKER_CACHE``, else ``~/.cache/openseeker/default-corpus``). Building takes a few seconds; later calls reuse it. Concurrent first
calls wait on one file lock, and the corpus is built in a temporary folder and renamed into place, so a
build killed half way never leaves a broken corpus behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

SEED = 0
N_PAGES = 300
LANGUAGES = ("en", "zh")
VERSION = 1
"""Bumped when the generator or the store format changes, so an old cached corpus is rebuilt."""


def home() -> Path:
    """openseeker's per-user folder: ``$OPENSEEKER_HOME``, else the folder of ``$OPENSEEKER_CACHE`` (the LLM
    cache file), else ``~/.cache/openseeker``."""
    if os.environ.get("OPENSEEKER_HOME"):
        return Path(os.environ["OPENSEEKER_HOME"])
    if os.environ.get("OPENSEEKER_CACHE"):
        return Path(os.environ["OPENSEEKER_CACHE"]).parent
    return Path.home() / ".cache" / "openseeker"


def _stamp() -> dict[str, object]:
    return {"version": VERSION, "seed": SEED, "pages": N_PAGES, "languages": list(LANGUAGES)}


def default_corpus(root: str | Path | None = None) -> Path:
    """The default corpus folder, built on first use.

    Args:
        root: where to keep it (default :func:`home`).

    Returns:
        The corpus folder (``<root>/default-corpus``), ready for ``open_corpus``.
    """
    from openseeker.corpus.ingest import ingest
    from openseeker.worldgen.generate import write_world

    base = Path(root) if root is not None else home()
    base.mkdir(parents=True, exist_ok=True)
    target = base / "default-corpus"
    stamp_file = target / "openseeker-default.json"

    def ready() -> bool:
        try:
            return bool(json.loads(stamp_file.read_text()) == _stamp())
        except (OSError, ValueError):
            return False

    if ready():
        return target
    with open(base / "default-corpus.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second first call waits for the build, then reuses it
        if ready():
            return target
        work = Path(tempfile.mkdtemp(prefix=".default-corpus-", dir=base))
        try:
            paths = write_world(work / "world", SEED, N_PAGES, LANGUAGES)
            ingest([paths["pages"]], work / "corpus")
            (work / "corpus" / stamp_file.name).write_text(json.dumps(_stamp()))
            if target.exists():  # an older version: replaced
                shutil.rmtree(target)
            os.replace(work / "corpus", target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target
