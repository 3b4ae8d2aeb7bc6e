"""The BM25 full-text index: built in bounded memory (:mod:`openseeker.corpus.index_build`), memory-mapped
for search, shareable by any number of processes.

Everything a query reads is a memory-mapped file: the CSC postings (bm25s's own file format), the sorted
term table (:mod:`openseeker.corpus.terms`; no per-process vocabulary dict), per-term maximum weights and
the dense columns of the most frequent terms. N serving processes therefore share one copy in the page
cache; each adds only its interpreter and a score buffer (4 bytes per document).

A query sums the weights of its terms into a reusable per-thread score buffer, term by term in order of
their largest possible contribution, and is exact:

* a term with a dense column is added as one vector over all documents (~0.1 ms per million documents),
  other terms scatter their postings;
* before a long posting list, if the k-th best partial score already exceeds what all remaining terms
  together could add (MaxScore), no unseen document can enter the top k: the remaining terms are only
  probed for the current candidates (binary search in the postings, or a gather from a dense column);
* the top k are selected among the touched documents, or, after a dense column, by a block maximum over
  the buffer (only the best blocks are partitioned: ``np.partition`` over a million scores with many ties
  takes tens of milliseconds).
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from openseeker.corpus.index_build import DENSE, DENSE_TERMS, TERM_MAX, build_bm25
from openseeker.corpus.terms import TERMS_BIN, DictTerms, TermTable
from openseeker.corpus.tokenize import Tokenizer, fold
from openseeker.errors import PrerequisiteError

INDEX_DIR = "bm25"
PRUNE_MIN_POSTINGS = 4096
_BLOCK = 1024

__all__ = ["INDEX_DIR", "BM25Index", "build_bm25", "idf_of", "make_snippet"]


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of ``values`` (``len(values) >= k``), robust to many ties (see module docstring)."""
    n = len(values)
    if n > 16 * _BLOCK and k * _BLOCK < n // 4:
        nb = n // _BLOCK
        heads = values[: nb * _BLOCK].reshape(nb, _BLOCK).max(axis=1)
        best = np.argpartition(heads, nb - k)[nb - k :]
        # The k largest values lie in the k blocks with the largest maxima (or in the ragged tail).
        rows = values[: nb * _BLOCK].reshape(nb, _BLOCK)[best].ravel()
        values = np.concatenate([rows, values[nb * _BLOCK :]])
        n = len(values)
    return float(np.partition(values, n - k)[n - k])


def _top(cand: np.ndarray, cand_scores: np.ndarray, top_k: int) -> list[tuple[int, float]]:
    """The best ``top_k`` of ``cand`` by score, ties broken by the lower document id; zero scores dropped."""
    if len(cand) == 0:
        return []
    k = min(top_k, len(cand))
    if k < len(cand):
        # Everything scoring at least the k-th best score: ties at the cut are all kept, then ordered.
        top = np.flatnonzero(cand_scores >= _kth_largest(cand_scores, k))
    else:
        top = np.arange(len(cand))
    order = np.lexsort((cand[top], -cand_scores[top]))[:k]
    return [(int(cand[top[i]]), float(cand_scores[top[i]])) for i in order if cand_scores[top[i]] > 0]


class BM25Index:
    """A loaded index (memory-mapped); thread-safe for concurrent queries."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if not (path / "params.index.json").exists():
            raise PrerequisiteError(
                f"no BM25 index in {path}; build it with `openseeker corpus ingest` "
                "(or `openseeker corpus reindex`)"
            )
        self.path = path
        params = json.loads((path / "params.index.json").read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        self.data: np.ndarray = np.load(path / "data.csc.index.npy", mmap_mode="r")
        self.indices: np.ndarray = np.load(path / "indices.csc.index.npy", mmap_mode="r")
        self.indptr: np.ndarray = np.load(path / "indptr.csc.index.npy", mmap_mode="r")
        if (path / TERMS_BIN).exists():
            self.vocab: TermTable | DictTerms = TermTable(path)
        else:  # an index from before the term table: its JSON vocabulary, in memory
            self.vocab = DictTerms(json.loads((path / "vocab.index.json").read_text(encoding="utf-8")))
        tm = path / TERM_MAX
        self.term_max: np.ndarray = np.load(tm, mmap_mode="r") if tm.exists() else self._term_max()
        self.dense: np.ndarray | None = None
        self.dense_terms: np.ndarray = np.zeros(0, dtype=np.int32)
        if (path / DENSE).exists():
            self.dense_terms = np.load(path / DENSE_TERMS)
            if len(self.dense_terms):
                self.dense = np.load(path / DENSE, mmap_mode="r")
        meta_path = path / "openseeker.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        self.tokenizer = Tokenizer(**meta.get("tokenizer", {}))
        self._local = threading.local()

    def _term_max(self) -> np.ndarray:
        indptr = np.asarray(self.indptr)
        if len(indptr) <= 1 or len(self.data) == 0:
            return np.zeros(max(len(indptr) - 1, 0), dtype=np.float32)
        return np.maximum.reduceat(self.data, indptr[:-1]).astype(np.float32)

    def _buffer(self) -> np.ndarray:
        buf = getattr(self._local, "scores", None)
        if buf is None:
            buf = self._local.scores = np.zeros(max(self.num_docs, 1), dtype=np.float32)
        return buf

    def _dense_row(self, term: int) -> int:
        if self.dense is None:
            return -1
        i = int(np.searchsorted(self.dense_terms, term))
        return i if i < len(self.dense_terms) and self.dense_terms[i] == term else -1

    def _candidates(self, touched: list[np.ndarray], scores: np.ndarray) -> np.ndarray:
        if len(touched) == 1:
            return np.asarray(touched[0])
        if sum(len(t) for t in touched) > self.num_docs // 64:
            return np.flatnonzero(scores)  # dense case: one linear scan beats sorting the postings
        return np.unique(np.concatenate(touched))

    def term_id(self, term: str) -> int | None:
        """The column of ``term`` in the index, or ``None``."""
        return self.vocab.get(term)

    def search_tokens(self, tokens: list[str], top_k: int = 10) -> list[tuple[int, float]]:
        """``[(doc_id, score)]`` best first for already tokenized query terms (exact BM25 top k)."""
        counts: Counter[int] = Counter()
        for t in tokens:
            tid = self.vocab.get(t)
            if tid is not None:
                counts[tid] += 1
        if not counts or top_k <= 0:
            return []
        terms = sorted(counts, key=lambda t: (-float(self.term_max[t]) * counts[t], t))
        bounds = [float(self.term_max[t]) * counts[t] for t in terms]
        rest = [sum(bounds[i:]) for i in range(len(bounds))]
        scores = self._buffer()
        touched: list[np.ndarray] = []
        full = False  # a dense column was added: every document may have a score
        try:
            for i, tid in enumerate(terms):
                s, e = int(self.indptr[tid]), int(self.indptr[tid + 1])
                row = self._dense_row(tid)
                # Once every document has a score, adding a dense column (one vector add) is cheaper than a
                # pruning attempt, which must find the k-th best of all documents first.
                if (touched or full) and e - s > PRUNE_MIN_POSTINGS and not (full and row >= 0):
                    pruned = self._maxscore(terms, i, rest[i], counts, scores, touched, full, top_k)
                    if pruned is not None:
                        return pruned
                if row >= 0 and self.dense is not None:
                    col = self.dense[row]
                    np.add(scores, col if counts[tid] == 1 else col * counts[tid], out=scores)
                    full = True
                    continue
                docs = self.indices[s:e]
                weights = self.data[s:e]
                # Inside one posting list the documents are distinct, so fancy-index += is exact (no add.at).
                scores[docs] += weights if counts[tid] == 1 else weights * counts[tid]
                touched.append(docs)
            if full:
                return _top(np.arange(len(scores)), scores, top_k)
            cand = self._candidates(touched, scores)
            return _top(cand, scores[cand], top_k)
        finally:
            # Reset only what was touched: the buffer is reused by the next query.
            if full:
                scores.fill(0.0)
            else:
                for docs in touched:
                    scores[docs] = 0.0

    def _maxscore(
        self,
        terms: list[int],
        i: int,
        rest: float,
        counts: Counter[int],
        scores: np.ndarray,
        touched: list[np.ndarray],
        full: bool,
        top_k: int,
    ) -> list[tuple[int, float]] | None:
        """If the remaining terms (``terms[i:]``, at most ``rest`` together) cannot lift an unseen document
        into the top k, finish by probing them for the candidates only; else ``None``."""
        if full:
            cand = np.arange(len(scores))
            part = scores
        else:
            cand = self._candidates(touched, scores)
            part = scores[cand]
        if len(part) < top_k:
            return None
        theta = _kth_largest(part, top_k)
        if rest >= theta:
            return None
        # Candidates that cannot reach the k-th score even with every remaining term are dropped too.
        keep = np.flatnonzero(part + rest >= theta)
        cand, cand_scores = cand[keep], part[keep].copy()
        for t2 in terms[i:]:
            row = self._dense_row(t2)
            if row >= 0 and self.dense is not None:
                cand_scores += counts[t2] * self.dense[row][cand]
                continue
            s2, e2 = int(self.indptr[t2]), int(self.indptr[t2 + 1])
            docs2 = self.indices[s2:e2]
            pos = np.minimum(np.searchsorted(docs2, cand), len(docs2) - 1)
            hit = docs2[pos] == cand
            cand_scores[hit] += counts[t2] * self.data[s2:e2][pos[hit]]
        return _top(cand, cand_scores, top_k)

    def search(self, query: str, top_k: int = 10) -> list[tuple[int, float]]:
        """``[(doc_id, score)]`` best first."""
        return self.search_tokens(self.tokenizer(query), top_k)


def _term_hits(low: str, terms: list[str]) -> list[tuple[int, int]]:
    # str.find per term (a C search) beats one regex alternation over the text, and compiling a new
    # alternation per query costs more than the search itself.
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
