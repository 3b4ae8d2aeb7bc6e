"""Ingest sources into a corpus directory: work units read in parallel, merged into SQLite, then the index.

1. **Units.** The sources are split into work units (:mod:`openseeker.corpus.units`: files, page ranges of a
   multistream dump, byte ranges of a JSONL file, slices of an HTML folder). Each unit is read by a worker
   (this process, ``workers`` local processes, or Ray tasks: :mod:`openseeker.pipeline.executor`) into a
   Parquet shard of pages and raw links with a completion marker, under ``<out>/.ingest-units/``.
2. **Merge.** The driver merges the shards in unit order as they arrive, so page ids are those a single
   reader would give (dense, in source order; the first page with a URL wins). Pages are inserted in
   batches (duplicates checked per batch against the unique URL index, not an in-memory set), raw links go
   to a staging table.
3. **Links and index.** Link targets are resolved by one SQL join (URL, then redirect chains) that writes
   the final ``links`` table in source order; then the BM25 index is built in bounded memory.

A killed or interrupted ingest (``kill -9``, Ctrl-C) keeps its finished units: the same command resumes and
reads only the units without a marker. An ingest that fails on bad input leaves nothing behind (the folder
as it was). Memory per worker is bounded by a unit's batch, whatever the corpus size; the driver's by its
batches and SQLite's fixed cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
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
)
from openseeker.corpus.sources import Source, SourceReject
from openseeker.corpus.units import (
    DEFAULT_UNIT_MB,
    WorkUnit,
    build_unit_in,
    build_unit_packed,
    plan_fingerprint,
    plan_units,
    unit_done,
    unpack_unit,
)
from openseeker.errors import ConfigError, RunLockedError
from openseeker.pipeline.executor import make_executor
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
    units: int = 0
    units_reused: int = 0
    workers: int = 1
    executor: str = "local"
    units_seconds: float = 0.0  # reading units and merging them (overlapped)
    links_seconds: float = 0.0  # link and redirect resolution


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
    """Batched writer of a new store (the ingest's merge, and the Parquet import)."""

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

    def reject(self, r: SourceReject, source: str) -> None:
        self.rejected[r.reason] += 1
        self.rejects.write(orjson.dumps({"source": source, **r.to_dict()}, option=orjson.OPT_APPEND_NEWLINE))

    def _existing(self, urls: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(urls), 900):
            part = urls[i : i + 900]
            q = f"SELECT url FROM pages WHERE url IN ({','.join('?' * len(part))})"
            found.update(r[0] for r in self.con.execute(q, part))
        return found

    def insert(self, pages: Sequence[tuple[Any, ...]], links: Sequence[Sequence[tuple[Any, ...]]]) -> int:
        """Give ids to a batch of pages ``(url, title, title_key, text, language, metadata)`` and insert them
        with their raw links ``(url, anchor, context)``; a URL already stored is rejected as
        ``duplicate_url``. Returns the number of pages inserted."""
        existing = self._existing([p[0] for p in pages])
        rows: list[tuple[Any, ...]] = []
        raw: list[tuple[Any, ...]] = []
        batch_urls: set[str] = set()
        for p, plinks in zip(pages, links, strict=True):
            url = p[0]
            if url in existing or url in batch_urls:
                self.reject(SourceReject(url, "page", "duplicate_url", f"title {p[1]!r}"), "ingest")
                continue
            batch_urls.add(url)
            pid = self.next_id
            self.next_id += 1
            self.languages[p[4]] += 1
            rows.append((pid, *p))
            raw.extend((pid, *ln) for ln in plinks)
        self.con.execute("BEGIN")
        self.con.executemany("INSERT INTO pages VALUES (?,?,?,?,?,?,?)", rows)
        self.con.executemany("INSERT INTO raw_links VALUES (?,?,?,?)", raw)
        self.con.execute("COMMIT")
        return len(rows)

    def add_redirects(self, rows: Sequence[tuple[str, str, str | None]]) -> None:
        """Insert redirects ``(url, target_url, title_key)``; the first redirect of a URL wins."""
        self.con.execute("BEGIN")
        cur = self.con.executemany("INSERT OR IGNORE INTO redirects VALUES (?,?,?)", rows)
        self.redirects += max(cur.rowcount, 0)
        self.con.execute("COMMIT")

    def merge_shard(self, shard: Path) -> None:
        """Append a work unit's shard (:mod:`openseeker.corpus.units`): its rejects, pages, links, redirects."""
        from openseeker.corpus.units import read_redirects, read_shard

        with (shard / "rejects.jsonl").open("rb") as fh:
            shutil.copyfileobj(fh, self.rejects)
        for pages, links in read_shard(shard, self.batch_size):
            self.insert(pages, links)
        for rows in read_redirects(shard):
            self.add_redirects(rows)

    def finish(self) -> dict[str, int]:
        """Resolve links (URL, then redirect chains), build indexes, record stats; return link counts."""
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
CORPUS_DIRS = ("bm25", "hits", "dense")
UNITS_DIR = ".ingest-units"


@contextlib.contextmanager
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
        if created:  # only if empty: an interrupted ingest keeps its finished work units there
            with contextlib.suppress(OSError):
                out.rmdir()
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
    """Build the BM25 index of the pages in ``con`` into ``out/bm25`` and their hit store into ``out/hits``."""
    from openseeker.corpus.hitstore import HITS_DIR, HitStoreWriter
    from openseeker.corpus.index import INDEX_DIR, build_bm25

    task = progress.task("BM25 index", total=num_pages)
    # The store is only read from here on: a small page cache leaves the memory to the index build.
    con.execute("PRAGMA cache_size=-16384")
    con.execute("PRAGMA shrink_memory")
    _release_free_heap()

    # The hit store is written in the same pass: one read of the pages feeds both.
    with HitStoreWriter(out / HITS_DIR, num_pages) as hits:

        def docs() -> Iterable[tuple[int, str]]:
            for pid, url, title, text in con.execute("SELECT id, url, title, text FROM pages ORDER BY id"):
                hits.add(pid, url, title, text)
                # Title twice: entity pages should win for queries that name the entity.
                yield pid, f"{title}\n{title}\n{text}"

        summary = build_bm25(
            docs(), num_pages, out / INDEX_DIR, on_progress=lambda n: progress.advance(task, n)
        )
    return summary


class UnitsFolder:
    """``<out>/.ingest-units/``: the work units' shards of an ingest into ``out``, kept until it succeeds.

    Holding it (``with``) takes an exclusive OS lock (``flock``, released by the kernel however the holder
    exits), so two ingests into one folder cannot run at once; the holder removes the staging folders that
    killed ingests left behind. :meth:`prepare` keeps the shards of a plan with the same fingerprint (a
    resumed ingest) and drops everything else.
    """

    def __init__(self, out: Path):
        self.out = out
        self.path = out / UNITS_DIR
        self._fd: int | None = None

    def __enter__(self) -> UnitsFolder:
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
            os.close(fd)
            pid = int(raw) if raw.isdigit() else None
            raise RunLockedError(
                f"{self.out} is busy: {'process ' + str(pid) if pid else 'another process'} is ingesting into it",
                pid=pid,
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        for stale in self.out.glob(".ingest-*"):  # staging folders of ingests that were killed
            if stale.is_dir() and stale.name != UNITS_DIR:
                shutil.rmtree(stale, ignore_errors=True)
        return self

    def prepare(self, units: list[WorkUnit]) -> int:
        """Keep the shards of this plan, drop the rest; return how many units are already done."""
        plan = {"fingerprint": plan_fingerprint(units), "units": len(units)}
        plan_file = self.path / "plan.json"
        try:
            same = orjson.loads(plan_file.read_bytes()).get("fingerprint") == plan["fingerprint"]
        except (OSError, orjson.JSONDecodeError):
            same = False
        for child in self.path.iterdir():
            if child.is_dir() and (not same or child.name.startswith(".")):
                shutil.rmtree(child, ignore_errors=True)
        plan_file.write_bytes(orjson.dumps(plan))
        return sum(unit_done(self.path, u) is not None for u in units)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def ingest(
    sources: Iterable[str | Path | Source] | str | Path | Source,
    out_dir: str | Path,
    *,
    kind: str | None = None,
    limit: int | None = None,
    overwrite: bool = False,
    build_search_index: bool = True,
    batch_size: int = 2000,
    progress: bool = False,
    workers: int = 1,
    executor: str = "local",
    ray_address: str | None = None,
    unit_mb: float = DEFAULT_UNIT_MB,
    **source_options: Any,
) -> IngestReport:
    """Read ``sources`` (paths, ``kind:path`` strings or :class:`Source` objects) into ``out_dir``.

    Args:
        sources: inputs (or a single one); the reader is detected from each path unless ``kind`` is given.
        out_dir: the corpus directory to create.
        kind: force one reader for every path.
        limit: at most this many pages per source (a source is then one work unit).
        overwrite: replace an existing corpus in ``out_dir``.
        build_search_index: build the BM25 index after the store.
        batch_size: pages per insert transaction.
        progress: show rich progress bars.
        workers: work units read at once (1: in this process; N: N local processes, or N Ray tasks).
        executor: ``local`` or ``ray`` (:mod:`openseeker.pipeline.executor`).
        ray_address: the Ray cluster to use (``None``: a local one of ``workers`` CPUs).
        unit_mb: about this many (compressed) megabytes of input per work unit.
        **source_options: passed to the readers (``site``, ``base_url``, ``language``,
            ``max_record_bytes`` ...).

    Returns:
        an :class:`IngestReport` (also written to ``ingest_report.json``); rejected records are in
        ``rejects.jsonl`` with file, position and reason. The corpus is built in a hidden folder inside
        ``out_dir`` and moved into place on success only (see :func:`staged_corpus_dir`); see the module
        docstring for resuming.
    """
    if isinstance(sources, str | Path | Source):
        sources = [sources]  # one path given on its own, not a list
    start = time.monotonic()
    out = Path(out_dir)
    if (out / DB_NAME).exists() and not overwrite:
        raise ConfigError(f"{out} already holds a corpus; pass overwrite=True (--overwrite) to replace it")
    units = plan_units(sources, kind, limit, source_options, int(unit_mb * 2**20))
    created = not out.exists()
    with UnitsFolder(out) as folder:
        try:
            reused = folder.prepare(units)
            with staged_corpus_dir(out, overwrite) as stage:
                run = _UnitRun(units, folder, executor, workers, ray_address)
                report = _ingest_into(stage, run, build_search_index, batch_size, progress)
                report.out_dir = str(out)
                report.units, report.units_reused = len(units), reused
                report.workers, report.executor = workers, executor
                report.seconds = time.monotonic() - start
                (stage / REPORT_NAME).write_text(
                    json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
                )
        except Exception:
            folder.remove()  # bad input: nothing is kept (a stopped ingest keeps its units to resume)
            if created:
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise
        folder.remove()
    return report


@dataclass
class _UnitRun:
    """The work units of one ingest and where they run."""

    units: list[WorkUnit]
    folder: UnitsFolder
    executor: str
    workers: int
    ray_address: str | None

    def shards(self) -> Iterator[tuple[WorkUnit, dict[str, Any]]]:
        """``(unit, summary)`` in unit order, each as soon as it and all before it are done (finished
        units of an earlier run first); the units run on the executor meanwhile."""
        done = {u.index: s for u in self.units if (s := unit_done(self.folder.path, u)) is not None}
        todo = [u for u in self.units if u.index not in done]
        nxt = 0

        def ready() -> Iterator[tuple[WorkUnit, dict[str, Any]]]:
            nonlocal nxt
            while nxt < len(self.units) and nxt in done:
                yield self.units[nxt], done.pop(nxt)
                nxt += 1

        yield from ready()
        if not todo:
            return
        with make_executor(self.executor, min(self.workers, len(todo)), self.ray_address) as ex:
            if ex.kind == "ray":
                results = ex.map_unordered(build_unit_packed, todo)
            else:
                results = ex.map_unordered(build_unit_in, [(u, str(self.folder.path)) for u in todo])
            for i, result in results:
                unit = todo[i]
                done[unit.index] = unpack_unit(result, self.folder.path, unit) if ex.kind == "ray" else result
                yield from ready()


def _ingest_into(
    out: Path, run: _UnitRun, build_search_index: bool, batch_size: int, progress: bool
) -> IngestReport:
    report = IngestReport(out_dir=str(out))
    stats: dict[str, Counter[str]] = {}
    rejected: Counter[str] = Counter()
    with (out / REJECTS_NAME).open("wb") as rej, _Progress(progress) as bar:
        writer = StoreWriter(out, rej, batch_size)
        try:
            t0 = time.monotonic()
            task = bar.task(f"work units ({run.workers} x {run.executor})", total=len(run.units))
            for unit, summary in run.shards():
                writer.merge_shard(run.folder.path / unit.name)
                stats.setdefault(unit.source, Counter()).update(summary["stats"])
                rejected.update(summary["rejected"])
                bar.advance(task)
            report.units_seconds = time.monotonic() - t0
            t0 = time.monotonic()
            links = writer.finish()
            report.links_seconds = time.monotonic() - t0
            report.pages = writer.next_id
            report.redirects = writer.redirects
            report.rejected = dict(rejected + writer.rejected)
            report.languages = dict(writer.languages)
            report.source_stats = {k: dict(v) for k, v in stats.items()}
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
