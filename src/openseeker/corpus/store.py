"""``CorpusStore``: the :class:`~openseeker.corpus.base.Corpus` over a corpus directory (read-only).

Point lookups go to SQLite (one connection per thread; WAL lets many readers share the file); full-text
search goes to the memory-mapped BM25 index, which is loaded on the first query, and its hits' URLs, titles
and snippets come from the hit store (:mod:`openseeker.corpus.hitstore`), a compact copy that stays in the
page cache where the store's file would not.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openseeker.corpus.base import CorpusHit, Link, Page
from openseeker.corpus.hitstore import MAX_CHARS, HitStore
from openseeker.corpus.schema import DB_NAME, connect_reader, title_key
from openseeker.errors import ConfigError, DataError, PrerequisiteError

SEARCH_MODES = ("bm25", "dense", "hybrid")

_UNSET = object()
_PAGE_COLS = "id, url, title, text, language, metadata"


def _page(row: tuple[Any, ...]) -> Page:
    meta = json.loads(row[5]) if row[5] else {}
    return Page(row[0], row[1], row[2], row[3], row[4], meta)


class CorpusStore:
    """A corpus directory opened for reading (see :mod:`openseeker.corpus.schema` for the layout)."""

    def __init__(self, path: str | Path, search_mode: str = "bm25", *, use_hit_store: bool = True):
        """Open a corpus directory; ``use_hit_store=False`` makes search read hits from SQLite (a baseline for
        benchmarks; the answers are the same)."""
        if search_mode not in SEARCH_MODES:
            raise ConfigError(f"unknown search mode {search_mode!r}; use one of {', '.join(SEARCH_MODES)}")
        self.search_mode = search_mode
        self.path = Path(path)
        self.db_path = self.path / DB_NAME
        if not self.db_path.exists():
            raise PrerequisiteError(
                f"{self.path} is not a corpus directory (no {DB_NAME}); create one with "
                "`openseeker corpus ingest SOURCE --out DIR`"
            )
        self._local = threading.local()
        self._index: Any = None
        self._index_lock = threading.Lock()
        self._dense: Any = None
        self._hits: object = _UNSET if use_hit_store else None
        meta = dict(self._con().execute("SELECT key, value FROM meta").fetchall())
        self.meta: dict[str, Any] = {k: json.loads(v) for k, v in meta.items()}
        # Corpora from schema 1 have no redirect titles.
        self._redirect_titles = any(
            r[1] == "title_key" for r in self._con().execute("PRAGMA table_info(redirects)")
        )
        self._len = int(
            self.meta.get("pages") or self._con().execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        )

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = self._local.con = connect_reader(self.db_path)
            except sqlite3.Error as e:
                raise DataError(f"cannot open the store ({e})", path=str(self.db_path)) from e
        return con

    # -- Corpus protocol -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def page_ids(self) -> range:
        """Every page id (ids are dense: ``0..len-1``)."""
        return range(self._len)

    def get(self, key: int | str) -> Page | None:
        """A page by id, URL, redirect URL, title or redirect title (titles case- and underscore-insensitive);
        ``None`` if absent."""
        con = self._con()
        if isinstance(key, int):
            row = con.execute(f"SELECT {_PAGE_COLS} FROM pages WHERE id = ?", (key,)).fetchone()
            return _page(row) if row else None
        key = key.strip()
        row = con.execute(f"SELECT {_PAGE_COLS} FROM pages WHERE url = ?", (key,)).fetchone()
        if row is None:
            row = con.execute(
                f"SELECT {_PAGE_COLS} FROM pages WHERE url = (SELECT target_url FROM redirects WHERE url = ?)",
                (key,),
            ).fetchone()
        if row is None:
            row = con.execute(
                f"SELECT {_PAGE_COLS} FROM pages WHERE title_key = ? ORDER BY id LIMIT 1", (title_key(key),)
            ).fetchone()
        if row is None and self._redirect_titles:
            row = con.execute(
                f"SELECT {_PAGE_COLS} FROM pages WHERE url = "
                "(SELECT target_url FROM redirects WHERE title_key = ? LIMIT 1)",
                (title_key(key),),
            ).fetchone()
        return _page(row) if row else None

    def out_links(self, page_id: int) -> list[Link]:
        rows = self._con().execute(
            "SELECT source, target, target_url, anchor, context FROM links WHERE source = ? ORDER BY rowid",
            (page_id,),
        )
        return [Link(*r) for r in rows]

    def in_links(self, page_id: int) -> list[Link]:
        rows = self._con().execute(
            "SELECT source, target, target_url, anchor, context FROM links WHERE target = ? ORDER BY source",
            (page_id,),
        )
        return [Link(*r) for r in rows]

    def search(self, query: str, top_k: int = 10, mode: str | None = None) -> list[CorpusHit]:
        """Ranked hits with a snippet around the query terms.

        Args:
            query: the query text (any mix of English and Chinese).
            top_k: at most this many hits.
            mode: ``bm25``, ``dense`` or ``hybrid`` (reciprocal-rank fusion of both); default: the store's
                ``search_mode``.
        """
        from openseeker.corpus.index import make_snippet

        mode = mode or self.search_mode
        index = self.index
        tokens = index.tokenizer(query)
        if mode == "bm25":
            ranked = index.search_tokens(tokens, top_k)
        else:
            from openseeker.corpus.dense import rrf

            dense = self.dense.search(query, top_k if mode == "dense" else max(50, top_k))
            if mode == "dense":
                ranked = dense
            else:
                lexical = index.search_tokens(tokens, max(50, top_k))
                ranked = rrf([[d for d, _ in lexical], [d for d, _ in dense]], top_k)
        if not ranked:
            return []
        words = index.tokenizer.raw(query) + tokens
        ids = [d for d, _ in ranked]
        hit_store = self.hit_store
        if hit_store is not None:
            rows = {d: hit_store.get(d) for d in ids}
        else:  # a corpus indexed before hit stores existed
            rows = {
                r[0]: r[1:]
                for r in self._con().execute(
                    f"SELECT id, url, title, substr(text, 1, {MAX_CHARS}) FROM pages "
                    f"WHERE id IN ({','.join('?' * len(ids))})",
                    ids,
                )
            }
        hits = []
        for d, score in ranked:
            r = rows.get(d)
            if r is not None:
                hits.append(CorpusHit(d, r[0], r[1], make_snippet(r[2], words), score))
        return hits

    @property
    def hit_store(self) -> HitStore | None:
        """The hit store (URL, title and opening text of each page, for search results), opened on first use;
        ``None`` for corpora indexed before it existed."""
        if self._hits is _UNSET:
            with self._index_lock:
                if self._hits is _UNSET:
                    self._hits = HitStore.open(self.path, self._len)
        return self._hits  # type: ignore[return-value]

    @property
    def dense(self) -> Any:
        """The dense index (:class:`openseeker.corpus.dense.DenseIndex`), loaded on first use."""
        if self._dense is None:
            with self._index_lock:
                if self._dense is None:
                    from openseeker.corpus.dense import DenseIndex

                    self._dense = DenseIndex(self.path)
        return self._dense

    # -- extras ----------------------------------------------------------------------------------------

    @property
    def index(self) -> Any:
        """The BM25 index (:class:`openseeker.corpus.index.BM25Index`), loaded on first use."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    from openseeker.corpus.index import INDEX_DIR, BM25Index

                    self._index = BM25Index(self.path / INDEX_DIR)
        return self._index

    def out_targets(self, page_ids: list[int]) -> list[tuple[int, int]]:
        """``(source, target)`` pairs of the resolved out-links of several pages, in one query."""
        if not page_ids:
            return []
        rows = self._con().execute(
            f"SELECT source, target FROM links WHERE source IN ({','.join('?' * len(page_ids))}) "
            "AND target IS NOT NULL ORDER BY source, rowid",
            page_ids,
        )
        return [(int(s), int(t)) for s, t in rows]

    def neighbourhood(self, page_id: int, hops: int = 2, limit: int = 1000) -> dict[int, int]:
        """Pages reachable by following out-links up to ``hops`` times: ``{page_id: distance}`` in BFS order
        (the start page at distance 0), at most ``limit`` pages."""
        seen = {page_id: 0}
        frontier = [page_id]
        for dist in range(1, hops + 1):
            nxt: list[int] = []
            for i in range(0, len(frontier), 500):
                for _, t in self.out_targets(frontier[i : i + 500]):
                    if t not in seen:
                        if len(seen) >= limit:
                            return seen
                        seen[t] = dist
                        nxt.append(t)
            frontier = nxt
            if not frontier:
                break
        return seen

    def iter_pages(self, batch: int = 1000) -> Iterator[Page]:
        """Every page in id order (streamed)."""
        last = -1
        while True:
            rows = (
                self._con()
                .execute(f"SELECT {_PAGE_COLS} FROM pages WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
                .fetchall()
            )
            if not rows:
                return
            for r in rows:
                yield _page(r)
            last = rows[-1][0]

    def info(self, degree_stats: bool = True) -> dict[str, Any]:
        """Counts: pages, links, dangling, redirects, languages, degree distributions, the index and the hit
        store."""
        con = self._con()
        links = con.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        dangling = con.execute("SELECT COUNT(*) FROM links WHERE target IS NULL").fetchone()[0]
        out: dict[str, Any] = {
            "path": str(self.path),
            "pages": self._len,
            "links": links,
            "resolved_links": links - dangling,
            "dangling_links": dangling,
            "redirects": con.execute("SELECT COUNT(*) FROM redirects").fetchone()[0],
            "languages": dict(
                con.execute("SELECT language, COUNT(*) FROM pages GROUP BY language").fetchall()
            ),
            "created": self.meta.get("created"),
            "sources": self.meta.get("sources", []),
        }
        if degree_stats:
            # Grouped scans of the link indexes; pages without links are the difference to the page count.
            outd = [r[0] for r in con.execute("SELECT COUNT(target) FROM links GROUP BY source")]
            ind = [
                r[0]
                for r in con.execute("SELECT COUNT(*) FROM links WHERE target IS NOT NULL GROUP BY target")
            ]
            outd += [0] * (self._len - len(outd))
            ind += [0] * (self._len - len(ind))
            out["out_degree"] = degree_summary(outd)
            out["in_degree"] = degree_summary(ind)
        idx = self.path / "bm25" / "openseeker.json"
        out["index"] = json.loads(idx.read_text(encoding="utf-8")) if idx.exists() else None
        hits = self.hit_store
        out["hit_store"] = (
            {"pages": len(hits), "mb": round(hits.size_bytes() / 2**20, 1)}
            if hits is not None
            else "none: search reads hits from SQLite (openseeker corpus reindex writes one)"
        )
        return out

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    def __repr__(self) -> str:
        return f"CorpusStore({str(self.path)!r}, pages={self._len})"


def degree_summary(degrees: list[int]) -> dict[str, float]:
    """min / median / p90 / p99 / max / mean and the number of zero-degree pages."""
    if not degrees:
        return {"min": 0, "median": 0, "p90": 0, "p99": 0, "max": 0, "mean": 0.0, "zero": 0}
    d = sorted(degrees)
    n = len(d)

    def q(p: float) -> int:
        return d[min(n - 1, int(p * (n - 1) + 0.5))]

    return {
        "min": d[0],
        "median": q(0.5),
        "p90": q(0.9),
        "p99": q(0.99),
        "max": d[-1],
        "mean": round(sum(d) / n, 2),
        "zero": sum(1 for x in d if x == 0),
    }
