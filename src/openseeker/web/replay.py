"""Record real tool traffic once to a JSONL cassette; replay it offline, deterministically.

Recording (``tools.options.record: path/to/cassette.jsonl``) wraps the configured backends and appends
one line per distinct call: ``{"op": "search", "backend": "serper", "args": {"query": ..., "top_k": ...},
"result": [...]}`` or ``{"op": "fetch", ..., "args": {"url": ...}, "result": {...}}``. Failures the
agent saw are recorded too (``"error": message``), so a replay reproduces them.

Replaying (``tools.search: replay`` / ``tools.fetch: replay`` with ``tools.options.replay: {cassette:
path, strict: false}``) answers from the cassette only. Searches match on the normalised query (a
recording with more hits than asked for is cut to ``top_k``); fetches on the stripped URL. A call that
was never recorded is a :class:`ToolError` the agent reads, or, in strict mode, a
:class:`ReplayMissError` that stops the stage.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson

from openseeker import redaction
from openseeker.errors import ConfigError, DataError, OpenSeekerError, ToolError
from openseeker.tools.base import FetchedPage, PageFetcher, SearchBackend, SearchHit
from openseeker.tools.config import ToolsConfig
from openseeker.web.cache import canonical_query


class ReplayMissError(OpenSeekerError):
    """Strict replay: a call that the cassette does not hold."""


def _entry_key(op: str, args: dict[str, Any]) -> tuple[str, str]:
    if op == "search":
        return op, canonical_query(str(args.get("query", "")))
    return op, str(args.get("url", "")).strip()


def read_cassette(path: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The entries of a cassette by (op, key); the first recording of a call wins."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"Replay cassette {str(p)!r} does not exist. Record one with tools.options.record.")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with p.open("rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
                key = _entry_key(entry["op"], entry["args"])
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                raise DataError(
                    f"not a cassette entry ({type(e).__name__}: {e})", path=str(p), position=f"line {lineno}"
                ) from None
            out.setdefault(key, entry)
    return out


class Cassette:
    """An append-only JSONL cassette being recorded (thread-safe; a call is written once)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str]] = set(read_cassette(self.path)) if self.path.exists() else set()

    def write(
        self, op: str, backend: str, args: dict[str, Any], result: Any = None, error: str | None = None
    ) -> None:
        key = _entry_key(op, args)
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
            entry: dict[str, Any] = {"op": op, "backend": backend, "args": args}
            if error is not None:
                entry["error"] = error
            else:
                entry["result"] = result
            with self.path.open("ab") as f:
                f.write(redaction.scrub_bytes(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)))


class RecordingSearch:
    """Passes calls through and records them."""

    def __init__(self, inner: SearchBackend, cassette: Cassette):
        self.inner, self.cassette, self.name = inner, cassette, inner.name

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        args = {"query": canonical_query(query), "top_k": int(top_k)}
        try:
            hits = await self.inner.search(query, top_k)
        except ToolError as e:
            self.cassette.write("search", self.name, args, error=str(e))
            raise
        self.cassette.write("search", self.name, args, [h.to_dict() for h in hits])
        return hits


class RecordingFetch:
    """Passes calls through and records them."""

    def __init__(self, inner: PageFetcher, cassette: Cassette):
        self.inner, self.cassette, self.name = inner, cassette, inner.name

    async def fetch(self, url: str) -> FetchedPage:
        args = {"url": url.strip()}
        try:
            page = await self.inner.fetch(url)
        except ToolError as e:
            self.cassette.write("fetch", self.name, args, error=str(e))
            raise
        self.cassette.write("fetch", self.name, args, page.to_dict())
        return page


def _replay_options(cfg: ToolsConfig) -> tuple[Path, bool]:
    opts = cfg.options.get("replay")
    if isinstance(opts, str):
        opts = {"cassette": opts}
    if not isinstance(opts, dict) or not opts.get("cassette"):
        raise ConfigError(
            "The replay backend needs tools.options.replay.cassette (a JSONL file recorded with "
            "tools.options.record)."
        )
    unknown = set(opts) - {"cassette", "strict"}
    if unknown:
        raise ConfigError(f"Unknown keys in tools.options.replay: {', '.join(sorted(unknown))}.")
    return Path(opts["cassette"]), bool(opts.get("strict", False))


class _Replayer:
    def __init__(self, cfg: ToolsConfig):
        self.path, self.strict = _replay_options(cfg)
        self.entries = read_cassette(self.path)
        self.misses = 0

    def lookup(self, op: str, args: dict[str, Any], what: str) -> dict[str, Any]:
        entry = self.entries.get(_entry_key(op, args))
        if entry is None:
            self.misses += 1
            msg = f"Replay: {what} was not recorded in {self.path.name}, so it cannot be answered offline."
            if self.strict:
                raise ReplayMissError(msg + " Record it (tools.options.record) or turn off replay.strict.")
            raise ToolError(msg)
        if "error" in entry:
            raise ToolError(str(entry["error"]))
        return entry


class ReplaySearch:
    """Answers searches from a cassette."""

    name = "replay"
    cost_per_call = 0.0

    def __init__(self, cfg: ToolsConfig):
        self._r = _Replayer(cfg)

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        entry = self._r.lookup("search", {"query": query}, f"the search {canonical_query(query)!r}")
        return [SearchHit.from_dict(h) for h in entry["result"]][: max(1, int(top_k))]


class ReplayFetch:
    """Answers fetches from a cassette."""

    name = "replay"
    cost_per_call = 0.0

    def __init__(self, cfg: ToolsConfig):
        self._r = _Replayer(cfg)

    async def fetch(self, url: str) -> FetchedPage:
        entry = self._r.lookup("fetch", {"url": url}, f"the page {url.strip()}")
        return FetchedPage.from_dict(entry["result"])
