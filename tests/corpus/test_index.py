"""The bounded-memory BM25 builder produces bm25s's own scores; Chinese and mixed tokenization; snippets."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest

from openseeker.corpus.index import BM25Index, build_bm25, make_snippet
from openseeker.corpus.tokenize import Tokenizer


def _docs(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)]
    return [
        " ".join(rng.choices(words, weights=[1 / (i + 1) for i in range(300)], k=rng.randint(5, 40)))
        for _ in range(n)
    ]


def test_scores_equal_bm25s(tmp_path: Path) -> None:
    docs = _docs(400)
    tok = Tokenizer(stem=False, stopwords=False)
    # Tiny batches force many scratch flushes and several counting-sort passes.
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", tok, batch_docs=3)
    ours = BM25Index(tmp_path / "idx")
    ref = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    ref.index([tok(d) for d in docs], show_progress=False)
    loaded = bm25s.BM25.load(str(tmp_path / "idx"), mmap=True)  # our files open in bm25s itself
    for q in ["w1 w7", "w250", "w3 w3 w40 w299", "w0"]:
        qt = tok(q)
        expect = ref.get_scores(qt)
        np.testing.assert_allclose(loaded.get_scores(qt), expect, rtol=1e-5, atol=1e-6)
        got = ours.search(q, 10)
        top = sorted(range(len(docs)), key=lambda i: (-expect[i], i))[:10]
        assert [d for d, _ in got] == [i for i in top if expect[i] > 0]
        np.testing.assert_allclose([s for _, s in got], [expect[i] for i in top if expect[i] > 0], rtol=1e-5)


def test_repeated_queries_reuse_buffer_cleanly(tmp_path: Path) -> None:
    docs = _docs(200, seed=1)
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", Tokenizer(stem=False, stopwords=False))
    idx = BM25Index(tmp_path / "idx")
    first = idx.search("w5 w9", 5)
    idx.search("w1 w2 w3 w4", 50)
    assert idx.search("w5 w9", 5) == first
    assert idx.search("", 5) == [] and idx.search("absent", 5) == []


def test_tokenizer_mixed_languages() -> None:
    tok = Tokenizer()
    toks = tok("The cities of 中华人民共和国 and 北京")
    assert "citi" in toks and "the" not in toks
    assert "中华人民共和国" in toks and "北京" in toks
    assert "的" not in tok("北京的首都")


def test_snippet_centres_on_terms() -> None:
    text = "Filler words. " * 50 + "The Eiffel Tower is in Paris, France. " + "More filler. " * 50
    snip = make_snippet(text, ["eiffel", "paris"], width=120)
    assert "Eiffel Tower is in Paris" in snip and snip.startswith("...") and snip.endswith("...")
    assert make_snippet("short text", ["x"]) == "short text"


def test_maxscore_pruning_keeps_exact_top_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openseeker.corpus.index as index_mod

    docs = _docs(600, seed=3)
    tok = Tokenizer(stem=False, stopwords=False)
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", tok)
    idx = BM25Index(tmp_path / "idx")
    ref = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    ref.index([tok(d) for d in docs], show_progress=False)
    monkeypatch.setattr(index_mod, "PRUNE_MIN_POSTINGS", 0)  # prune whenever the bound allows it
    rng = random.Random(7)
    for _ in range(60):
        # A rare term plus common ones: the situation MaxScore is for.
        q = [f"w{rng.randrange(150, 300)}"] + [f"w{rng.randrange(0, 6)}" for _ in range(rng.randint(1, 3))]
        expect = ref.get_scores(q)
        top = [i for i in sorted(range(len(docs)), key=lambda i: (-expect[i], i))[:5] if expect[i] > 0]
        got = idx.search_tokens(q, 5)
        assert [d for d, _ in got] == top
        np.testing.assert_allclose([s for _, s in got], [expect[i] for i in top], rtol=1e-5)


def test_accents_are_folded() -> None:
    tok = Tokenizer()
    assert tok("Åland, Édouard Manet, café") == tok("Aland, Edouard Manet, cafe")
    text = "x " * 200 + "The Åland Islands are Swedish-speaking. " + "y " * 200
    assert "Åland Islands" in make_snippet(text, ["aland"], width=80)


def test_dense_columns_blocks_and_segments_keep_exact_top_k(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frequent terms get dense columns; postings merged from many segments in many small blocks; MaxScore
    probing dense columns: the top k still equal bm25s's, scores included."""
    import openseeker.corpus.index as index_mod

    docs = _docs(800, seed=5)
    tok = Tokenizer(stem=False, stopwords=False)
    summary = build_bm25(
        enumerate(docs),
        len(docs),
        tmp_path / "idx",
        tok,
        batch_docs=37,
        block_postings=50,
        dense_min_share=0.05,
        dense_min_docs=0,
    )
    assert summary["segments"] > 20 and summary["dense_terms"] > 5
    idx = BM25Index(tmp_path / "idx")
    assert idx.dense is not None and idx.dense.shape == (summary["dense_terms"], len(docs))
    ref = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    ref.index([tok(d) for d in docs], show_progress=False)
    np.testing.assert_allclose(
        bm25s.BM25.load(str(tmp_path / "idx"), mmap=True).get_scores(["w0", "w77"]),
        ref.get_scores(["w0", "w77"]),
        rtol=1e-5,
        atol=1e-6,
    )
    rng = random.Random(11)
    for prune_min in (0, 4096):
        monkeypatch.setattr(index_mod, "PRUNE_MIN_POSTINGS", prune_min)
        for _ in range(80):
            q = [f"w{rng.randrange(0, 300) if rng.random() < 0.3 else rng.randrange(0, 8)}"]
            q += [f"w{rng.randrange(0, 40)}" for _ in range(rng.randint(0, 4))]
            expect = ref.get_scores(q)
            top = [i for i in sorted(range(len(docs)), key=lambda i: (-expect[i], i))[:7] if expect[i] > 0]
            got = idx.search_tokens(q, 7)
            assert [d for d, _ in got] == top, q
            np.testing.assert_allclose([s for _, s in got], [expect[i] for i in top], rtol=1e-5)


def test_term_table_lookups(tmp_path: Path) -> None:
    import json

    docs = ["Åland café naïve", "北京 首都 北京市", "zebra apple mango", "apple pie"]
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", Tokenizer(stem=False, stopwords=False))
    idx = BM25Index(tmp_path / "idx")
    vocab = json.loads((tmp_path / "idx" / "vocab.index.json").read_text(encoding="utf-8"))
    assert len(idx.vocab) == len(vocab) and sorted(vocab) == [
        t for t, _ in sorted(vocab.items(), key=lambda x: x[1])
    ]
    for term, col in vocab.items():
        assert idx.term_id(term) == col
    assert idx.term_id("absent") is None and idx.term_id("") is None and idx.term_id("zzzz") is None
    assert [d for d, _ in idx.search("北京")] == [1]


def test_ties_are_broken_by_document_id(tmp_path: Path) -> None:
    docs = ["same words here"] * 5000
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", Tokenizer(stem=False, stopwords=False))
    idx = BM25Index(tmp_path / "idx")
    assert [d for d, _ in idx.search("same here", 10)] == list(range(10))


def test_failed_build_keeps_the_previous_index(tmp_path: Path) -> None:
    docs = _docs(50)
    tok = Tokenizer(stem=False, stopwords=False)
    build_bm25(enumerate(docs), len(docs), tmp_path / "idx", tok)
    before = BM25Index(tmp_path / "idx").search("w1 w2", 5)

    def broken() -> Any:
        yield 0, "w1"
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        build_bm25(broken(), 10, tmp_path / "idx", tok)
    assert BM25Index(tmp_path / "idx").search("w1 w2", 5) == before
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]
