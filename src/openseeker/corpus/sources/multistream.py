"""Page ranges of a multistream MediaWiki dump (``*-pages-articles-multistream.xml.bz2``), for parallel ingest.

Such a dump is a concatenation of independent bz2 streams: the first holds ``<mediawiki ...><siteinfo>``,
each following one about 100 ``<page>`` elements, the last ``</mediawiki>``. Its index
(``*-multistream-index.txt.bz2``, lines ``offset:page_id:title``) gives every stream's byte offset, so any
run of consecutive streams can be read on its own: :class:`RangeReader` presents the header stream followed
by the chosen streams as one file, ``bz2`` decompresses them (it reads concatenated streams), and
:class:`ClosingReader` adds the closing tag a range in the middle of the dump lacks. The MediaWiki reader
then parses a range exactly as it parses a whole dump.
"""

from __future__ import annotations

import bz2
import io
from collections.abc import Iterable
from pathlib import Path
from typing import IO, cast

from openseeker.errors import DataError


def index_for(dump: Path) -> Path | None:
    """The multistream index next to ``dump`` (``X-multistream.xml.bz2`` -> ``X-multistream-index.txt.bz2``
    or ``.txt``), or ``None``."""
    name = dump.name
    if not name.endswith(".xml.bz2"):
        return None
    stem = name[: -len(".xml.bz2")]
    for candidate in (f"{stem}-index.txt.bz2", f"{stem}-index.txt"):
        p = dump.with_name(candidate)
        if p.exists():
            return p
    return None


def stream_offsets(index: Path) -> list[int]:
    """The distinct stream offsets listed in ``index``, ascending (read streaming: the index of a full
    English dump has ~25M lines but only ~250k distinct offsets)."""
    opener = bz2.open if index.name.endswith(".bz2") else open
    offsets: list[int] = []
    try:
        with opener(index, "rb") as fh:
            for lineno, line in enumerate(fh, 1):
                head = line.split(b":", 1)[0]
                if not head.strip():
                    continue
                if not head.isdigit():
                    raise DataError(
                        "not a multistream index line (offset:page_id:title)",
                        path=str(index),
                        position=f"line {lineno}",
                    )
                off = int(head)
                if not offsets or off != offsets[-1]:
                    offsets.append(off)
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read the multistream index ({e})", path=str(index)) from e
    offsets = sorted(set(offsets))
    return offsets


def split_ranges(offsets: list[int], file_size: int, unit_bytes: int) -> list[tuple[int, int]]:
    """Consecutive stream ranges ``(start, end)`` of about ``unit_bytes`` compressed bytes each, covering
    every stream after the header (the last range runs to the end of the file)."""
    starts = [o for o in offsets if 0 < o < file_size]
    if not starts:
        return []
    ranges: list[tuple[int, int]] = []
    begin = starts[0]
    for off in starts[1:]:
        if off - begin >= unit_bytes:
            ranges.append((begin, off))
            begin = off
    ranges.append((begin, file_size))
    return ranges


class RangeReader(io.RawIOBase):
    """Several byte ranges of one file, read as one stream; :meth:`tell` is the offset in the file, so
    errors name the real position."""

    def __init__(self, path: str | Path, ranges: list[tuple[int, int]]):
        super().__init__()
        self._fh = open(path, "rb")
        self._ranges = [(s, e) for s, e in ranges if e > s]
        self._i = 0
        if self._ranges:
            self._fh.seek(self._ranges[0][0])

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._i < len(self._ranges):
            end = self._ranges[self._i][1]
            left = end - self._fh.tell()
            if left > 0:
                n = self._fh.readinto(memoryview(b)[: min(len(b), left)])
                if n:
                    return n
                return 0  # the file is shorter than the index says: bz2 reports the truncation
            self._i += 1
            if self._i < len(self._ranges):
                self._fh.seek(self._ranges[self._i][0])
        return 0

    def tell(self) -> int:
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()
        super().close()


class ClosingReader(io.RawIOBase):
    """``inner`` followed by ``tail`` (the ``</mediawiki>`` a range in the middle of a dump lacks)."""

    def __init__(self, inner: IO[bytes], tail: bytes):
        super().__init__()
        self._inner = inner
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(b))
        if not data:
            data, self._tail = self._tail[: len(b)], self._tail[len(b) :]
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_range(path: str, header_end: int, start: int, end: int, last: bool) -> tuple[IO[bytes], IO[bytes]]:
    """``(decompressed XML stream, raw reader)`` of the header stream plus the streams in ``[start, end)``
    (the raw reader's ``tell`` locates errors in the file)."""
    raw = RangeReader(path, [(0, header_end), (start, end)])
    stream: IO[bytes] = bz2.open(raw, "rb")
    if not last:
        stream = io.BufferedReader(ClosingReader(stream, b"</mediawiki>"))
    return stream, cast(IO[bytes], raw)


def write_multistream(
    path: Path,
    header: bytes,
    pages: Iterable[tuple[int, str, bytes]],
    footer: bytes = b"</mediawiki>\n",
    pages_per_stream: int = 100,
) -> Path:
    """Write a multistream dump and its index in Wikimedia's layout (for tests, benchmarks, and repacking a
    plain dump so that its ingest can be split): ``header`` (``<mediawiki ...><siteinfo>...``) as the first
    stream, then ``pages`` (``(page_id, title, <page> XML)``) ``pages_per_stream`` per stream, then
    ``footer``. Returns the index path (``<stem>-index.txt.bz2``)."""
    index = path.with_name(path.name[: -len(".xml.bz2")] + "-index.txt.bz2")
    with path.open("wb") as out, bz2.open(index, "wb") as idx:
        out.write(bz2.compress(header))
        batch: list[tuple[int, str, bytes]] = []

        def flush() -> None:
            offset = out.tell()
            out.write(bz2.compress(b"".join(x for _, _, x in batch)))
            idx.write(b"".join(f"{offset}:{pid}:{title}\n".encode() for pid, title, _ in batch))
            batch.clear()

        for page in pages:
            batch.append(page)
            if len(batch) >= pages_per_stream:
                flush()
        if batch:
            flush()
        out.write(bz2.compress(footer))
    return index
