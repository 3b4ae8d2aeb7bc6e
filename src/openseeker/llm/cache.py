"""A persistent response cache (SQLite) keyed by the canonical request plus an explicit scope.

The key is the sha256 of the canonical JSON (sorted keys) of: model id, endpoint, messages, tools,
the generation options that can change the output (:meth:`GenerateConfig.cache_relevant`) and the scope.
The scope is how callers keep repeated samples apart: rollout 0 and rollout 1 of one question use
scopes ``"q17|r0"`` and ``"q17|r1"`` and are never collapsed into one answer.

Only successful outputs are stored, in batched transactions (at most ``flush_interval`` late; flushed on
``aclose`` and at exit). The database runs in WAL mode with a busy timeout, so several
processes and many concurrent tasks can share one file. Default location: ``~/.cache/openseeker/llm.sqlite``
(environment variable ``OPENSEEKER_CACHE``).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import os
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from openseeker.llm.base import LLM, WrapperLLM
from openseeker.llm.retry import call_inner
from openseeker.llm.types import GenerateConfig, LLMOutput, Message, ToolCall, ToolSpec, Usage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    output BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_model ON responses(model);
"""


_open_caches: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


@atexit.register
def _flush_open_caches() -> None:
    for cache in list(_open_caches):
        with contextlib.suppress(Exception):
            cache.flush()


def default_cache_path() -> Path:
    """``$OPENSEEKER_CACHE`` or ``~/.cache/openseeker/llm.sqlite``."""
    env = os.environ.get("OPENSEEKER_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "openseeker" / "llm.sqlite"


def cache_key(
    model: str,
    endpoint: str,
    messages: list[Message],
    tools: list[ToolSpec] | None,
    config: GenerateConfig,
    scope: str | None,
) -> str:
    """The sha256 of the canonical request."""
    doc = {
        "model": model,
        "endpoint": endpoint,
        "messages": messages,
        "tools": [t.openai() for t in tools] if tools else None,
        "config": config.cache_relevant(),
        "scope": scope,
    }
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


@dataclass
class CacheInfo:
    """What ``openseeker cache info`` shows."""

    path: str
    entries: int
    size_bytes: int
    by_model: dict[str, int]


class ResponseCache:
    """A SQLite store of LLM outputs, safe across processes and concurrent tasks.

    Reads and writes are short transactions on a per-thread connection; SQLite's WAL lets readers
    proceed while another process writes, and ``busy_timeout`` makes concurrent writers wait their turn.
    """

    def __init__(self, path: str | Path, *, batch: int = 128):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.batch = batch
        self._pending: dict[str, tuple[str, float, bytes]] = {}
        self._plock = threading.Lock()
        con = self._con()
        con.executescript(_SCHEMA)
        _open_caches.add(self)

    def __repr__(self) -> str:
        return f"<ResponseCache {self.path}>"

    def _con(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(
                "PRAGMA synchronous=NORMAL"
            )  # WAL + NORMAL: durable at checkpoints, no fsync per write
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    def get(self, key: str) -> LLMOutput | None:
        """The cached output for ``key``, or None."""
        pending = self._pending.get(key)
        if pending is not None:
            return _decode(pending[2])
        row = self._con().execute("SELECT output FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return _decode(row[0])

    def put(self, key: str, output: LLMOutput) -> None:
        """Store a successful output now (last write wins; equal keys mean equal requests)."""
        self.put_deferred(key, output)
        self.flush()

    def put_deferred(self, key: str, output: LLMOutput) -> bool:
        """Queue an output for the next :meth:`flush` (visible to :meth:`get` at once).

        One transaction per batch instead of one per response: a commit costs far more than a row, and
        at hundreds of responses per second per-row commits would stall the event loop.

        Returns:
            whether the batch is full (the caller should flush).
        """
        with self._plock:
            self._pending[key] = (output.model, time.time(), _encode(output))
            return len(self._pending) >= self.batch

    @property
    def pending(self) -> int:
        """Outputs queued but not yet written."""
        return len(self._pending)

    def flush(self) -> int:
        """Write every queued output in one transaction; returns how many."""
        with self._plock:
            if not self._pending:
                return 0
            rows = [(k, m, t, b) for k, (m, t, b) in self._pending.items()]
            con = self._con()
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany(
                    "INSERT OR REPLACE INTO responses(key, model, created, output) VALUES (?, ?, ?, ?)", rows
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            self._pending.clear()
            return len(rows)

    def __len__(self) -> int:
        self.flush()
        return int(self._con().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def info(self) -> CacheInfo:
        """Entry counts and file size."""
        self.flush()
        con = self._con()
        by_model = dict(
            con.execute("SELECT model, COUNT(*) FROM responses GROUP BY model ORDER BY 2 DESC").fetchall()
        )
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return CacheInfo(str(self.path), sum(by_model.values()), size, by_model)

    def clear(self, model: str | None = None) -> int:
        """Delete every entry (or those of one model); returns how many were deleted."""
        self.flush()
        con = self._con()
        if model is None:
            n = con.execute("DELETE FROM responses").rowcount
        else:
            n = con.execute("DELETE FROM responses WHERE model = ?", (model,)).rowcount
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
        return int(n)

    def close(self) -> None:
        """Write what is queued and close this thread's connection."""
        self.flush()
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None


def _encode(out: LLMOutput) -> bytes:
    d = {
        "text": out.text,
        "reasoning": out.reasoning,
        "tool_calls": [c.to_dict() for c in out.tool_calls],
        "finish_reason": out.finish_reason,
        "usage": out.usage.to_dict(),
        "model": out.model,
    }
    return orjson.dumps(d)


def _decode(blob: bytes) -> LLMOutput:
    d: dict[str, Any] = orjson.loads(blob)
    return LLMOutput(
        text=d.get("text", ""),
        reasoning=d.get("reasoning"),
        tool_calls=[
            ToolCall(name=c["name"], arguments=c.get("arguments") or {}, id=c.get("id", ""))
            for c in d.get("tool_calls") or []
        ],
        finish_reason=d.get("finish_reason", "stop"),
        # a cache hit costs no tokens and no call; it is counted under cached_calls only
        usage=Usage(0, 0, 0, 1),
        model=d.get("model", ""),
        cached=True,
    )


def effective_config(llm: LLM, config: GenerateConfig) -> GenerateConfig:
    """``config`` merged over the defaults of every LLM down the wrapper chain (what the provider sees)."""
    layers = [llm]
    while isinstance(layers[-1], WrapperLLM):
        layers.append(layers[-1].inner)
    merged = config
    for layer in layers:
        if layer.defaults.model_fields_set:
            merged = layer.defaults.merged(merged)
    return merged


class CachedLLM(WrapperLLM):
    """Answers repeated requests from a :class:`ResponseCache`.

    Args:
        inner: the LLM to call on a miss.
        cache: the store.
        endpoint: part of the key, so one model name on two servers is cached apart.

    Attributes:
        hits: requests answered from the cache.
        misses: requests sent to ``inner``.
    """

    def __init__(self, inner: LLM, cache: ResponseCache, endpoint: str = ""):
        super().__init__(inner)
        self.cache = cache
        self.endpoint = endpoint
        self.hits = 0
        self.misses = 0
        self.flush_interval = 0.2
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    async def _generate(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        *,
        scope: str | None,
    ) -> LLMOutput:
        merged = effective_config(self.inner, config)
        key = cache_key(self.name, self.endpoint, messages, tools, merged, scope)
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        out = await call_inner(self.inner, messages, tools, config, scope)
        if self.cache.put_deferred(key, out):
            self.cache.flush()
        else:
            loop = asyncio.get_running_loop()
            if self._flush_loop is not loop:  # none pending in this loop (a closed loop's timer never fires)
                # write the batch soon even if it never fills up
                self._flush_loop = loop
                loop.call_later(self.flush_interval, self._timed_flush)
        return out

    def _timed_flush(self) -> None:
        self._flush_loop = None
        self.cache.flush()

    async def aclose(self) -> None:
        self.cache.flush()
        await super().aclose()
