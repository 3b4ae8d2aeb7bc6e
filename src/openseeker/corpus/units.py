"""Work units of an ingest: pieces of the sources read independently, each into a Parquet shard.

:func:`plan_units` splits the sources: one unit per file, except

* a multistream MediaWiki dump with its index next to it: runs of bz2 streams of about ``unit_bytes``
  compressed bytes (:mod:`openseeker.corpus.sources.multistream`);
* an uncompressed JSONL file: byte ranges of about ``unit_bytes``, cut at line starts;
* a folder of HTML files: slices of its sorted file list.

With ``limit`` (pages per source) a source stays one unit. Every unit has a fingerprint (its source's
path, size and modification time, the reader options, its range).

:func:`build_unit` reads one unit and writes its shard into a folder::

    pages.parquet      url, title, title_key, text, language, metadata (JSON or null), links (count)
    links.parquet      page (index in pages.parquet), url, anchor, context (in page order)
    redirects.parquet  url, target_url, title_key
    rejects.jsonl      the unit's rejected records, with file, position and reason
    done.json          the completion marker (fingerprint and counts), written last

Memory is bounded by one batch (``batch_pages`` pages or ``batch_bytes`` of text, whichever comes first),
whatever the size of the unit or the corpus. The language of a page is detected here, in the worker.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from openseeker.corpus.schema import title_key
from openseeker.corpus.sources import Source, SourcePage, SourceRedirect, open_source, resolve_spec
from openseeker.corpus.text import detect_language

UNIT_FORMAT = 1
DONE = "done.json"
SHARD_FILES = ("pages.parquet", "links.parquet", "redirects.parquet", "rejects.jsonl", DONE)
DEFAULT_UNIT_MB = 32
HTML_FILES_PER_UNIT = 2000


@dataclass(frozen=True)
class WorkUnit:
    """One independently readable piece of the sources (see the module docstring)."""

    index: int
    source: str  # "kind:path", the key of the source's counters in the ingest report
    kind: str
    path: str
    options: dict[str, Any]
    limit: int | None
    part: str  # what part of the source, for messages ("" = all of it)
    fingerprint: str
    reader: Source | None = field(default=None, compare=False)  # a ready Source object given to ingest()

    @property
    def name(self) -> str:
        return f"u{self.index:06d}"

    def open(self) -> Source:
        if self.reader is not None:
            return self.reader
        return open_source(self.path, self.kind, limit=self.limit, **self.options)


def _stat(path: Path) -> list[Any]:
    if path.is_dir():
        entries = sorted(p for p in path.rglob("*") if p.is_file())
        return [
            len(entries),
            sum(p.stat().st_size for p in entries),
            max((p.stat().st_mtime_ns for p in entries), default=0),
        ]
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps([UNIT_FORMAT, *parts], default=str)).hexdigest()[:32]


def _parts(kind: str, path: Path, limit: int | None, unit_bytes: int) -> list[tuple[dict[str, Any], str]]:
    """The ``(range option, description)`` pieces one source is split into (one piece: ``[({}, "")]``)."""
    if limit is not None:
        return [({}, "")]
    if kind == "mediawiki":
        from openseeker.corpus.sources.multistream import index_for, split_ranges, stream_offsets

        index = index_for(path)
        if index is None:
            return [({}, "")]
        offsets = stream_offsets(index)
        size = path.stat().st_size
        ranges = split_ranges(offsets, size, unit_bytes)
        if not ranges:
            return [({}, "")]
        header_end = ranges[0][0]
        return [({"stream_range": (header_end, a, b, b >= size)}, f"bytes {a}-{b}") for a, b in ranges]
    if kind == "jsonl" and path.suffix in (".jsonl", ".ndjson") and path.stat().st_size > unit_bytes:
        from openseeker.corpus.sources.jsonl import line_ranges

        return [({"byte_range": (a, b)}, f"bytes {a}-{b}") for a, b in line_ranges(path, unit_bytes)]
    if kind == "html":
        from openseeker.corpus.sources.html import html_files

        n = len(html_files(path.resolve()))
        if n > HTML_FILES_PER_UNIT:
            return [
                (
                    {"file_range": (a, min(n, a + HTML_FILES_PER_UNIT))},
                    f"files {a}-{min(n, a + HTML_FILES_PER_UNIT)}",
                )
                for a in range(0, n, HTML_FILES_PER_UNIT)
            ]
    return [({}, "")]


def plan_units(
    sources: Iterable[str | Path | Source],
    kind: str | None = None,
    limit: int | None = None,
    options: dict[str, Any] | None = None,
    unit_bytes: int = DEFAULT_UNIT_MB * 2**20,
) -> list[WorkUnit]:
    """The work units of ``sources``, in the order their pages get ids (see the module docstring)."""
    options = dict(options or {})
    units: list[WorkUnit] = []
    for spec in sources:
        if isinstance(spec, Source):
            fp = _fingerprint(
                repr(spec), spec.kind, str(spec.path), _stat(spec.path) if spec.path.exists() else []
            )
            units.append(
                WorkUnit(
                    len(units),
                    f"{spec.kind}:{spec.path}",
                    spec.kind,
                    str(spec.path),
                    {},
                    spec.limit,
                    "",
                    fp,
                    spec,
                )
            )
            continue
        k, text = resolve_spec(spec, kind)
        path = Path(text)
        if not path.exists():
            from openseeker.errors import DataError

            raise DataError("no such file or folder", path=str(path))
        stat = _stat(path)
        for extra, part in _parts(k, path, limit, unit_bytes):
            opts = {**options, **extra}
            fp = _fingerprint(k, str(path.resolve()), stat, opts, limit)
            units.append(WorkUnit(len(units), f"{k}:{path}", k, str(path), opts, limit, part, fp))
    return units


def plan_fingerprint(units: list[WorkUnit]) -> str:
    """One fingerprint for the whole plan (a changed plan starts the ingest over)."""
    return _fingerprint([u.fingerprint for u in units])


# -- one unit -> one Parquet shard -------------------------------------------------------------------------


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    s = pa.string()
    return {
        "pages": pa.schema(
            [
                ("url", s),
                ("title", s),
                ("title_key", s),
                ("text", s),
                ("language", s),
                ("metadata", s),
                ("links", pa.int32()),
            ]
        ),
        "links": pa.schema([("page", pa.int32()), ("url", s), ("anchor", s), ("context", s)]),
        "redirects": pa.schema([("url", s), ("target_url", s), ("title_key", s)]),
    }


class _ShardWriter:
    """Column buffers of one shard, flushed to Parquet row groups when a batch is full."""

    def __init__(self, dest: Path, batch_pages: int, batch_bytes: int):
        import pyarrow.parquet as pq

        self.schemas = _schemas()
        self.writers = {
            name: pq.ParquetWriter(dest / f"{name}.parquet", schema, compression="zstd")
            for name, schema in self.schemas.items()
        }
        self.cols: dict[str, list[list[Any]]] = {n: [[] for _ in s] for n, s in self.schemas.items()}
        self.batch_pages, self.batch_bytes = batch_pages, batch_bytes
        self.pages = self.links = self.redirects = 0
        self._bytes = 0
        self.languages: Counter[str] = Counter()

    def page(self, p: SourcePage) -> None:
        lang = p.language or detect_language(p.title + " " + p.text)
        self.languages[lang] += 1
        title = p.title.strip() or p.url
        meta = orjson.dumps(p.metadata).decode() if p.metadata else None
        row: tuple[Any, ...] = (p.url, title, title_key(title), p.text, lang, meta, len(p.links))
        for col, v in zip(self.cols["pages"], row, strict=True):
            col.append(v)
        for ln in p.links:
            for col, v in zip(self.cols["links"], (self.pages, ln.url, ln.anchor, ln.context), strict=True):
                col.append(v)
        self.pages += 1
        self.links += len(p.links)
        self._bytes += len(p.text) + 100 * len(p.links)
        if len(self.cols["pages"][0]) >= self.batch_pages or self._bytes >= self.batch_bytes:
            self.flush()

    def redirect(self, r: SourceRedirect) -> None:
        key = title_key(r.title) if r.title.strip() else None
        for col, v in zip(self.cols["redirects"], (r.url, r.target_url, key), strict=True):
            col.append(v)
        self.redirects += 1
        if len(self.cols["redirects"][0]) >= self.batch_pages:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        for name, schema in self.schemas.items():
            cols = self.cols[name]
            if cols[0]:
                arrays = [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)]
                self.writers[name].write_table(pa.table(arrays, schema=schema))
                self.cols[name] = [[] for _ in schema]
        self._bytes = 0

    def close(self) -> None:
        self.flush()
        for w in self.writers.values():
            w.close()


def build_unit(
    unit: WorkUnit, dest: Path, batch_pages: int = 2000, batch_bytes: int = 64 * 2**20
) -> dict[str, Any]:
    """Read ``unit`` into the shard folder ``dest`` (created; see the module docstring); return its
    summary, which is also the completion marker ``done.json``."""
    dest.mkdir(
        exist_ok=False
    )  # not parents: a unit still running when its ingest failed must not recreate them
    src = unit.open()
    rejected: Counter[str] = Counter()
    writer = _ShardWriter(dest, batch_pages, batch_bytes)
    with (dest / "rejects.jsonl").open("wb") as rej:
        try:
            for item in src:
                if isinstance(item, SourcePage):
                    writer.page(item)
                elif isinstance(item, SourceRedirect):
                    writer.redirect(item)
                else:
                    rejected[item.reason] += 1
                    rej.write(
                        orjson.dumps({"source": src.kind, **item.to_dict()}, option=orjson.OPT_APPEND_NEWLINE)
                    )
        finally:
            writer.close()
    summary = {
        "unit": unit.name,
        "source": unit.source,
        "part": unit.part,
        "fingerprint": unit.fingerprint,
        "pages": writer.pages,
        "links": writer.links,
        "redirects": writer.redirects,
        "rejected": dict(rejected),
        "languages": dict(writer.languages),
        "stats": dict(src.stats),
        "pid": os.getpid(),
    }
    (dest / DONE).write_bytes(orjson.dumps(summary))
    return summary


def unit_done(units_dir: Path, unit: WorkUnit) -> dict[str, Any] | None:
    """The summary of ``unit`` if its shard is complete with the same fingerprint, else ``None``."""
    marker = units_dir / unit.name / DONE
    try:
        summary: dict[str, Any] = orjson.loads(marker.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return summary if summary.get("fingerprint") == unit.fingerprint else None


def build_unit_in(args: tuple[WorkUnit, str]) -> dict[str, Any]:
    """Build a unit's shard in ``units_dir`` (a folder this machine can write): into a private folder, then
    renamed into place, so a shard folder is always whole (the executor's call on one machine)."""
    unit, units_dir = args
    final = Path(units_dir) / unit.name
    tmp = Path(units_dir) / f".{unit.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        summary = build_unit(unit, tmp)
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary


def build_unit_packed(unit: WorkUnit) -> dict[str, bytes]:
    """Build a unit's shard in a scratch folder of the worker's machine and return its files (the
    executor's call on a cluster: the driver's folder need not be visible to the workers)."""
    with tempfile.TemporaryDirectory(prefix="openseeker-unit-") as tmp:
        dest = Path(tmp) / unit.name
        build_unit(unit, dest)
        return {name: (dest / name).read_bytes() for name in SHARD_FILES}


def unpack_unit(files: dict[str, bytes], units_dir: Path, unit: WorkUnit) -> dict[str, Any]:
    """Write a shard returned by :func:`build_unit_packed` into place (marker last); return its summary."""
    final = units_dir / unit.name
    tmp = units_dir / f".{unit.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in SHARD_FILES:
        if name != DONE:
            (tmp / name).write_bytes(files[name])
    (tmp / DONE).write_bytes(files[DONE])
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    summary: dict[str, Any] = orjson.loads(files[DONE])
    return summary


# -- reading a shard back (the merge) ----------------------------------------------------------------------


class _Rows:
    """Rows of one Parquet file as tuples, taken ``n`` at a time across row groups."""

    def __init__(self, path: Path, batch: int):
        import pyarrow.parquet as pq

        self._batches = pq.ParquetFile(path).iter_batches(batch)
        self._batch = batch
        self._buf: list[tuple[Any, ...]] = []
        self._pos = 0

    def _fill(self) -> bool:
        for b in self._batches:
            if b.num_rows:
                self._buf = list(zip(*(c.to_pylist() for c in b.columns), strict=True))
                self._pos = 0
                return True
        return False

    def take(self, n: int) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        while len(out) < n:
            if self._pos >= len(self._buf) and not self._fill():
                break
            k = min(n - len(out), len(self._buf) - self._pos)
            out.extend(self._buf[self._pos : self._pos + k])
            self._pos += k
        return out

    def __iter__(self) -> Iterator[list[tuple[Any, ...]]]:
        while chunk := self.take(self._batch):
            yield chunk


def read_shard(
    shard: Path, batch: int = 2000
) -> Iterator[tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]]:
    """``(pages, links per page)`` batches of a shard, in page order: a page row is ``(url, title, title_key,
    text, language, metadata)``, a link row ``(url, anchor, context)``."""
    links = _Rows(shard / "links.parquet", batch * 10)
    for rows in _Rows(shard / "pages.parquet", batch):
        page_links: list[list[tuple[Any, ...]]] = []
        for r in rows:
            page_links.append([ln[1:] for ln in links.take(r[6])] if r[6] else [])
        yield [r[:6] for r in rows], page_links


def read_redirects(shard: Path) -> Iterator[list[tuple[Any, ...]]]:
    """The shard's redirects ``(url, target_url, title_key)`` in batches."""
    yield from _Rows(shard / "redirects.parquet", 5000)
