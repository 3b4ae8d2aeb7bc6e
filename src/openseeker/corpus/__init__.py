"""Corpus -> web graph: sources, page/link store, search index, local search/visit backends."""

from openseeker.corpus.base import Corpus, CorpusHit, Link, MemoryCorpus, Page

__all__ = ["Corpus", "CorpusHit", "Link", "MemoryCorpus", "Page"]
