"""Ingest sources into a corpus directory: pages and links into SQLite, then the BM25 index.

Memory stays bounded: pages are inserted in batches (duplicates are checked per batch against the unique
URL index, not against an in-memory set), raw links go to a staging table, and link targets are resolved
afterwards by one SQL join (URL, then redirect) that writes the final ``links`` table in source order.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from openseeker.corpus.schema import (
    DB_NAME,
    FINAL_INDEXES,
    REJECTS_NAME,
    REPORT_NAME,
    SCHEMA_VERSION,
    connect_writer,
    title_key,
)
from openseeker.corpus.sources import Source, SourcePage, SourceRedirect, SourceReject, open_source
from openseeker.corpus.text import detect_language
from openseeker.errors import ConfigError
from openseeker.records import Record


@dataclass
class IngestReport(Record):
    """What one ingest did. ``rejected`` counts by reason; ``source_stats`` holds each reader's counters."""

    out_dir: str = ""
    pages: int = 0
    links: int = 0
    resolved_links: int = 0
    dangling_links: int = 0
    redirects: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    source_stats: dict[str, dict[str, int]] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    index: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    index_seconds: float = 0.0


class _Progress:
    """A rich progress bar, or nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._p: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._p = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            )
            self._p.start()
        return self

    def task(self, description: str, total: int | None = None) -> Any:
        return self._p.add_task(description, total=total) if self._p else None

    def advance(self, task: Any, n: int = 1) -> None:
        if self._p is not None and task is not None:
            self._p.advance(task, n)

    def update(self, task: Any, **kw: Any) -> None:
        if self._p is not None and task is not None:
            self._p.update(task, **kw)

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.stop()


class StoreWriter:
    """Batched writer of a new store (used by :func:`ingest` and the Parquet import)."""

    def __init__(self, out_dir: Path, rejects: IO[bytes], batch_size: int = 2000):
        self.out_dir = out_dir
        self.con = connect_writer(out_dir / DB_NAME)
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS raw_links (source INTEGER, target_url TEXT, anchor TEXT, "
            "context TEXT)"
        )
        self.rejects = rejects
        self.batch_size = batch_size
        self.next_id = 0
        self.rejected: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.redirects = 0
        self._pages: list[SourcePage] = []
        self._redirects: list[tuple[str, str, str | None]] = []

    def reject(self, r: SourceReject, source: str) -> None:
        self.rejected[r.reason] += 1
        self.rejects.write(orjson.dumps({"source": source, **r.to_dict()}, option=orjson.OPT_APPEND_NEWLINE))

    def add_page(self, page: SourcePage) -> None:
        self._pages.append(page)
        if len(self._pages) >= self.batch_size:
            self.flush()

    def add_redirect(self, r: SourceRedirect) -> None:
        self._redirects.append((r.url, r.target_url, title_key(r.title) if r.title.strip() else None))
        if len(self._redirects) >= self.batch_size:
            self.flush()

    def _existing(self, urls: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(urls), 900):
            part = urls[i : i + 900]
            q = f"SELECT url FROM pages WHERE url IN ({','.join('?' * len(part))})"
            found.update(r[0] for r in self.con.execute(q, part))
        return found

    def flush(self) -> int:
        """Write buffered pages and redirects; return the number of pages written."""
        pages, self._pages = self._pages, []
        redirects, self._redirects = self._redirects, []
        if not pages and not redirects:
            return 0
        existing = self._existing([p.url for p in pages]) if pages else set()
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[Any, ...]] = []
        batch_urls: set[str] = set()
        for p in pages:
            if p.url in existing or p.url in batch_urls:
                self.reject(SourceReject(p.url, "page", "duplicate_url", f"title {p.title!r}"), "ingest")
                continue
            batch_urls.add(p.url)
            pid = self.next_id
            self.next_id += 1
            lang = p.language or detect_language(p.title + " " + p.text)
            self.languages[lang] += 1
            title = p.title.strip() or p.url
            meta = orjson.dumps(p.metadata).decode() if p.metadata else None
            rows.append((pid, p.url, title, title_key(title), p.text, lang, meta))
            links.extend((pid, ln.url, ln.anchor, ln.context) for ln in p.links)
        self.con.execute("BEGIN")
        self.con.executemany("INSERT INTO pages VALUES (?,?,?,?,?,?,?)", rows)
        self.con.executemany("INSERT INTO raw_links VALUES (?,?,?,?)", links)
        if redirects:
            cur = self.con.executemany("INSERT OR IGNORE INTO redirects VALUES (?,?,?)", redirects)
            self.redirects += max(cur.rowcount, 0)
        self.con.execute("COMMIT")
        return len(rows)

    def finish(self) -> dict[str, int]:
        """Resolve links (URL, then redirect chains), build indexes, record stats; return link counts."""
        self.flush()
        con = self.con
        # Collapse redirect chains (A -> B -> C) a few levels deep, so one join resolves them.
        for _ in range(4):
            cur = con.execute(
                "UPDATE redirects SET target_url = (SELECT r2.target_url FROM redirects r2 "
                "WHERE r2.url = redirects.target_url) WHERE target_url IN (SELECT url FROM redirects)"
            )
            if cur.rowcount <= 0:
                break
        # A redirect whose URL is also a real page must not shadow it.
        con.execute("DELETE FROM redirects WHERE url IN (SELECT url FROM pages)")
        con.execute("BEGIN")
        con.execute(
            "INSERT INTO links (source, target, target_url, anchor, context) "
            "SELECT r.source, COALESCE(p.id, p2.id), r.target_url, COALESCE(r.anchor, ''), COALESCE(r.context, '') "
            "FROM raw_links r LEFT JOIN pages p ON p.url = r.target_url "
            "LEFT JOIN redirects d ON p.id IS NULL AND d.url = r.target_url "
            "LEFT JOIN pages p2 ON p2.url = d.target_url ORDER BY r.rowid"
        )
        con.execute("DROP TABLE raw_links")
        con.execute("COMMIT")
        con.executescript(FINAL_INDEXES)
        total = con.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        dangling = con.execute("SELECT COUNT(*) FROM links WHERE target IS NULL").fetchone()[0]
        return {"links": total, "resolved_links": total - dangling, "dangling_links": dangling}

    def set_meta(self, values: dict[str, Any]) -> None:
        self.con.execute("BEGIN")
        self.con.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in values.items()],
        )
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.con.close()


# Everything an ingest writes into a corpus directory; replaced together when a new ingest succeeds.
CORPUS_ENTRIES = (
    DB_NAME,
    DB_NAME + "-wal",
    DB_NAME + "-shm",
    REJECTS_NAME,
    REPORT_NAME,
    "import_report.json",
)
CORPUS_DIRS = ("bm25", "dense")


@contextmanager
def staged_corpus_dir(out_dir: str | Path, overwrite: bool) -> Iterator[Path]:
    """Build a corpus in a hidden folder inside ``out_dir`` and move it into place only on success.

    A failed ingest (a missing path, a broken file, Ctrl-C) leaves ``out_dir`` as it was: no partial store
    that would make the corrected command refuse to run, and an existing corpus (``overwrite``) intact.
    """
    out = Path(out_dir)
    if (out / DB_NAME).exists() and not overwrite:
        raise ConfigError(f"{out} already holds a corpus; pass overwrite=True (--overwrite) to replace it")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    for name in CORPUS_ENTRIES:
        (out / name).unlink(missing_ok=True)
    for name in CORPUS_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)
    # The store is renamed last, so a reader never sees a store without its index.
    for child in sorted(stage.iterdir(), key=lambda c: c.name == DB_NAME):
        child.rename(out / child.name)
    stage.rmdir()


def _release_free_heap() -> None:
    """Hand memory freed by SQLite's page cache back to the OS (glibc keeps small freed chunks in its heap,
    where the index build's large arrays cannot reuse them); a no-op elsewhere."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build_index(out: Path, con: sqlite3.Connection, num_pages: int, progress: _Progress) -> dict[str, Any]:
    """Build the BM25 index of the pages in ``con`` into ``out/bm25``."""
    from openseeker.corpus.index import INDEX_DIR, build_bm25

    task = progress.task("BM25 index", total=num_pages)
    # The store is only read from here on: a small page cache leaves the memory to the index build.
    con.execute("PRAGMA cache_size=-16384")
    con.execute("PRAGMA shrink_memory")
    _release_free_heap()

    def docs() -> Iterable[tuple[int, str]]:
        # Title twice: entity pages should win for queries that name the entity.
        for pid, title, text in con.execute("SELECT id, title, text FROM pages ORDER BY id"):
            yield pid, f"{title}\n{title}\n{text}"

    return build_bm25(docs(), num_pages, out / INDEX_DIR, on_progress=lambda n: progress.advance(task, n))


def ingest(
    sources: Iterable[str | Path | Source],
    out_dir: str | Path,
    *,
    kind: str | None = None,
    limit: int | None = None,
    overwrite: bool = False,
    build_search_index: bool = True,
    batch_size: int = 2000,
    progress: bool = False,
    **source_options: Any,
) -> IngestReport:
    """Read ``sources`` (paths, ``kind:path`` strings or :class:`Source` objects) into ``out_dir``.

    Args:
        sources: inputs (or a single one); the reader is detected from each path unless ``kind`` is given.
        out_dir: the corpus directory to create.
        kind: force one reader for every path.
        limit: at most this many pages per source.
        overwrite: replace an existing corpus in ``out_dir``.
        build_search_index: build the BM25 index after the store.
        batch_size: pages per insert transaction.
        progress: show rich progress bars.
        **source_options: passed to the readers (``site``, ``base_url``, ``language``,
            ``max_record_bytes`` ...).

    Returns:
        an :class:`IngestReport` (also written to ``ingest_report.json``); rejected records are in
        ``rejects.jsonl`` with file, position and reason. The corpus is built in a hidden folder inside
        ``out_dir`` and moved into place on success only (see :func:`staged_corpus_dir`).
    """
    if isinstance(sources, str | Path | Source):
        sources = [sources]  # one path given on its own, not a list
    start = time.monotonic()
    with staged_corpus_dir(out_dir, overwrite) as out:
        report = _ingest_into(
            out, sources, kind, limit, build_search_index, batch_size, progress, source_options
        )
        report.out_dir = str(Path(out_dir))
        report.seconds = time.monotonic() - start
        (out / REPORT_NAME).write_text(
            json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
        )
    return report


def _ingest_into(
    out: Path,
    sources: Iterable[str | Path | Source],
    kind: str | None,
    limit: int | None,
    build_search_index: bool,
    batch_size: int,
    progress: bool,
    source_options: dict[str, Any],
) -> IngestReport:
    report = IngestReport(out_dir=str(out))
    with (out / REJECTS_NAME).open("wb") as rej, _Progress(progress) as bar:
        writer = StoreWriter(out, rej, batch_size)
        try:
            for spec in sources:
                src = (
                    open_source(spec, kind, limit=limit, **source_options)
                    if not isinstance(spec, Source)
                    else spec
                )
                task = bar.task(f"{src.kind}: {src.path.name}", total=None)
                for item in src:
                    if isinstance(item, SourcePage):
                        writer.add_page(item)
                        bar.advance(task)
                    elif isinstance(item, SourceRedirect):
                        writer.add_redirect(item)
                    else:
                        writer.reject(item, src.kind)
                writer.flush()
                bar.update(task, total=writer.next_id)
                report.source_stats[f"{src.kind}:{src.path}"] = dict(src.stats)
            links = writer.finish()
            report.pages = writer.next_id
            report.redirects = writer.redirects
            report.rejected = dict(writer.rejected)
            report.languages = dict(writer.languages)
            report.links, report.resolved_links, report.dangling_links = (
                links["links"],
                links["resolved_links"],
                links["dangling_links"],
            )
            writer.set_meta(
                {
                    "schema_version": SCHEMA_VERSION,
                    "pages": report.pages,
                    "links": report.links,
                    "dangling_links": report.dangling_links,
                    "languages": report.languages,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "sources": list(report.source_stats),
                }
            )
            if build_search_index:
                t0 = time.monotonic()
                report.index = build_index(out, writer.con, report.pages, bar)
                report.index_seconds = time.monotonic() - t0
        finally:
            writer.close()
    return report


def reindex(corpus_dir: str | Path, *, progress: bool = False) -> dict[str, Any]:
    """Rebuild the BM25 index of an existing corpus (after ``--no-index``, or a tokenizer change)."""
    from openseeker.corpus.schema import connect_reader

    out = Path(corpus_dir)
    if not (out / DB_NAME).exists():
        raise ConfigError(f"{out} is not a corpus directory (no {DB_NAME})")
    con = connect_reader(out / DB_NAME)
    try:
        n = con.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        with _Progress(progress) as bar:
            return build_index(out, con, n, bar)
    finally:
        con.close()
