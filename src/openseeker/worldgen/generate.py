"""Generate a world, write it as a corpus source, and load it back for auditing."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError
from openseeker.io.jsonl import iter_jsonl, write_jsonl
from openseeker.worldgen import render_en, render_zh
from openseeker.worldgen.graph import build_graph
from openseeker.worldgen.model import Entity, Fact, FactMention, World, WorldPage
from openseeker.worldgen.names_en import EnglishNames
from openseeker.worldgen.names_zh import ChineseNames
from openseeker.worldgen.render import Context, assemble

LANGUAGES: dict[str, Any] = {
    "en": (EnglishNames, render_en, "https://en.openseeker-world.test/wiki/"),
    "zh": (ChineseNames, render_zh, "https://zh.openseeker-world.test/wiki/"),
}
FORMAT_VERSION = 1


def generate_world(seed: int = 0, n_pages: int = 3000, languages: Sequence[str] = ("en", "zh")) -> World:
    """Generate a fictional, hyperlinked encyclopedia whose every fact is known.

    Each language gets its own independent world (native names, own templates) of
    ``n_pages // len(languages)`` pages; the result is a pure function of the arguments.

    Args:
        seed: the random seed.
        n_pages: total number of pages over all languages.
        languages: any of ``"en"``, ``"zh"``.

    Returns:
        The :class:`World` with entities, facts, fact mentions (page + sentence) and pages.
    """
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise ConfigError(f"worldgen languages must be among {sorted(LANGUAGES)}; got {list(languages)!r}")
    per_lang = n_pages // len(languages)
    if per_lang < 20:
        raise ConfigError(f"n_pages={n_pages} is too small: at least 20 pages per language are needed")
    entities: list[Entity] = []
    facts: list[Fact] = []
    mentions: list[FactMention] = []
    pages: list[WorldPage] = []
    for lang in languages:
        names_cls, renderer, base = LANGUAGES[lang]
        # str seeds are hashed with SHA-512 by random.seed, so this is stable across processes and versions
        rng = random.Random(f"openseeker-world:{seed}:{lang}")
        graph = build_graph(lang, per_lang, rng, names_cls(rng), base)
        ctx = Context(graph.entities, graph.facts, random.Random(f"openseeker-world-text:{seed}:{lang}"))
        for e in graph.entities:
            page, ms = assemble(e, renderer.RENDERERS[e.type](ctx, e), renderer.JOINER)
            pages.append(page)
            mentions.extend(ms)
        entities.extend(graph.entities)
        facts.extend(graph.facts)
    return World(seed, entities, facts, mentions, pages)


def write_world(
    out_dir: str | Path, seed: int = 0, n_pages: int = 3000, languages: Sequence[str] = ("en", "zh")
) -> dict[str, Path]:
    """Generate a world and write it under ``out_dir``.

    Files: ``pages.jsonl`` (the corpus JSONL source format: ``url``, ``title``, ``text``, ``language``,
    ``links``), ``facts.jsonl`` (one row per fact per sentence that states it), ``entities.jsonl`` and
    ``world.json`` (parameters and counts). An existing world with the same parameters is reused.

    Returns:
        ``{"pages", "facts", "entities", "manifest"}`` -> paths.
    """
    out = Path(out_dir)
    paths = {
        "pages": out / "pages.jsonl",
        "facts": out / "facts.jsonl",
        "entities": out / "entities.jsonl",
        "manifest": out / "world.json",
    }
    params = {"format": FORMAT_VERSION, "seed": seed, "n_pages": n_pages, "languages": list(languages)}
    if paths["manifest"].exists() and all(p.exists() for p in paths.values()):
        manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
        if manifest.get("params") == params:
            return paths
    world = generate_world(seed, n_pages, languages)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(
        paths["pages"], ({k: v for k, v in p.to_dict().items() if k != "entity"} for p in world.pages)
    )
    write_jsonl(paths["facts"], (m.to_dict() for m in world.mentions))
    write_jsonl(paths["entities"], (e.to_dict() for e in world.entities.values()))
    # the manifest is written last: its presence marks a complete world (resumability)
    paths["manifest"].write_text(
        json.dumps({"params": params, "summary": world.summary()}, indent=2), encoding="utf-8"
    )
    return paths


def load_world(path: str | Path) -> World:
    """Load a world written by :func:`write_world` (the folder or any file in it)."""
    d = Path(path)
    if d.is_file():
        d = d.parent
    for name in ("entities.jsonl", "facts.jsonl"):
        if not (d / name).exists():
            raise ConfigError(f"{str(d)!r} is not a generated world: {name} is missing")
    manifest = d / "world.json"
    seed = json.loads(manifest.read_text(encoding="utf-8"))["params"]["seed"] if manifest.exists() else -1
    entities = [Entity.from_dict(r) for r in iter_jsonl(d / "entities.jsonl")]
    mentions = [FactMention.from_dict(r) for r in iter_jsonl(d / "facts.jsonl")]
    seen: dict[str, Fact] = {}
    for m in mentions:
        seen.setdefault(m.fact.key, m.fact)
    # facts that no sentence states cannot exist (every generated fact is written), so this is complete
    pages = (
        [WorldPage.from_dict(r) for r in iter_jsonl(d / "pages.jsonl")]
        if (d / "pages.jsonl").exists()
        else []
    )
    return World(seed, entities, list(seen.values()), mentions, pages)
