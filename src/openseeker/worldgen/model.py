"""The data model of a generated world: entities, structured facts, and where each fact is written.

A world holds one sub-world per language (English and Chinese worlds are generated independently, each
with names native to its language), so entity ids carry the language (``en:person:12``). A :class:`Fact`
is a structured triple; a :class:`FactMention` is one sentence on one page that states it. Because the
generator wrote every sentence from facts, the mapping sentence -> facts is exact, which is what lets
:mod:`openseeker.worldgen.audit` measure synthesized questions without a model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from openseeker.records import Record

ENTITY_TYPES: tuple[str, ...] = ("person", "city", "country", "organisation", "work", "event")


@dataclass
class Entity(Record):
    """One thing the world knows about; each entity has exactly one page."""

    id: str
    type: str
    name: str
    language: str
    url: str
    kind: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class Fact(Record):
    """A structured fact: ``subject -relation-> object`` (an entity id) or ``-> value`` (a literal)."""

    subject: str
    relation: str
    object: str | None = None
    value: str | int | None = None

    @property
    def key(self) -> str:
        """A stable identity of the fact (the same fact written on two pages has one key)."""
        return f"{self.subject}|{self.relation}|{self.object if self.object is not None else self.value}"


@dataclass
class FactMention(Record):
    """One row of ``facts.jsonl``: a fact, the page that states it and the sentence that states it."""

    subject: str
    subject_name: str
    relation: str
    object: str | None
    object_name: str | None
    value: str | int | None
    page: str
    sentence: str
    language: str

    @property
    def fact(self) -> Fact:
        return Fact(self.subject, self.relation, self.object, self.value)


@dataclass
class WorldPage(Record):
    """A page in the corpus JSONL source format (``url``, ``title``, ``text``, ``language``, ``links``)."""

    url: str
    title: str
    text: str
    language: str
    links: list[dict[str, str]] = field(default_factory=list)
    entity: str = ""


class World:
    """A generated world with lookup indexes over entities and facts.

    Attributes:
        seed: the generator seed.
        entities: entity id -> :class:`Entity`.
        facts: every distinct structured fact.
        mentions: every (fact, page, sentence) occurrence.
        pages: the pages, in generation order.
    """

    def __init__(
        self,
        seed: int,
        entities: list[Entity],
        facts: list[Fact],
        mentions: list[FactMention],
        pages: list[WorldPage] | None = None,
    ):
        self.seed = seed
        self.entities: dict[str, Entity] = {e.id: e for e in entities}
        self.facts = facts
        self.mentions = mentions
        self.pages = pages or []
        self.by_url: dict[str, Entity] = {e.url: e for e in entities}
        self.by_name: dict[tuple[str, str], Entity] = {}
        for e in entities:
            for n in (e.name, *e.aliases):
                self.by_name.setdefault((e.language, _norm(n)), e)
        self.fact_keys = {f.key for f in facts}
        self.facts_by_subject: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            self.facts_by_subject[f.subject].append(f)
        self.mentions_by_key: dict[str, list[FactMention]] = defaultdict(list)
        for m in mentions:
            self.mentions_by_key[m.fact.key].append(m)
        # (subject, relation) -> objects/values and (relation, object/value) -> subjects, for pattern search.
        self.out: dict[tuple[str, str], set[str | int]] = defaultdict(set)
        self.inv: dict[tuple[str, str | int], set[str]] = defaultdict(set)
        for f in facts:
            o = f.object if f.object is not None else f.value
            assert o is not None
            self.out[(f.subject, f.relation)].add(o)
            self.inv[(f.relation, o)].add(f.subject)
        self.sentences: dict[str, list[FactMention]] = defaultdict(list)
        self.page_sentences: dict[str, list[str]] = defaultdict(list)
        for m in mentions:
            self.sentences[_norm(m.sentence)].append(m)
            if m.sentence not in self.page_sentences[m.page]:
                self.page_sentences[m.page].append(m.sentence)

    def languages(self) -> list[str]:
        """The languages of this world, in first-seen order."""
        return list(dict.fromkeys(e.language for e in self.entities.values()))

    def entity_by_name(self, name: str, language: str) -> Entity | None:
        """The entity called ``name`` (or with that alias) in ``language``'s sub-world."""
        return self.by_name.get((language, _norm(name)))

    def facts_of(self, entity_id: str) -> list[Fact]:
        """Facts whose subject is ``entity_id``."""
        return list(self.facts_by_subject.get(entity_id, []))

    def summary(self) -> dict[str, Any]:
        """Counts by language and entity type."""
        out: dict[str, Any] = {
            "seed": self.seed,
            "pages": len(self.pages),
            "entities": len(self.entities),
            "facts": len(self.facts),
            "mentions": len(self.mentions),
            "by_language": {},
        }
        for e in self.entities.values():
            lang = out["by_language"].setdefault(e.language, {})
            lang[e.type] = lang.get(e.type, 0) + 1
        return out


def _norm(text: str) -> str:
    """Case- and whitespace-insensitive form used to match names and evidence sentences."""
    return " ".join(str(text).split()).strip().lower().strip(".。 ")
