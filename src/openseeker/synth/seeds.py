"""Seed selection: which pages become the answers of questions.

Seeds are drawn uniformly at random (reproducible by the run's seed) among pages that pass the filters:
language, enough in-corpus out-links, not a list/index/disambiguation/date page, not a stub, and the
user's include/exclude lists. The paper samples seeds with no filter; list pages make poor answers (they
have no single central entity), so they are skipped by default.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

from openseeker.corpus.base import Corpus, Page
from openseeker.errors import ConfigError
from openseeker.synth.config import SeedConfig

_LIST_TITLE_EN = re.compile(
    r"^(list|lists|index|outline|timeline|glossary|table|bibliography|discography|filmography) of\b"
    r"|\(disambiguation\)$|^category:|^portal:|^template:|^help:|^wikipedia:",
    re.I,
)
_DATE_TITLE_EN = re.compile(
    r"^(\d{1,4}s?( (bc|bce|ad|ce))?|(january|february|march|april|may|june|july|august|september|october"
    r"|november|december)( \d{1,2})?|\d{1,2}(st|nd|rd|th) century( bc)?)$",
    re.I,
)
_LIST_TITLE_ZH = re.compile(r"列表$|一览$|索引$|年表$|大事记$|\(消歧义\)$|（消歧义）$|^分类:|^Category:")
_DATE_TITLE_ZH = re.compile(
    r"^(公元前)?\d{1,4}年(代)?$|^\d{1,2}月(\d{1,2}日)?$|^\d{1,2}世纪$|^[一二三四五六七八九十]+月$"
)
_DISAMBIG_TEXT = re.compile(
    r"\bmay (also )?refer to\b|\bcan refer to\b|\bis the name of several\b|可以指|可能指|可指", re.I
)


def is_list_like(page: Page) -> bool:
    """List, index, disambiguation or date pages (title and first-sentence heuristics, en and zh)."""
    title = page.title.replace("_", " ").strip()
    if _LIST_TITLE_EN.search(title) or _DATE_TITLE_EN.match(title):
        return True
    if _LIST_TITLE_ZH.search(title) or _DATE_TITLE_ZH.match(title):
        return True
    return bool(_DISAMBIG_TEXT.search(page.text[:300]))


def _read_list(path: str | None) -> list[str]:
    if not path:
        return []
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"Seed list file {str(p)!r} does not exist.")
    return [
        ln.strip()
        for ln in p.read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


def _resolve(corpus: Corpus, keys: Iterable[str], what: str) -> set[int]:
    ids: set[int] = set()
    missing: list[str] = []
    for k in keys:
        # titles first ("1984" is a novel before it is a page id), then ids
        page = (
            corpus.get(str(k)) or corpus.get(str(k).replace(" ", "_")) or corpus.get(str(k).replace("_", " "))
        )
        if page is None and str(k).isdigit():
            page = corpus.get(int(k))
        if page is None:
            missing.append(str(k))
        else:
            ids.add(page.id)
    if missing and what == "include":
        raise ConfigError(
            f"{len(missing)} seed(s) in the include list are not in the corpus, e.g. {missing[:3]!r}."
        )
    return ids


def linked_targets(corpus: Corpus, page_id: int) -> list[int]:
    """Distinct in-corpus out-link targets of a page, in link order, without self-links."""
    seen: dict[int, None] = {}
    for ln in corpus.out_links(page_id):
        if ln.target is not None and ln.target != page_id:
            seen.setdefault(ln.target, None)
    return list(seen)


def seed_problem(corpus: Corpus, page: Page, cfg: SeedConfig, *, lang: str, min_links: int) -> str | None:
    """Why ``page`` cannot be a seed (a short reason), or ``None`` when it can."""
    if lang != "any" and page.language != lang:
        return "language"
    if cfg.exclude_list_pages and is_list_like(page):
        return "list_page"
    if len(page.text) < cfg.min_text_chars:
        return "stub"
    if len(linked_targets(corpus, page.id)) < min_links:
        return "few_links"
    return None


def select_seeds(
    corpus: Corpus, cfg: SeedConfig, *, n: int, lang: str, min_links: int, seed: int
) -> list[int]:
    """Pick up to ``n`` seed page ids, reproducibly for a given ``seed``.

    The candidate order is a seeded shuffle of every page id, filtered lazily, so asking for more seeds
    later (a larger ``n`` with the same seed) keeps the first ones: a resumed run extends its inputs.
    """
    include = _resolve(corpus, [*cfg.include, *_read_list(cfg.include_file)], "include")
    exclude = _resolve(corpus, [*cfg.exclude, *_read_list(cfg.exclude_file)], "exclude")
    ids = sorted(include) if include else sorted(corpus.page_ids())
    random.Random(f"seeds:{seed}").shuffle(ids)
    out: list[int] = []
    for pid in ids:
        if len(out) >= n:
            break
        if pid in exclude:
            continue
        page = corpus.get(pid)
        if page is None:
            continue
        if seed_problem(corpus, page, cfg, lang=lang, min_links=min_links) is None:
            out.append(pid)
    return out
