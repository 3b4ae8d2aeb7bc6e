"""The corpus data model and the read interface every stage uses.

A corpus is a web graph: :class:`Page` nodes and :class:`Link` edges (with anchor text and the sentence
around the link as evidence). :class:`Corpus` is the protocol the rest of openseeker reads through;
:class:`openseeker.corpus.store.CorpusStore` implements it over the on-disk store, and
:class:`MemoryCorpus` implements it in memory for tests and small generated corpora.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from openseeker.corpus.text import has_cjk
from openseeker.records import Record


@dataclass
class Page(Record):
    """One page. ``id`` is dense (0..N-1) inside a corpus; ``url`` is unique."""

    id: int
    url: str
    title: str
    text: str
    language: str = "en"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Link(Record):
    """A hyperlink. ``target`` is the in-corpus page id, or ``None`` for a dangling link."""

    source: int
    target: int | None
    target_url: str
    anchor: str = ""
    context: str = ""


@dataclass
class CorpusHit(Record):
    """A search hit inside a corpus."""

    page_id: int
    url: str
    title: str
    snippet: str
    score: float


@runtime_checkable
class Corpus(Protocol):
    """Read access to a web graph."""

    def __len__(self) -> int: ...

    def page_ids(self) -> Iterable[int]: ...

    def get(self, key: int | str) -> Page | None:
        """A page by id, URL or title (case-insensitive title match); ``None`` if absent."""
        ...

    def out_links(self, page_id: int) -> list[Link]: ...

    def in_links(self, page_id: int) -> list[Link]: ...

    def search(self, query: str, top_k: int = 10) -> list[CorpusHit]: ...


_WORD = re.compile(r"\w+", re.U)


def _terms(text: str) -> list[str]:
    # Chinese has no spaces: fall back to single characters so that search still works in memory.
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if has_cjk(w):
            out.extend(w)
        else:
            out.append(w)
    return out


def find_page(corpus: Corpus, key: int | str) -> Page | None:
    """The page ``key`` (id, URL, redirect, title) of ``corpus``; a URL with a trailing slash also finds the
    page without it (what a model often writes)."""
    page = corpus.get(key)
    if page is None and isinstance(key, str):
        k = key.strip()
        if k.startswith(("http://", "https://")) and k.endswith("/"):
            page = corpus.get(k.rstrip("/"))
    return page


class MemoryCorpus:
    """An in-memory :class:`Corpus` (tests, generated corpora). Search is a small TF-IDF scorer."""

    def __init__(self, pages: Iterable[Page], links: Iterable[Link] = ()):
        self.pages: list[Page] = sorted(pages, key=lambda p: p.id)
        self._by_url = {p.url: p for p in self.pages}
        self._by_title = {p.title.lower(): p for p in self.pages}
        self._by_id = {p.id: p for p in self.pages}
        self._out: dict[int, list[Link]] = defaultdict(list)
        self._in: dict[int, list[Link]] = defaultdict(list)
        for link in links:
            self._out[link.source].append(link)
            if link.target is not None:
                self._in[link.target].append(link)
        self._tf = {p.id: Counter(_terms(p.title + " " + p.text)) for p in self.pages}
        df: Counter[str] = Counter()
        for tf in self._tf.values():
            df.update(tf.keys())
        n = max(1, len(self.pages))
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}

    @classmethod
    def from_records(cls, pages: Iterable[dict[str, Any]]) -> MemoryCorpus:
        """Build from dicts with ``url``, ``title``, ``text``, optional ``language`` and ``links``
        (a list of ``{"url", "anchor"}`` or URL strings); link targets are resolved by URL or title."""
        rows = list(pages)
        plist = [
            Page(i, r["url"], r["title"], r.get("text", ""), r.get("language", "en"))
            for i, r in enumerate(rows)
        ]
        by_url = {p.url: p.id for p in plist}
        by_title = {p.title.lower(): p.id for p in plist}
        links: list[Link] = []
        for p, r in zip(plist, rows, strict=True):
            for ln in r.get("links", []) or []:
                url = ln if isinstance(ln, str) else ln.get("url", "")
                anchor = "" if isinstance(ln, str) else ln.get("anchor", "")
                tgt = by_url.get(url, by_title.get(url.lower()))
                ctx = ""
                if anchor and anchor in p.text:
                    i = p.text.index(anchor)
                    s = p.text.rfind(".", 0, i) + 1
                    e = p.text.find(".", i)
                    ctx = p.text[s : (e + 1 if e >= 0 else len(p.text))].strip()
                links.append(Link(p.id, tgt, url, anchor, ctx))
        return cls(plist, links)

    def __len__(self) -> int:
        return len(self.pages)

    def page_ids(self) -> Iterator[int]:
        return (p.id for p in self.pages)

    def get(self, key: int | str) -> Page | None:
        if isinstance(key, int):
            return self._by_id.get(key)
        return self._by_url.get(key) or self._by_title.get(key.lower())

    def out_links(self, page_id: int) -> list[Link]:
        return list(self._out.get(page_id, []))

    def in_links(self, page_id: int) -> list[Link]:
        return list(self._in.get(page_id, []))

    def search(self, query: str, top_k: int = 10) -> list[CorpusHit]:
        q = set(_terms(query))
        scored = []
        for p in self.pages:
            tf = self._tf[p.id]
            s = sum((1 + math.log(tf[t])) * self._idf.get(t, 0.0) for t in q if tf.get(t))
            if s > 0:
                scored.append((s, p))
        scored.sort(key=lambda x: (-x[0], x[1].id))
        return [CorpusHit(p.id, p.url, p.title, p.text[:200], s) for s, p in scored[:top_k]]
