"""The index vocabulary as a sorted term table on disk, memory-mapped by every process that searches.

``terms.bin`` holds the UTF-8 bytes of all terms in sorted order, back to back; ``terms.offsets.npy`` holds
the ``V + 1`` start offsets. A term's id (its column in the index) is its rank in that order, so a lookup
is a binary search over the mapped file: about 20 probes for a million terms, a few microseconds, and no
per-process Python dict (a dict of a million terms costs each serving process ~100 MB; the mapped table is
one copy in the page cache shared by all of them). UTF-8 byte order equals Python's ``str`` order (code
points), so tables can be written from sorted ``str`` lists and merged with :func:`heapq.merge`.
"""

from __future__ import annotations

import heapq
import mmap
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import numpy as np

TERMS_BIN = "terms.bin"
TERMS_OFFSETS = "terms.offsets.npy"


class TermTableWriter:
    """Appends terms in strictly increasing order; :meth:`close` writes the offsets."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self._fh: IO[bytes] = (out_dir / TERMS_BIN).open("wb")
        self._offsets = array("q", [0])
        self._pos = 0
        self.last: str | None = None

    def add(self, term: str) -> int:
        """Append ``term`` (greater than the previous one); return its id."""
        data = term.encode("utf-8")
        self._fh.write(data)
        self._pos += len(data)
        self._offsets.append(self._pos)
        self.last = term
        return len(self._offsets) - 2

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def close(self) -> None:
        self._fh.close()
        np.save(self.out_dir / TERMS_OFFSETS, np.frombuffer(self._offsets, dtype=np.int64))


class TermTable:
    """Read access to a term table (memory-mapped; safe to share between threads and processes)."""

    def __init__(self, index_dir: Path):
        path = index_dir / TERMS_BIN
        self.offsets: np.ndarray = np.load(index_dir / TERMS_OFFSETS, mmap_mode="r")
        self._size = len(self.offsets) - 1
        with path.open("rb") as fh:
            # mmap of an empty file is an error; an empty vocabulary maps nothing.
            self._mm: mmap.mmap | bytes = (
                mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
            )
        # Python ints for the probes: numpy scalar indexing per probe would dominate the lookup.
        self._off = memoryview(self.offsets).cast("B").cast("q") if self._size else memoryview(b"").cast("q")

    def __len__(self) -> int:
        return self._size

    def term(self, term_id: int) -> str:
        """The term with id ``term_id``."""
        return bytes(self._mm[self._off[term_id] : self._off[term_id + 1]]).decode("utf-8")

    def get(self, term: str) -> int | None:
        """The id of ``term``, or ``None``."""
        key = term.encode("utf-8")
        mm, off = self._mm, self._off
        lo, hi = 0, self._size
        while lo < hi:
            mid = (lo + hi) >> 1
            probe = mm[off[mid] : off[mid + 1]]
            if probe < key:
                lo = mid + 1
            elif probe > key:
                hi = mid
            else:
                return mid
        return None

    def __contains__(self, term: str) -> bool:
        return self.get(term) is not None

    def items(self) -> Iterator[tuple[str, int]]:
        """``(term, id)`` in id order (streamed)."""
        for i in range(self._size):
            yield self.term(i), i


class DictTerms:
    """The same interface over an in-memory ``{term: id}`` (indexes written before the term table)."""

    def __init__(self, vocab: dict[str, int]):
        self._vocab = vocab
        self.get = vocab.get

    def __len__(self) -> int:
        return len(self._vocab)

    def __contains__(self, term: str) -> bool:
        return term in self._vocab


def read_sorted_terms(path: Path) -> Iterator[str]:
    """The terms of a newline-separated, sorted term list file (a segment's vocabulary)."""
    with path.open("r", encoding="utf-8", newline="\n") as fh:
        for line in fh:
            yield line[:-1]


def write_sorted_terms(path: Path, terms: Iterable[str]) -> None:
    """Write an already sorted term list, one per line (terms never contain a newline)."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for t in terms:
            fh.write(t)
            fh.write("\n")


def _tagged(terms: Iterator[str], i: int) -> Iterator[tuple[str, int]]:
    for t in terms:
        yield t, i


def merge_term_lists(lists: list[Path], writer: TermTableWriter, map_paths: list[Path]) -> None:
    """Merge sorted per-segment term lists into one table; for each list write ``map_paths[i]``: the int32
    global id of each of its terms, in its order. Streams: memory holds one term per list."""
    streams = [_tagged(read_sorted_terms(p), i) for i, p in enumerate(lists)]
    outs = [p.open("wb") for p in map_paths]
    bufs = [array("i") for _ in lists]
    gid = -1
    last: str | None = None
    try:
        for term, i in heapq.merge(*streams):
            if term != last:
                gid = writer.add(term)
                last = term
            buf = bufs[i]
            buf.append(gid)
            if len(buf) >= 65536:
                buf.tofile(outs[i])
                del buf[:]
        for buf, fh in zip(bufs, outs, strict=True):
            buf.tofile(fh)
    finally:
        for fh in outs:
            fh.close()
