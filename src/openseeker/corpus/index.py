"""The BM25 full-text index: built in bounded memory, saved in bm25s's on-disk format, mmap-loaded.

Build (two passes over postings, never all documents in memory):

1. Tokenize documents in order; append ``(doc, term, tf)`` triplets of each batch to scratch files and
   count document frequencies and lengths.
2. With ``df`` known, the CSC column pointers are a cumulative sum; triplets are read back in batches and
   scattered into on-disk ``.npy`` arrays (a counting sort), each entry holding its final BM25 weight
   (Lucene IDF, Robertson TF normalisation: the same weights ``bm25s`` precomputes).

The files are exactly those ``bm25s.BM25.save`` writes, so ``bm25s.BM25.load(dir, mmap=True)`` opens them.
Queries sum the weights of the query terms' postings into a reusable per-thread score buffer and select
the top k among the touched documents only (``argpartition`` over the candidates, not all N documents).
"""

from __future__ import annotations

import json
import math
import mmap
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from openseeker.corpus.tokenize import Tokenizer, fold
from openseeker.errors import PrerequisiteError

INDEX_DIR = "bm25"
TERM_MAX = "term_max.npy"  # per-term largest weight, for MaxScore pruning (not a bm25s file)
PRUNE_MIN_POSTINGS = 4096
_TRIPLET = np.dtype([("doc", "<i4"), ("term", "<i4"), ("tf", "<f4")])


def build_bm25(
    docs: Iterable[tuple[int, str]],
    num_docs: int,
    out_dir: str | Path,
    tokenizer: Tokenizer | None = None,
    *,
    k1: float = 1.5,
    b: float = 0.75,
    batch_docs: int = 20_000,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Build the index for ``docs`` (``(doc_id, text)`` with ids ``0..num_docs-1``) into ``out_dir``.

    Returns:
        a summary: ``num_docs``, ``vocab``, ``postings``, ``avg_doc_len``.
    """
    tok = tokenizer or Tokenizer()
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    vocab: dict[str, int] = {}
    word_id: dict[str, int] = {}
    get_id = word_id.get
    df = np.zeros(1024, dtype=np.int64)
    doc_len = np.zeros(max(num_docs, 1), dtype=np.float32)
    scratch = Path(tempfile.mkdtemp(prefix="bm25-", dir=out))
    trip_path = scratch / "triplets.bin"
    postings = 0
    with trip_path.open("wb") as fh:
        flat: list[int] = []
        owners: list[int] = []
        lens: list[int] = []

        def flush() -> None:
            nonlocal df, postings
            if not owners:
                return
            # Count (doc, term) pairs of the whole batch at once: one sort instead of a Counter per document.
            docs_arr = np.repeat(np.asarray(owners, dtype=np.int64), np.asarray(lens, dtype=np.int64))
            key = (docs_arr << 32) | np.asarray(flat, dtype=np.int64)
            pairs, counts = np.unique(key, return_counts=True)
            arr = np.empty(len(pairs), dtype=_TRIPLET)
            arr["doc"] = pairs >> 32
            arr["term"] = pairs & 0xFFFFFFFF
            arr["tf"] = counts
            arr.tofile(fh)
            if len(vocab) > len(df):
                df = np.concatenate([df, np.zeros(max(len(vocab) - len(df), len(df)), dtype=np.int64)])
            df[: len(vocab)] += np.bincount(arr["term"], minlength=len(vocab))
            postings += len(pairs)
            flat.clear()
            owners.clear()
            lens.clear()

        n = 0
        for n, (doc_id, text) in enumerate(docs, 1):
            if not 0 <= doc_id < num_docs:
                raise ValueError(f"document id {doc_id} outside 0..{num_docs - 1}")
            words = tok.raw(text)
            # word -> term id memo: one dict lookup per token; only unseen words go through the stemmer.
            ids = [get_id(w) for w in words]
            if None in ids:
                fresh = list(dict.fromkeys(w for w, i in zip(words, ids, strict=True) if i is None))
                for w, term in zip(fresh, tok.normalize(fresh), strict=True):
                    word_id[w] = vocab.setdefault(term, len(vocab))
                ids = [word_id[w] for w in words]
                if len(word_id) > 5_000_000:
                    word_id.clear()  # a memo, not state: keep it bounded on huge vocabularies
            doc_len[doc_id] = len(ids)
            flat.extend(ids)  # type: ignore[arg-type]
            owners.append(doc_id)
            lens.append(len(ids))
            # Bound the batch by documents and by tokens (long pages), so memory stays flat.
            if len(owners) >= batch_docs or len(flat) >= 2_000_000:
                flush()
            if on_progress and n % 1000 == 0:
                on_progress(1000)
        flush()
        if on_progress and n % 1000:
            on_progress(n % 1000)  # the last partial batch, so the bar ends at its total
    df = df[: len(vocab)]
    n_docs = max(num_docs, 1)
    avg = float(doc_len[:num_docs].mean()) if num_docs else 1.0
    avg = avg or 1.0
    df_arr = df
    idf = np.log(1.0 + (n_docs - df_arr + 0.5) / (df_arr + 0.5)).astype(np.float32)
    indptr = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(df_arr, out=indptr[1:])
    data = np.lib.format.open_memmap(
        out / "data.csc.index.npy", mode="w+", dtype=np.float32, shape=(postings,)
    )
    indices = np.lib.format.open_memmap(
        out / "indices.csc.index.npy", mode="w+", dtype=np.int32, shape=(postings,)
    )
    cursor = indptr[:-1].copy()
    norm = (k1 * ((1 - b) + b * doc_len / avg)).astype(np.float32)
    step = 4_000_000
    with trip_path.open("rb") as tf_in:
        while True:
            # Plain reads, not a memmap: the scratch file's pages would otherwise count as resident memory.
            chunk = np.fromfile(tf_in, dtype=_TRIPLET, count=step)
            if not len(chunk):
                break
            order = np.argsort(chunk["term"], kind="stable")  # stable: docs stay ascending inside each term
            terms = chunk["term"][order]
            docs_c = chunk["doc"][order]
            tfs = chunk["tf"][order]
            del chunk, order
            uniq, first, counts = np.unique(terms, return_index=True, return_counts=True)
            rank = np.arange(len(terms)) - np.repeat(first, counts)
            pos = cursor[terms] + rank
            data[pos] = idf[terms] * tfs / (norm[docs_c] + tfs)
            indices[pos] = docs_c
            cursor[uniq] += counts
            _release(data)
            _release(indices)
    del data, indices
    np.save(out / "indptr.csc.index.npy", indptr)
    np.save(out / TERM_MAX, _term_max(out, indptr))
    (out / "vocab.index.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
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
        "num_docs": num_docs,
        "vocab": len(vocab),
        "postings": postings,
        "avg_doc_len": avg,
        "tokenizer": tok.config(),
    }
    (out / "openseeker.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    shutil.rmtree(scratch, ignore_errors=True)
    return summary


def _release(arr: np.ndarray) -> None:
    """Write a memmap's dirty pages and drop them from resident memory (they stay in the file)."""
    arr.flush()  # type: ignore[attr-defined]
    mm = getattr(arr, "_mmap", None)
    if mm is not None and hasattr(mmap, "MADV_DONTNEED"):
        mm.madvise(mmap.MADV_DONTNEED)


def _term_max(out: Path, indptr: np.ndarray) -> np.ndarray:
    data = np.load(out / "data.csc.index.npy", mmap_mode="r")
    if len(indptr) <= 1 or len(data) == 0:
        return np.zeros(max(len(indptr) - 1, 0), dtype=np.float32)
    return np.maximum.reduceat(data, indptr[:-1]).astype(np.float32)


def _bm25s_version() -> str:
    try:
        import bm25s

        return str(bm25s.__version__)
    except ImportError:  # pragma: no cover
        return "unknown"


class BM25Index:
    """A loaded index (memory-mapped); thread-safe for concurrent queries."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if not (path / "params.index.json").exists():
            raise PrerequisiteError(
                f"no BM25 index in {path}; build it with `openseeker corpus ingest` "
                "(or `openseeker corpus reindex`)"
            )
        import bm25s

        self.path = path
        self._model = bm25s.BM25.load(str(path), mmap=True)
        self.vocab: dict[str, int] = self._model.vocab_dict
        self.data: np.ndarray = self._model.scores["data"]
        self.indices: np.ndarray = self._model.scores["indices"]
        self.indptr: np.ndarray = self._model.scores["indptr"]
        self.num_docs = int(self._model.scores["num_docs"])
        tm = path / TERM_MAX
        self.term_max: np.ndarray = np.load(tm) if tm.exists() else _term_max(path, np.asarray(self.indptr))
        meta_path = path / "openseeker.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        self.tokenizer = Tokenizer(**meta.get("tokenizer", {}))
        self._local = threading.local()

    def _buffer(self) -> np.ndarray:
        buf = getattr(self._local, "scores", None)
        if buf is None:
            buf = self._local.scores = np.zeros(max(self.num_docs, 1), dtype=np.float32)
        return buf

    def _candidates(self, touched: list[np.ndarray], scores: np.ndarray) -> np.ndarray:
        if len(touched) == 1:
            return np.asarray(touched[0])
        if sum(len(t) for t in touched) > self.num_docs // 64:
            return np.flatnonzero(scores)  # dense case: one linear scan beats sorting the postings
        return np.unique(np.concatenate(touched))

    @staticmethod
    def _top(cand: np.ndarray, cand_scores: np.ndarray, top_k: int) -> list[tuple[int, float]]:
        if len(cand) == 0:
            return []
        k = min(top_k, len(cand))
        if k < len(cand):
            # Everything scoring at least the k-th best score: ties at the cut are all kept, then broken by
            # the lower document id, so results are deterministic (argpartition alone picks ties arbitrarily).
            kth = np.partition(cand_scores, len(cand) - k)[len(cand) - k]
            top = np.flatnonzero(cand_scores >= kth)
        else:
            top = np.arange(len(cand))
        best = sorted(((float(cand_scores[i]), int(cand[i])) for i in top), key=lambda x: (-x[0], x[1]))[:k]
        return [(d, s) for s, d in best if s > 0]

    def search_tokens(self, tokens: list[str], top_k: int = 10) -> list[tuple[int, float]]:
        """``[(doc_id, score)]`` best first for already tokenized query terms (exact BM25 top k).

        Terms are scored in order of their largest possible contribution. Before a long posting list, if the
        k-th best partial score already exceeds what all remaining terms together could add (MaxScore), no
        unseen document can enter the top k: the remaining lists are only probed for the current candidates
        (binary search; postings are sorted by document), instead of being scattered in full.
        """
        counts = Counter(self.vocab[t] for t in tokens if t in self.vocab)
        if not counts or top_k <= 0:
            return []
        terms = sorted(counts, key=lambda t: (-float(self.term_max[t]) * counts[t], t))
        bounds = [float(self.term_max[t]) * counts[t] for t in terms]
        rest = [sum(bounds[i:]) for i in range(len(bounds))]
        scores = self._buffer()
        touched: list[np.ndarray] = []
        for i, tid in enumerate(terms):
            s, e = int(self.indptr[tid]), int(self.indptr[tid + 1])
            if touched and e - s > PRUNE_MIN_POSTINGS:
                cand = self._candidates(touched, scores)
                part = scores[cand]
                theta = (
                    float(np.partition(part, len(part) - top_k)[len(part) - top_k])
                    if len(part) >= top_k
                    else 0.0
                )
                if rest[i] < theta:
                    scores[cand] = 0.0
                    # Candidates that cannot reach the k-th score even with every remaining term are dropped too.
                    keep = part + rest[i] >= theta
                    cand, cand_scores = cand[keep], part[keep]
                    for t2 in terms[i:]:
                        s2, e2 = int(self.indptr[t2]), int(self.indptr[t2 + 1])
                        docs2 = self.indices[s2:e2]
                        pos = np.minimum(np.searchsorted(docs2, cand), len(docs2) - 1)
                        hit = docs2[pos] == cand
                        cand_scores[hit] += counts[t2] * self.data[s2:e2][pos[hit]]
                    return self._top(cand, cand_scores, top_k)
            docs = self.indices[s:e]
            weights = self.data[s:e]
            # Inside one posting list the documents are distinct, so fancy-index += is exact (no add.at).
            scores[docs] += weights if counts[tid] == 1 else weights * counts[tid]
            touched.append(docs)
        cand = self._candidates(touched, scores)
        cand_scores = scores[cand].copy()
        scores[cand] = 0.0  # reset only what was touched: the buffer is reused by the next query
        return self._top(cand, cand_scores, top_k)

    def search(self, query: str, top_k: int = 10) -> list[tuple[int, float]]:
        """``[(doc_id, score)]`` best first."""
        return self.search_tokens(self.tokenizer(query), top_k)


def _term_hits(low: str, terms: list[str]) -> list[tuple[int, int]]:
    hits: list[tuple[int, int]] = []
    for ti, term in enumerate(dict.fromkeys(t for t in terms if t)):
        start = 0
        for _ in range(8):
            i = low.find(term, start)
            if i < 0:
                break
            hits.append((i, ti))
            start = i + len(term)
    return hits


def make_snippet(text: str, terms: list[str], width: int = 240) -> str:
    """A window of ``text`` (about ``width`` characters) holding as many distinct query terms as possible."""
    if len(text) <= width:
        return " ".join(text.split())
    low = text.lower()
    hits = _term_hits(low, terms)
    if not hits and not low.isascii():
        # Folding long non-ASCII text is slow in Python, so only when the plain search found nothing.
        hits = _term_hits(fold(low), terms)
    if not hits:
        center = 0
    else:
        hits.sort()
        best, center = -1, hits[0][0]
        j = 0
        for i, (p, _) in enumerate(hits):
            while hits[j][0] < p - width // 2:
                j += 1
            window = {t for q, t in hits[j : i + 1]}
            if len(window) > best:
                best, center = len(window), (hits[j][0] + p) // 2
    s = max(0, center - width // 2)
    e = min(len(text), s + width)
    s = max(0, e - width)
    if s > 0:
        sp = text.find(" ", s)
        s = sp + 1 if 0 <= sp < s + 30 else s
    if e < len(text):
        sp = text.rfind(" ", e - 30, e)
        e = sp if sp > s else e
    body = " ".join(text[s:e].split())
    return ("..." if s > 0 else "") + body + ("..." if e < len(text) else "")


def idf_of(df: int, n: int) -> float:
    """Lucene's IDF, as used by the index (exposed for tests and tools)."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))
