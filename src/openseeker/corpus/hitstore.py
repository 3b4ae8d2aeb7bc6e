"""The hit store: each page's URL, title and opening text, compressed, for search results.

A search hit needs a page's URL, title and the text its snippet is cut from. Reading those rows from the
SQLite store costs one random read into a file that also holds the links and every page's full text (8.7
GB at 900k pages), so at scale the pages hit by new queries are seldom in the page cache. Search engines
keep such "stored fields" beside the index instead (Lucene's and tantivy's doc stores); this is ours: one
zlib frame per page (the first :data:`MAX_CHARS` characters of its text, the same prefix snippets were cut
from before), a little over a third of the text's size, so the whole file stays in the page cache of a
serving machine and a hit costs a slice of a memory map and about 20 microseconds of decompression.

::

    <dir>/hits/data.bin      zlib frames of ``url NUL title NUL text[:MAX_CHARS]``, in page-id order
    <dir>/hits/offsets.npy   uint64[n + 1]: frame i is data.bin[offsets[i]:offsets[i + 1]]
    <dir>/hits/meta.json     {"format", "docs", "max_chars"}

It is written in the same pass over the pages as the BM25 index (``corpus ingest`` and ``corpus
reindex``), into a folder next to ``hits/`` that replaces it only when complete. Corpora built before it
existed, or whose page count no longer matches, are served from SQLite as before.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from pathlib import Path
from types import TracebackType

import numpy as np

from openseeker.io.folders import replaced_when_done

HITS_DIR = "hits"
MAX_CHARS = 30_000
FORMAT = 1
_NUL = "\0"
_LEVEL = 6  # level 9 gains under 0.1 % on page text and compresses slower

__all__ = ["HITS_DIR", "MAX_CHARS", "HitStore", "HitStoreWriter"]


def _encode(url: str, title: str, text: str) -> bytes:
    # NUL separates the fields and is dropped from URLs and titles (where it has no business), so
    # split(maxsplit=2) is exact even for text that contains NUL.
    url, title = url.replace(_NUL, ""), title.replace(_NUL, "")
    return zlib.compress(_NUL.join((url, title, text[:MAX_CHARS])).encode(), _LEVEL)


class HitStoreWriter:
    """Writes a hit store; pages must be added in id order ``0..n-1``. Use as a context manager: the store
    replaces ``path`` when the block ends without an error and is discarded otherwise."""

    def __init__(self, path: str | Path, num_docs: int):
        self._folder = replaced_when_done(path)
        self._work = self._folder.__enter__()
        self._data = open(self._work / "data.bin", "wb", buffering=1 << 20)
        self._offsets = np.zeros(num_docs + 1, dtype=np.uint64)
        self._n = 0
        self._pos = 0

    def add(self, doc_id: int, url: str, title: str, text: str) -> None:
        if doc_id != self._n or doc_id + 1 >= len(self._offsets):
            raise ValueError(f"hit store pages must come in id order; got {doc_id} after {self._n}")
        frame = _encode(url, title, text)
        self._data.write(frame)
        self._pos += len(frame)
        self._n += 1
        self._offsets[self._n] = self._pos

    def __enter__(self) -> HitStoreWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._data.close()
        if exc is None and self._n != len(self._offsets) - 1:
            exc = ValueError(f"hit store expected {len(self._offsets) - 1} pages, got {self._n}")
        if exc is not None:
            # the folder is discarded; our own error (a short store) is raised after that
            self._folder.__exit__(type(exc), exc, exc.__traceback__)
            if exc_type is None:
                raise exc
            return
        np.save(self._work / "offsets.npy", self._offsets)
        meta = {"format": FORMAT, "docs": self._n, "max_chars": MAX_CHARS}
        (self._work / "meta.json").write_text(json.dumps(meta) + "\n")
        self._folder.__exit__(None, None, None)


class HitStore:
    """A hit store opened for reading (memory-mapped; safe to share between threads and forked processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        meta = json.loads((self.path / "meta.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{self.path}: hit store format {meta.get('format')!r}, expected {FORMAT}")
        self.num_docs = int(meta["docs"])
        # A memoryview of the mapped array: indexing it yields Python ints, without numpy's per-item cost.
        self._offsets = memoryview(np.load(self.path / "offsets.npy", mmap_mode="r"))
        size = os.path.getsize(self.path / "data.bin")
        self._data: mmap.mmap | bytes = b""
        if size:
            with open(self.path / "data.bin", "rb") as f:
                self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    @classmethod
    def open(cls, corpus_dir: str | Path, num_docs: int) -> HitStore | None:
        """The hit store of a corpus directory, or ``None`` where it has none or one for another page count
        (the caller then reads SQLite)."""
        path = Path(corpus_dir) / HITS_DIR
        try:
            store = cls(path)
        except (OSError, ValueError, KeyError):
            return None
        return store if store.num_docs == num_docs else None

    def __len__(self) -> int:
        return self.num_docs

    def size_bytes(self) -> int:
        """Bytes of the compressed records."""
        return os.path.getsize(self.path / "data.bin")

    def prefetch(self, wait: bool = False) -> float:
        """Bring the store into the page cache: ask the kernel to read it ahead (returns at once), or with
        ``wait`` read it through (sequential reads, about a second per GB from disk). ``corpus serve`` does
        the first at start, so new queries' hits do not wait for random reads. Returns its size in MB."""
        path = self.path / "data.bin"
        with open(path, "rb", buffering=0) as f:
            if wait:
                while f.read(16 << 20):
                    pass
            elif hasattr(os, "posix_fadvise"):
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
        return os.path.getsize(path) / 2**20

    def get(self, doc_id: int) -> tuple[str, str, str]:
        """``(url, title, text)`` of a page, the text cut at :data:`MAX_CHARS` characters."""
        a, b = self._offsets[doc_id], self._offsets[doc_id + 1]
        url, title, text = zlib.decompress(self._data[a:b]).decode().split(_NUL, 2)
        return url, title, text
