"""Build the BM25 index in memory bounded by a segment, not by the corpus.

Two stages, each a natural unit of parallel work:

1. **Segments.** Documents are tokenized in order into segments of at most ``segment_tokens`` tokens.
   A segment has its own small vocabulary; when full, its terms are sorted and its postings written as one
   run of ``(term, doc, tf)`` sorted by term then document (one in-place sort of ``term << 32 | doc``),
   with its sorted term list. Nothing of a segment stays in memory after it is written.
2. **Merge.** The segments' sorted term lists are merged into the global term table (``terms.bin``: a term's
   column is its rank, see :mod:`openseeker.corpus.terms`), giving each segment a monotone local -> global
   id map; document frequencies give the CSC column pointers. The postings are then merged in blocks of
   consecutive terms: each segment's slice of the block is read with plain file reads, the slices are
   stably sorted by global term (segments are in document order, so documents stay ascending), weighted,
   and appended to the output files. Every output file is written sequentially, once.

The weights are bm25s's Lucene variant (k1 = 1.5, b = 0.75), and the files are those ``bm25s.BM25.save``
writes (plus ``vocab.index.json`` for bm25s), so ``bm25s.BM25.load(dir, mmap=True)`` opens the index.
Extra files for our query path: the term table, ``term_max.npy`` (each term's largest weight, for MaxScore)
and ``dense.npy`` (the weights of the most frequent terms as full columns over all documents: adding a
column of a million floats costs ~0.1 ms, scattering a million postings ~5 ms).
"""

from __future__ import annotations

import json
import shutil
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from openseeker.corpus.terms import TermTableWriter, merge_term_lists, write_sorted_terms
from openseeker.corpus.tokenize import Tokenizer
from openseeker.io.folders import replaced_when_done

TERM_MAX = "term_max.npy"
DENSE = "dense.npy"
DENSE_TERMS = "dense_terms.npy"
FORMAT_VERSION = 2  # 2: term table, segment-merged build, dense columns
_UNSEEN, _STOP = -1, -2
_TRIPLET = np.dtype([("term", "<i4"), ("doc", "<i4"), ("tf", "<f4")])


@dataclass
class _Segment:
    index: int
    terms: Path
    postings: Path
    df: Path
    size: int  # postings


class SegmentWriter:
    """Tokenizes documents into segments of bounded size (stage 1; see module docstring)."""

    def __init__(self, scratch: Path, tokenizer: Tokenizer, segment_tokens: int = 8_000_000):
        self.scratch = scratch
        self.tok = tokenizer
        self.segment_tokens = segment_tokens
        self.segments: list[_Segment] = []
        self._reset()

    def _reset(self) -> None:
        # raw word -> local term id, or _STOP for a stopword; stemmed term -> local term id
        self._word_id: dict[str, int] = {}
        self._term_id: dict[str, int] = {}
        self._ids: list[np.ndarray] = []
        self._docs = array("i")
        self._lens = array("i")
        self._tokens = 0

    def add(self, doc_id: int, text: str) -> int:
        """Tokenize one document; return its length in tokens."""
        words = self.tok.words(text)
        word_id = self._word_id
        # One C-level pass per document (map + fromiter); only unseen words take the Python path.
        ids = np.fromiter(map(word_id.get, words, repeat(_UNSEEN)), dtype=np.int32, count=len(words))
        unseen = np.flatnonzero(ids == _UNSEEN)
        if len(unseen):
            fresh = list(dict.fromkeys(words[i] for i in unseen))
            keep = [w for w in fresh if not self.tok.is_stopword(w)]
            for w in fresh:
                word_id[w] = _STOP
            term_id = self._term_id
            for w, term in zip(keep, self.tok.normalize(keep), strict=True):
                word_id[w] = term_id.setdefault(term, len(term_id))
            ids[unseen] = [word_id[words[i]] for i in unseen]
        ids = ids[ids >= 0]
        self._ids.append(ids)
        self._docs.append(doc_id)
        self._lens.append(len(ids))
        self._tokens += len(ids)
        if self._tokens >= self.segment_tokens:
            self.flush()
        return len(ids)

    def flush(self) -> None:
        """Write the current segment (if any) as a sorted run."""
        if not self._docs:
            return
        k = len(self.segments)
        terms = list(self._term_id)
        order = sorted(range(len(terms)), key=terms.__getitem__)
        rank = np.empty(len(terms), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(terms), dtype=np.int64)
        ids = np.concatenate(self._ids)
        self._ids.clear()
        # key = term << 32 | doc, built in place and counted by an in-place sort (np.unique would hold
        # several more copies of the segment's 8 bytes per token at once).
        key = rank[ids]
        del ids
        key <<= 32
        key |= np.repeat(np.frombuffer(self._docs, dtype=np.int32), np.frombuffer(self._lens, dtype=np.int32))
        key.sort()
        first = np.empty(len(key), dtype=bool)
        first[:1] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        del first
        counts = np.diff(np.append(starts, len(key)))
        pairs = key[starts]
        del key, starts
        run = np.empty(len(pairs), dtype=_TRIPLET)
        run["term"] = pairs >> 32
        run["doc"] = pairs & 0xFFFFFFFF
        run["tf"] = counts
        del pairs, counts
        seg = _Segment(
            k,
            self.scratch / f"seg{k}.terms",
            self.scratch / f"seg{k}.run",
            self.scratch / f"seg{k}.df.npy",
            len(run),
        )
        run.tofile(seg.postings)
        np.save(seg.df, np.bincount(run["term"], minlength=len(terms)).astype(np.int64))
        del run
        write_sorted_terms(seg.terms, (terms[i] for i in order))
        self.segments.append(seg)
        self._reset()


def _npy_writer(path: Path, dtype: Any, shape: tuple[int, ...]) -> IO[bytes]:
    """Open ``path`` as an ``.npy`` file of ``shape`` whose data is then appended with plain writes."""
    fh = path.open("wb")
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    )
    return fh


def build_bm25(
    docs: Iterable[tuple[int, str]],
    num_docs: int,
    out_dir: str | Path,
    tokenizer: Tokenizer | None = None,
    *,
    k1: float = 1.5,
    b: float = 0.75,
    segment_tokens: int = 8_000_000,
    block_postings: int = 2_000_000,
    dense_min_share: float = 1 / 32,
    max_dense: int = 256,
    dense_min_docs: int = 4096,
    on_progress: Callable[[int], None] | None = None,
    batch_docs: int | None = None,
) -> dict[str, Any]:
    """Build the index of ``docs`` (``(doc_id, text)``, ids ``0..num_docs-1`` in order) into ``out_dir``.

    The index is built next to ``out_dir`` and renamed into place when complete, so a failed build leaves
    the previous index usable. Terms in at least ``dense_min_share`` of the documents (at most ``max_dense``
    of them, and only in corpora of ``dense_min_docs`` documents or more) also get a dense column;
    ``segment_tokens`` and ``block_postings`` bound the memory of the two stages; ``batch_docs`` (documents
    per segment) is for tests that want many segments.

    Returns:
        a summary: ``num_docs``, ``vocab``, ``postings``, ``avg_doc_len``, ``dense_terms``, ``tokenizer``.
    """
    tok = tokenizer or Tokenizer()
    with replaced_when_done(out_dir) as work:
        summary = _build(
            docs,
            num_docs,
            work,
            tok,
            k1=k1,
            b=b,
            segment_tokens=segment_tokens,
            block_postings=block_postings,
            dense_min_share=dense_min_share,
            max_dense=max_dense,
            dense_min_docs=dense_min_docs,
            on_progress=on_progress,
            batch_docs=batch_docs,
        )
    return summary


def _build(
    docs: Iterable[tuple[int, str]],
    num_docs: int,
    out: Path,
    tok: Tokenizer,
    *,
    k1: float,
    b: float,
    segment_tokens: int,
    block_postings: int,
    dense_min_share: float,
    max_dense: int,
    dense_min_docs: int,
    on_progress: Callable[[int], None] | None,
    batch_docs: int | None,
) -> dict[str, Any]:
    scratch = out / "scratch"
    scratch.mkdir()
    seg = SegmentWriter(scratch, tok, segment_tokens)
    doc_len = np.zeros(max(num_docs, 1), dtype=np.float32)
    n = 0
    expected = 0
    for n, (doc_id, text) in enumerate(docs, 1):
        if doc_id != expected or doc_id >= num_docs:
            raise ValueError(f"document ids must be 0..{num_docs - 1} in order; got {doc_id} at {expected}")
        expected += 1
        doc_len[doc_id] = seg.add(doc_id, text)
        if batch_docs and n % batch_docs == 0:
            seg.flush()
        if on_progress and n % 1000 == 0:
            on_progress(1000)
    seg.flush()
    if on_progress and n % 1000:
        on_progress(n % 1000)  # the last partial batch, so the bar ends at its total
    if n != num_docs:
        raise ValueError(f"expected {num_docs} documents, got {n}")
    segments = seg.segments

    # Stage 2a: the global term table and each segment's local -> global map.
    writer = TermTableWriter(out)
    map_paths = [scratch / f"seg{s.index}.map" for s in segments]
    merge_term_lists([s.terms for s in segments], writer, map_paths)
    writer.close()
    vocab = len(writer)
    df = np.zeros(vocab, dtype=np.int64)
    # Maps are read one at a time (and later in slices): memory does not grow with the number of segments.
    for s, mp in zip(segments, map_paths, strict=True):
        df[np.fromfile(mp, dtype=np.int32)] += np.load(s.df)  # a map is injective, so fancy += is exact
    postings = int(df.sum())
    n_docs = max(num_docs, 1)
    avg = float(doc_len[:num_docs].mean()) if num_docs else 1.0
    avg = avg or 1.0
    idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (k1 * ((1 - b) + b * doc_len / avg)).astype(np.float32)
    indptr = np.zeros(vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    np.save(out / "indptr.csc.index.npy", indptr)

    # Dense columns for the most frequent terms (ids ascending, so they are written in merge order).
    dense_min = max(1, int(num_docs * dense_min_share))
    frequent = np.flatnonzero(df >= dense_min) if num_docs >= dense_min_docs else np.zeros(0, dtype=np.int64)
    if len(frequent) > max_dense:
        frequent = np.sort(frequent[np.argsort(-df[frequent], kind="stable")[:max_dense]])
    np.save(out / DENSE_TERMS, frequent.astype(np.int32))

    # Stage 2b: merge postings block by block of consecutive terms.
    bounds = [0]
    while bounds[-1] < vocab:
        nxt = int(np.searchsorted(indptr, indptr[bounds[-1]] + block_postings, side="right")) - 1
        bounds.append(min(vocab, max(nxt, bounds[-1] + 1)))
    # Per segment: where each block starts in its term list (and map), and in its run (rows).
    seg_terms, seg_rows = [], []
    for s, mp in zip(segments, map_paths, strict=True):
        pos = np.searchsorted(np.fromfile(mp, dtype=np.int32), bounds)
        local_df = np.load(s.df)
        cum = np.zeros(len(local_df) + 1, dtype=np.int64)
        np.cumsum(local_df, out=cum[1:])
        seg_terms.append(pos)
        seg_rows.append(cum[pos])
        del local_df, cum
    term_max = np.zeros(vocab, dtype=np.float32)
    data_fh = _npy_writer(out / "data.csc.index.npy", np.float32, (postings,))
    idx_fh = _npy_writer(out / "indices.csc.index.npy", np.int32, (postings,))
    dense_fh = _npy_writer(out / DENSE, np.float32, (len(frequent), num_docs))
    runs = [s.postings.open("rb") for s in segments]
    map_fhs = [mp.open("rb") for mp in map_paths]
    dense_i = 0
    try:
        for bi in range(len(bounds) - 1):
            g0, g1 = bounds[bi], bounds[bi + 1]
            parts_t, parts_d, parts_f = [], [], []
            for si, fh in enumerate(runs):
                r0, r1 = int(seg_rows[si][bi]), int(seg_rows[si][bi + 1])
                if r1 <= r0:
                    continue
                fh.seek(r0 * _TRIPLET.itemsize)
                chunk = np.fromfile(fh, dtype=_TRIPLET, count=r1 - r0)
                t0, t1 = int(seg_terms[si][bi]), int(seg_terms[si][bi + 1])
                map_fhs[si].seek(t0 * 4)
                local_to_global = np.fromfile(map_fhs[si], dtype=np.int32, count=t1 - t0)
                parts_t.append(local_to_global[chunk["term"] - t0])
                parts_d.append(chunk["doc"])
                parts_f.append(chunk["tf"])
            terms = np.concatenate(parts_t)
            order = np.argsort(terms, kind="stable")
            terms = terms[order]
            docs_b = np.concatenate(parts_d)[order]
            tfs = np.concatenate(parts_f)[order]
            del parts_t, parts_d, parts_f, order
            weights = idf[terms] * tfs / (norm[docs_b] + tfs)
            weights.astype(np.float32, copy=False).tofile(data_fh)
            docs_b.astype(np.int32, copy=False).tofile(idx_fh)
            starts = indptr[g0:g1] - indptr[g0]
            term_max[g0:g1] = np.maximum.reduceat(weights, starts) if len(weights) else 0.0
            while dense_i < len(frequent) and frequent[dense_i] < g1:
                t = int(frequent[dense_i])
                col = np.zeros(num_docs, dtype=np.float32)
                s0, s1 = int(indptr[t] - indptr[g0]), int(indptr[t + 1] - indptr[g0])
                col[docs_b[s0:s1]] = weights[s0:s1]
                col.tofile(dense_fh)
                dense_i += 1
            del terms, docs_b, tfs, weights
    finally:
        for fh in runs + map_fhs:
            fh.close()
        data_fh.close()
        idx_fh.close()
        dense_fh.close()
    np.save(out / TERM_MAX, term_max)
    shutil.rmtree(scratch, ignore_errors=True)
    _write_bm25s_vocab(out, vocab)
    params = {
        "k1": k1,
        "b": b,
        "delta": 0.5,
        "method": "lucene",
        "idf_method": "lucene",
        "dtype": "float32",
        "int_dtype": "int32",
        "num_docs": num_docs,
        "version": _bm25s_version(),
        "backend": "numpy",
    }
    (out / "params.index.json").write_text(json.dumps(params, indent=2), encoding="utf-8")
    summary = {
        "format": FORMAT_VERSION,
        "num_docs": num_docs,
        "vocab": vocab,
        "postings": postings,
        "avg_doc_len": avg,
        "segments": len(segments),
        "dense_terms": len(frequent),
        "tokenizer": tok.config(),
    }
    (out / "openseeker.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _write_bm25s_vocab(out: Path, vocab: int) -> None:
    """``vocab.index.json`` ({term: column}) for ``bm25s.BM25.load``, streamed from the term table."""
    from openseeker.corpus.terms import TermTable

    table = TermTable(out)
    with (out / "vocab.index.json").open("wb") as fh:
        fh.write(b"{")
        for term, i in table.items():
            if i:
                fh.write(b",")
            fh.write(orjson.dumps(term))
            fh.write(b":%d" % i)
        fh.write(b"}")
    del table


def _bm25s_version() -> str:
    try:
        import bm25s

        return str(bm25s.__version__)
    except ImportError:  # pragma: no cover
        return "unknown"
