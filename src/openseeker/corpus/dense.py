"""Optional dense retrieval: a local model2vec static embedding model, vectors stored beside the store.

``build_dense(corpus_dir, model_path)`` embeds every page (title + the start of its text) into
``<dir>/dense/embeddings.npy`` (float32, L2-normalised, written through a memmap in batches) and records the
model path. :class:`DenseIndex` answers queries by exact inner product over the memory-mapped vectors, in
blocks. The model must be on local disk: nothing is downloaded (a missing model is a PrerequisiteError).
Hybrid search fuses BM25 and dense rankings by reciprocal rank (see :func:`rrf`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from openseeker.errors import PrerequisiteError

DENSE_DIR = "dense"


def load_model(model_path: str | Path) -> Any:
    """Load a model2vec model from a local folder (never from a hub)."""
    p = Path(model_path)
    if not (p / "config.json").exists():
        raise PrerequisiteError(
            f"no model2vec model at {p} (expected config.json, model.safetensors, tokenizer.json);"
            " dense retrieval needs a locally available model"
        )
    try:
        from model2vec import StaticModel
    except ImportError as e:  # pragma: no cover - optional extra
        raise PrerequisiteError("dense retrieval needs the 'model2vec' package: pip install model2vec") from e
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return StaticModel.from_pretrained(str(p), force_download=False)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return cast("np.ndarray", (x / np.maximum(norms, 1e-12)).astype(np.float32))


def build_dense(
    corpus_dir: str | Path,
    model_path: str | Path,
    *,
    batch: int = 4096,
    max_chars: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Embed every page of the corpus at ``corpus_dir``; returns ``{"pages", "dim", "model"}``."""
    from openseeker.corpus import open_corpus

    model = load_model(model_path)
    store = open_corpus(Path(corpus_dir))
    out = Path(corpus_dir) / DENSE_DIR
    out.mkdir(exist_ok=True)
    n = len(store)
    dim = int(model.encode(["probe"]).shape[1])
    emb = np.lib.format.open_memmap(out / "embeddings.npy", mode="w+", dtype=np.float32, shape=(n, dim))
    texts: list[str] = []
    start = 0
    for page in store.iter_pages(batch):
        texts.append(f"{page.title}\n{page.text[:max_chars]}")
        if len(texts) == batch:
            emb[start : start + len(texts)] = _normalise(model.encode(texts, use_multiprocessing=False))
            start += len(texts)
            texts = []
            if on_progress:
                on_progress(batch)
    if texts:
        emb[start : start + len(texts)] = _normalise(model.encode(texts, use_multiprocessing=False))
    emb.flush()
    info = {"pages": n, "dim": dim, "model": str(Path(model_path).resolve())}
    (out / "model.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


class DenseIndex:
    """Exact inner-product search over the stored page vectors."""

    def __init__(self, corpus_dir: str | Path, block: int = 262_144):
        d = Path(corpus_dir) / DENSE_DIR
        if not (d / "model.json").exists():
            raise PrerequisiteError(
                f"no dense index in {corpus_dir}; build it with `openseeker corpus embed "
                f"{corpus_dir} --model MODEL_DIR`"
            )
        self.info = json.loads((d / "model.json").read_text(encoding="utf-8"))
        self.model = load_model(self.info["model"])
        self.vectors: np.ndarray = np.load(d / "embeddings.npy", mmap_mode="r")
        self.block = block

    def search(self, query: str, top_k: int = 10) -> list[tuple[int, float]]:
        """``[(page_id, cosine)]`` best first."""
        q = _normalise(self.model.encode([query], use_multiprocessing=False))[0]
        best: list[tuple[float, int]] = []
        for s in range(0, len(self.vectors), self.block):
            scores = np.asarray(self.vectors[s : s + self.block]) @ q
            k = min(top_k, len(scores))
            idx = np.argpartition(-scores, k - 1)[:k]
            best.extend((float(scores[i]), s + int(i)) for i in idx)
        best.sort(key=lambda x: (-x[0], x[1]))
        return [(d, sc) for sc, d in best[:top_k]]


def rrf(rankings: list[list[int]], top_k: int, k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings of page ids."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:top_k]
