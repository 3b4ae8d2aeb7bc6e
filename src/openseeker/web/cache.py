"""The persistent tool-call cache: one SQLite file shared by every stage and process.

A call's key is the backend name plus its canonical arguments (whitespace-normalised query and
``top_k``; the stripped URL), hashed with SHA-256. Values are the results as JSON: a list of hits or a
page. Failures are not cached (they are usually transient). API keys never enter a key or a value: known
secret values are scrubbed from what is stored (:mod:`openseeker.redaction`).

The file uses WAL mode, so several stages may read and write it at once.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from openseeker import redaction
from openseeker.tools.base import FetchedPage, PageFetcher, SearchBackend, SearchHit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tool_calls (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    op TEXT NOT NULL,
    args BLOB NOT NULL,
    value BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_calls_backend ON tool_calls(backend, op);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (and create) an SQLite file for concurrent use by threads and processes."""
    p = Path(path)
    if str(p) != ":memory:":
        p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def canonical_query(query: str) -> str:
    return " ".join(query.split())


def call_key(backend: str, op: str, args: dict[str, Any]) -> str:
    """The cache key of one call."""
    raw = orjson.dumps({"backend": backend, "op": op, "args": args}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


class ToolCache:
    """Get/put tool results by (backend, op, canonical args)."""

    def __init__(self, path: str | Path, *, ttl_days: float | None = None):
        self.path = Path(path)
        self.ttl = ttl_days * 86400 if ttl_days else None
        self._lock = threading.Lock()
        self._conn = connect(self.path)
        with self._lock:
            self._conn.executescript(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def get(self, backend: str, op: str, args: dict[str, Any]) -> Any | None:
        """The stored value, or ``None`` (missing or older than the TTL)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value, created FROM tool_calls WHERE key = ?", (call_key(backend, op, args),)
            ).fetchone()
        if row is None or (self.ttl is not None and time.time() - row[1] > self.ttl):
            self.misses += 1
            return None
        self.hits += 1
        return orjson.loads(row[0])

    def put(self, backend: str, op: str, args: dict[str, Any], value: Any) -> None:
        """Store a value (replacing an older one)."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO tool_calls(key, backend, op, args, value, created) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    call_key(backend, op, args),
                    backend,
                    op,
                    orjson.dumps(args),
                    redaction.scrub_bytes(orjson.dumps(value)),  # never a known secret on disk
                    time.time(),
                ),
            )

    def info(self) -> dict[str, Any]:
        """Entry counts per backend and operation, and the file size."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT backend, op, COUNT(*), MIN(created), MAX(created) FROM tool_calls GROUP BY backend, op "
                "ORDER BY backend, op"
            ).fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {
            "path": str(self.path),
            "bytes": size,
            "entries": [
                {"backend": b, "op": o, "count": n, "oldest": lo, "newest": hi} for b, o, n, lo, hi in rows
            ],
        }

    def clear(self, backend: str | None = None) -> int:
        """Delete every entry (or those of one backend); returns how many."""
        with self._lock:
            if backend is None:
                cur = self._conn.execute("DELETE FROM tool_calls")
            else:
                cur = self._conn.execute("DELETE FROM tool_calls WHERE backend = ?", (backend,))
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class CachedSearch:
    """A search backend behind the cache."""

    def __init__(self, inner: SearchBackend, cache: ToolCache):
        self.inner = inner
        self.cache = cache
        self.name = inner.name

    def __repr__(self) -> str:
        return f"CachedSearch({self.inner!r})"

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        args = {"query": canonical_query(query), "top_k": int(top_k)}
        stored = self.cache.get(self.name, "search", args)
        if stored is not None:
            return [SearchHit.from_dict(h) for h in stored]
        hits = await self.inner.search(query, top_k)
        self.cache.put(self.name, "search", args, [h.to_dict() for h in hits])
        return hits


class CachedFetch:
    """A page fetcher behind the cache."""

    def __init__(self, inner: PageFetcher, cache: ToolCache):
        self.inner = inner
        self.cache = cache
        self.name = inner.name

    def __repr__(self) -> str:
        return f"CachedFetch({self.inner!r})"

    async def fetch(self, url: str) -> FetchedPage:
        args = {"url": url.strip()}
        stored = self.cache.get(self.name, "fetch", args)
        if stored is not None:
            return FetchedPage.from_dict(stored)
        page = await self.inner.fetch(url)
        self.cache.put(self.name, "fetch", args, page.to_dict())
        return page
