"""Turning a world graph into pages: sentences that state facts and link every entity they name.

The language modules (:mod:`.render_en`, :mod:`.render_zh`) write paragraphs as lists of
:class:`Sentence`; this module assembles them into a :class:`WorldPage` with its links and records one
:class:`FactMention` per fact a sentence states.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openseeker.worldgen.model import Entity, Fact, FactMention, WorldPage


@dataclass
class Sentence:
    """One sentence, the facts it states and the entities it names (each becomes a link)."""

    text: str
    facts: list[Fact] = field(default_factory=list)
    mentions: list[Entity] = field(default_factory=list)


def say(template: str, facts: Sequence[Fact | None] | None = None, **fields: object) -> Sentence:
    """Fill ``template``; entity-valued fields render as the entity's name and are recorded as mentions."""
    mentions = [v for v in fields.values() if isinstance(v, Entity)]
    text = template.format(**{k: (v.name if isinstance(v, Entity) else v) for k, v in fields.items()})
    return Sentence(text, [f for f in (facts or []) if f is not None], mentions)


class Context:
    """Read access to a world graph while rendering: facts by subject and by object, and the rng."""

    def __init__(self, entities: list[Entity], facts: list[Fact], rng: random.Random):
        self.rng = rng
        self.entities = {e.id: e for e in entities}
        self.out: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        self.inn: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        for f in facts:
            self.out[f.subject][f.relation].append(f)
            if f.object is not None:
                self.inn[f.object][f.relation].append(f)

    def fact(self, e: Entity, rel: str) -> Fact | None:
        """The first fact ``e -rel-> ...``."""
        fs = self.out[e.id].get(rel)
        return fs[0] if fs else None

    def value(self, e: Entity, rel: str) -> str | int | None:
        f = self.fact(e, rel)
        return f.value if f else None

    def obj(self, e: Entity, rel: str) -> Entity | None:
        f = self.fact(e, rel)
        return self.entities[f.object] if f and f.object else None

    def inverse(self, e: Entity, rel: str, limit: int | None = None) -> list[tuple[Entity, Fact]]:
        """Entities ``x`` with ``x -rel-> e``, with the fact (at most ``limit``, in id order)."""
        fs = self.inn[e.id].get(rel, [])
        out = [(self.entities[f.subject], f) for f in fs]
        return out[:limit] if limit is not None else out

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)


Renderer = Callable[[Context, Entity], list[list[Sentence]]]


def assemble(e: Entity, paragraphs: list[list[Sentence]], joiner: str) -> tuple[WorldPage, list[FactMention]]:
    """Build the page of ``e`` from its paragraphs; links are deduplicated by target URL."""
    names = {}
    mentions: list[FactMention] = []
    links: dict[str, dict[str, str]] = {}
    paras: list[str] = []
    for para in paragraphs:
        if not para:
            continue
        paras.append(joiner.join(s.text for s in para))
        for s in para:
            for m in s.mentions:
                names[m.id] = m.name
                if m.id != e.id and m.url not in links:
                    links[m.url] = {"url": m.url, "anchor": m.name}
            for f in s.facts:
                obj_name = None
                if f.object is not None:
                    obj_name = next((m.name for m in s.mentions if m.id == f.object), None)
                subj_name = next((m.name for m in s.mentions if m.id == f.subject), e.name)
                mentions.append(
                    FactMention(
                        f.subject,
                        subj_name,
                        f.relation,
                        f.object,
                        obj_name,
                        f.value,
                        e.url,
                        s.text,
                        e.language,
                    )
                )
    page = WorldPage(e.url, e.name, "\n\n".join(paras), e.language, list(links.values()), e.id)
    return page, mentions
