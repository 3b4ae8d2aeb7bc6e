"""Tokenization for the BM25 index: English words stemmed (PyStemmer) minus stopwords, Chinese segmented
with jieba's search mode (compounds and their parts, so 首都北京 also matches 北京).

Text is split into script runs first, so mixed pages and mixed queries tokenize each part with the right
tool, and one index serves an English, Chinese or mixed corpus."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)
_LATIN = re.compile(r"[^\W_]+", re.UNICODE)
_CJK_START = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _fold_table() -> dict[int, str]:
    # Latin letters with diacritics -> base letters (Åland -> aland), so queries typed without accents match.
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(cp)) if not unicodedata.combining(c))
        # One character to one character only, so folded text keeps the offsets of the original.
        if len(base) == 1 and base != chr(cp) and base.isascii():
            table[cp] = base
    return table


def fold(text: str) -> str:
    """Strip diacritics from Latin letters; same length as ``text``."""
    return text if text.isascii() else text.translate(_FOLD)


_FOLD = _fold_table()
_jieba_lock = threading.Lock()
_jieba: Any = None


def _get_jieba() -> Any:
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def _bm25s_stopwords() -> frozenset[str]:
    """bm25s's English and Chinese stopword lists, read from its ``stopwords`` module alone: importing the
    ``bm25s`` package pulls in scipy, about 27 MB in every serving process, for two tuples of words."""
    import importlib.util

    spec = importlib.util.find_spec("bm25s")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = next((Path(d) / "stopwords.py" for d in locations if (Path(d) / "stopwords.py").exists()), None)
    if path is None:  # pragma: no cover - an unusual install: fall back to the package import
        from bm25s.stopwords import STOPWORDS_CHINESE, STOPWORDS_EN

        return frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_CHINESE)
    module_spec = importlib.util.spec_from_file_location("_openseeker_bm25s_stopwords", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN) | frozenset(module.STOPWORDS_CHINESE)


class Tokenizer:
    """Callable ``text -> list of tokens`` (see module docstring).

    Args:
        stem: stem English words with the Snowball English stemmer.
        stopwords: drop English and Chinese stopwords.
    """

    def __init__(self, stem: bool = True, stopwords: bool = True):
        self.stem = stem
        self.use_stopwords = stopwords
        self._stopwords: frozenset[str] = frozenset()
        if stopwords:
            self._stopwords = _bm25s_stopwords()
        self._local = threading.local()

    def _stemmer(self) -> Any:
        # PyStemmer objects are not thread-safe: one per thread.
        st = getattr(self._local, "stemmer", None)
        if st is None:
            import Stemmer

            st = self._local.stemmer = Stemmer.Stemmer("english")
        return st

    def words(self, text: str) -> list[str]:
        """Lower-case words, diacritics folded, Chinese segmented; stopwords still in (the index builder
        drops them through its word-id memo, without a Python-level pass per token)."""
        low = text.lower()
        if not _CJK_START.search(low):
            return _LATIN.findall(low if low.isascii() else low.translate(_FOLD))
        out: list[str] = []
        for run in _RUNS.findall(low):
            if _CJK_START.match(run):
                out.extend(w for w in _get_jieba().lcut_for_search(run) if w.strip())
            else:
                out.append(fold(run))
        return out

    def is_stopword(self, word: str) -> bool:
        """Whether :meth:`raw` drops ``word``."""
        return word in self._stopwords

    def raw(self, text: str) -> list[str]:
        """Lower-case words minus stopwords, Chinese segmented; not yet stemmed."""
        low = text.lower()
        stop = self._stopwords
        if not _CJK_START.search(low):
            # Fast path (most pages). Diacritics are folded per word, and only in the few non-ASCII words.
            words = _LATIN.findall(low)
            return [f for f in (w if w.isascii() else w.translate(_FOLD) for w in words) if f not in stop]
        out: list[str] = []
        for run in _RUNS.findall(low):
            if _CJK_START.match(run):
                out.extend(w for w in _get_jieba().lcut_for_search(run) if w.strip() and w not in stop)
            else:
                run = fold(run)
                if run not in stop:
                    out.append(run)
        return out

    def normalize(self, words: list[str]) -> list[str]:
        """Stem the non-Chinese words of :meth:`raw`'s output (one batched stemmer call)."""
        if not self.stem or not words:
            return words
        latin = [i for i, w in enumerate(words) if not _CJK_START.match(w)]
        if len(latin) == len(words):
            return list(self._stemmer().stemWords(words))
        stems = self._stemmer().stemWords([words[i] for i in latin])
        out = list(words)
        for i, st in zip(latin, stems, strict=True):
            out[i] = st
        return out

    def __call__(self, text: str) -> list[str]:
        return self.normalize(self.raw(text))

    def config(self) -> dict[str, Any]:
        """The settings, saved with an index so queries are tokenized the same way."""
        return {"stem": self.stem, "stopwords": self.use_stopwords}
