"""Topological expansion: gather ``k`` linked pages around a seed.

The paper's subgraph is a one-hop star: the seed plus ``k`` of its out-neighbours. We keep that as the
core and add, within a separate budget, a second hop (neighbours of neighbours) for entities related to
the seed only indirectly. Neighbours are picked at random, or by how informative the link is: a link
whose surrounding sentence is long and specific (dates, numbers, names) gives the extractor a fact to
ground, while a bare navigation link gives nothing.
"""

from __future__ import annotations

import math
import random
import re

from openseeker.corpus.base import Corpus, Link
from openseeker.synth.config import ExpandConfig
from openseeker.synth.records import SubgraphNode, WebSubgraph
from openseeker.synth.seeds import is_list_like

_NUMBER = re.compile(r"\d")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b|\d{3,4}年")
_CAPWORD = re.compile(r"\b[A-Z][a-z]+")


class ExpansionError(Exception):
    """Too few usable neighbours; ``reason`` is the rejection reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


def link_informativeness(link: Link) -> float:
    """A score of how much a link's context sentence can say about the relation (higher is better)."""
    ctx = link.context or ""
    if not ctx:
        return 0.0
    score = math.log1p(min(len(ctx), 400))
    if _YEAR.search(ctx):
        score += 1.5
    elif _NUMBER.search(ctx):
        score += 0.8
    score += 0.2 * min(5, len(_CAPWORD.findall(ctx)))
    if link.anchor and link.anchor.lower() not in ctx.lower():
        score -= 0.5  # the anchor is not in its own context: the context is probably wrong
    return score


def _candidates(corpus: Corpus, page_id: int, exclude: set[int], cfg: ExpandConfig) -> list[Link]:
    """One link per distinct usable target, the best-context link when a target is linked several times."""
    best: dict[int, Link] = {}
    for ln in corpus.out_links(page_id):
        t = ln.target
        if t is None or t in exclude:
            continue
        if t not in best or link_informativeness(ln) > link_informativeness(best[t]):
            best[t] = ln
    out = []
    for t, ln in best.items():
        if cfg.skip_list_pages:
            page = corpus.get(t)
            if page is None or is_list_like(page):
                continue
        out.append(ln)
    return out


def _pick(links: list[Link], n: int, strategy: str, rng: random.Random) -> list[Link]:
    links = sorted(links, key=lambda ln: ln.target or 0)  # a stable order before any randomness
    if strategy == "random":
        return rng.sample(links, min(n, len(links)))
    # informative: best first, ties broken randomly (but reproducibly)
    keyed = [(-link_informativeness(ln), rng.random(), ln) for ln in links]
    keyed.sort(key=lambda x: (x[0], x[1]))
    return [ln for _, _, ln in keyed[:n]]


def expand(corpus: Corpus, seed_id: int, k: int, cfg: ExpandConfig, rng: random.Random) -> WebSubgraph:
    """Build the web subgraph of a seed: ``k`` out-neighbours, plus ``cfg.second_hop`` pages one hop further.

    Raises:
        ExpansionError: ``expand:seed_missing`` or ``expand:too_few_neighbours``.
    """
    seed = corpus.get(seed_id)
    if seed is None:
        raise ExpansionError("expand:seed_missing", f"page {seed_id} is not in the corpus")
    nodes = [SubgraphNode(seed.id, seed.title, seed.url, hop=0)]
    taken = {seed.id}
    first = _pick(_candidates(corpus, seed.id, taken, cfg), k, cfg.strategy, rng)
    if len(first) < max(1, cfg.min_neighbours):
        raise ExpansionError(
            "expand:too_few_neighbours", f"{len(first)} usable out-neighbours, need {cfg.min_neighbours}"
        )
    for ln in first:
        page = corpus.get(ln.target) if ln.target is not None else None
        if page is None:
            continue
        taken.add(page.id)
        nodes.append(
            SubgraphNode(
                page.id,
                page.title,
                page.url,
                1,
                seed.id,
                ln.anchor,
                ln.context,
                round(link_informativeness(ln), 3),
            )
        )
    budget = cfg.second_hop
    if budget > 0:
        # Spread the budget over the first-hop pages in turn so one hub does not take all of it.
        pools = {
            n.page_id: _pick(_candidates(corpus, n.page_id, taken, cfg), budget, cfg.strategy, rng)
            for n in nodes[1:]
        }
        while budget > 0 and any(pools.values()):
            for src, pool in pools.items():
                while pool and budget > 0:
                    ln = pool.pop(0)
                    if ln.target in taken or ln.target is None:
                        continue
                    page = corpus.get(ln.target)
                    if page is None:
                        continue
                    taken.add(page.id)
                    nodes.append(
                        SubgraphNode(
                            page.id,
                            page.title,
                            page.url,
                            2,
                            src,
                            ln.anchor,
                            ln.context,
                            round(link_informativeness(ln), 3),
                        )
                    )
                    budget -= 1
                    break
    return WebSubgraph(nodes)
