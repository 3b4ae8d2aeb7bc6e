"""The bounded-memory BM25 builder produces bm25s's own scores; Chinese and mixed tokenization; snippets."""

from __future__ import annotations

import random
from pathlib import Path

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
