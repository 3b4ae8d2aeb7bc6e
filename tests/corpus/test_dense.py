"""Optional dense and hybrid retrieval with a model2vec model built locally in the test (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openseeker.corpus import open_corpus
from openseeker.corpus.dense import build_dense, rrf
from openseeker.corpus.ingest import ingest
from openseeker.errors import PrerequisiteError


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    pytest.importorskip("model2vec")
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.normalizers import Lowercase
    from tokenizers.pre_tokenizers import Whitespace

    words = [
        "[UNK]",
        "[PAD]",
        "paris",
        "france",
        "capital",
        "river",
        "seine",
        "beta",
        "letter",
        "greek",
        "alpha",
    ]
    tok = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tok.normalizer = Lowercase()
    # One-hot vectors: cosine similarity is word overlap, so rankings are predictable.
    StaticModel(np.eye(len(words), dtype=np.float32), tok).save_pretrained(str(tmp_path / "m2v"))
    return tmp_path / "m2v"


def test_dense_and_hybrid(tmp_path: Path, en_dump: Path, html_dir: Path, tiny_model: Path) -> None:
    ingest([en_dump, html_dir], tmp_path / "c")
    info = build_dense(tmp_path / "c", tiny_model, batch=2)
    assert info["pages"] == 5 and info["dim"] == 11
    store = open_corpus(tmp_path / "c")
    dense = store.search("greek letter beta", 2, mode="dense")
    assert dense[0].title == "Beta page"
    hybrid = open_corpus(tmp_path / "c", search_mode="hybrid").search("river seine", 3)
    assert hybrid[0].title == "Seine"


def test_missing_model_and_index_are_prerequisite_errors(tmp_path: Path, jsonl_file: Path) -> None:
    ingest([jsonl_file], tmp_path / "c")
    with pytest.raises(PrerequisiteError, match="no model2vec model"):
        build_dense(tmp_path / "c", tmp_path / "nowhere")
    with pytest.raises(PrerequisiteError, match="corpus embed"):
        open_corpus(tmp_path / "c").search("one", 3, mode="dense")


def test_rrf() -> None:
    assert [d for d, _ in rrf([[1, 2, 3], [3, 1]], 3)] == [1, 3, 2]
