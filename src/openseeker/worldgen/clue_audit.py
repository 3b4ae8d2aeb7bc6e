"""Clue truth measured exactly on a generated world: is each obfuscated description true of its entity?

A QA record's obfuscation map (entity -> vague description) is checked against everything the world
knows, not against what the pipeline grounded: each entity is resolved to its world entity (a year or a
number stays a literal) and its :class:`~openseeker.clues.rules.Profile` is complete: its type, kind and
occupation; its own dates (a person's whole life span), those of the entities one fact away, and which
fact each date belongs to (born, died, founded, created, held); its counts and those of its neighbours;
the names one or two facts away with the relation that links them; its page and every sentence that
mentions it as lexical evidence. The rules of :mod:`openseeker.clues.rules` then judge the description,
with one difference from the QA check: what a complete profile does not know is false (a novelist
described as "a weaver", a city described as "the birthplace" of someone born elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openseeker.clues import vocab as V
from openseeker.clues.parse import fold
from openseeker.clues.rules import Profile, judge, literal_profile
from openseeker.worldgen.model import Entity, World, _norm
from openseeker.worldgen.names_zh import KIND_ZH, OCCUPATION_ZH

# The world's relations as the relation words of openseeker.clues.vocab.RELATIONS_*.
RELATION_KIND = {
    "born_in": "born",
    "country": "located",
    "capital": "capital",
    "headquarters": "located",
    "founded_by": "founded",
    "educated_at": "studied",
    "student_of": "trained",
    "worked_for": "worked",
    "created_by": "created",
    "set_in": "set",
    "published_by": "published",
    "held_in": "held",
    "organised_by": "organised",
    "participated_in": "participated",
}
YEAR_RELATIONS = ("birth_year", "death_year", "founded_year", "year")
NUMBER_RELATIONS = ("population", "headcount", "attendance")
# A neighbour's year that a verb in the description may refer to: (cue, relation to the neighbour,
# the neighbour's year relation). "a city where a novelist was born in the 1820s" reads a birth year.
_NEIGHBOUR_CUES = (
    ("born", "born_in", "birth_year"),
    ("founded", "founded_by", "founded_year"),
    ("created", "created_by", "year"),
    ("created", "published_by", "year"),
    ("created", "set_in", "year"),
    ("held", "held_in", "year"),
    ("held", "organised_by", "year"),
    ("held", "participated_in", "year"),
)
_OWN_CUES = {
    "born": "birth_year",
    "died": "death_year",
    "founded": "founded_year",
    "created": "year",
    "held": "year",
}


class ClueAuditor:
    """Judges obfuscation maps against one :class:`World`."""

    def __init__(self, world: World, resolve: Any):
        self.w = world
        self.resolve = resolve  # (text, language) -> Entity | None, the audit's name resolution
        self._profiles: dict[str, Profile] = {}
        self.incoming: dict[str, list[tuple[str, str]]] = {}  # object id -> [(relation, subject id)]
        for f in world.facts:
            if f.object is not None:
                self.incoming.setdefault(f.object, []).append((f.relation, f.subject))
        self.sentences: dict[str, list[str]] = {}  # entity id -> the sentences that state its facts
        for m in world.mentions:
            for eid in (m.subject, m.object):
                if eid and m.sentence not in self.sentences.setdefault(eid, []):
                    self.sentences[eid].append(m.sentence)
        self.names_by_lang: dict[str, list[str]] = {}
        for e in world.entities.values():
            self.names_by_lang.setdefault(e.language, []).extend([e.name, *e.aliases])

    def _values(self, eid: str, rel: str) -> list[Any]:
        return [x for x in self.w.out.get((eid, rel), set())]

    def _neighbours(self, eid: str) -> list[tuple[str, str]]:
        """``(relation, entity id)`` one fact away, either direction."""
        out = [(f.relation, f.object) for f in self.w.facts_by_subject.get(eid, []) if f.object is not None]
        return out + self.incoming.get(eid, [])

    def profile(self, e: Entity) -> Profile:
        """The complete profile of a world entity (cached)."""
        if e.id in self._profiles:
            return self._profiles[e.id]
        p = Profile(e.name, names={fold(n) for n in (e.name, *e.aliases)}, complete=True)
        p.types.add(V.WORLD_TYPE[e.type])
        if e.kind in V.WORLD_KIND:
            p.types.add(V.WORLD_KIND[e.kind])
        words = [e.type, e.kind, KIND_ZH.get(e.kind, "")]
        for occ in self._values(e.id, "occupation"):
            p.occupations |= {str(occ), OCCUPATION_ZH.get(str(occ), str(occ))}
            words += [str(occ), OCCUPATION_ZH.get(str(occ), "")]
        own: dict[str, list[int]] = {r: [int(v) for v in self._values(e.id, r)] for r in YEAR_RELATIONS}
        p.years += [(y, y) for ys in own.values() for y in ys]
        if e.type == "person" and own["birth_year"]:
            born = own["birth_year"][0]
            p.years.append((born, own["death_year"][0] if own["death_year"] else 2020))
        for cue, rel in _OWN_CUES.items():
            p.cue_years.setdefault(cue, []).extend((y, y) for y in own[rel])
        p.numbers += [float(v) for r in NUMBER_RELATIONS for v in self._values(e.id, r)]
        text = [self._page_text(e)]
        for rel, nid in self._neighbours(e.id):
            n = self.w.entities[nid]
            kind = RELATION_KIND.get(rel)
            for name in (n.name, *n.aliases):
                p.linked.add(fold(name))
                if kind:
                    p.relations.setdefault(fold(name), set()).add(kind)
            p.years += [(int(y), int(y)) for r in YEAR_RELATIONS for y in self._values(nid, r)]
            p.numbers += [float(v) for r in NUMBER_RELATIONS for v in self._values(nid, r)]
            for cue, link, yrel in _NEIGHBOUR_CUES:
                if rel == link:
                    p.cue_years.setdefault(cue, []).extend((int(y), int(y)) for y in self._values(nid, yrel))
            words += [n.name, n.type, n.kind, KIND_ZH.get(n.kind, ""), rel.replace("_", " ")]
            for rel2, mid in self._neighbours(nid):  # two facts away: linked, relation unstated
                m = self.w.entities[mid]
                for name in (m.name, *m.aliases):
                    p.linked.add(fold(name))
                    if rel == "born_in" and rel2 == "country":  # born in a city of that country
                        p.relations.setdefault(fold(name), set()).add("born")
        text += self.sentences.get(e.id, [])
        p.text = " ".join([*text, *(w for w in words if w)])
        self._profiles[e.id] = p
        return p

    def _page_text(self, e: Entity) -> str:
        return " ".join(self.w.page_sentences.get(e.url, []))

    def judge_map(self, mapping: Mapping[str, str], language: str) -> list[dict[str, Any]]:
        """The verdict on each description of an obfuscation map (``resolved`` names the world entity)."""
        rows = []
        for ent, desc in mapping.items():
            lit = literal_profile(str(ent))
            e = None if lit is not None else self.resolve(str(ent), language)
            if lit is None and e is None:
                rows.append(
                    {"entity": ent, "description": desc, "verdict": "undecided", "resolved": None,
                     "why": ["the entity is not in the world"]}
                )  # fmt: skip
                continue
            prof = lit if lit is not None else self.profile(e) if e is not None else Profile(str(ent))
            d = fold(str(desc))
            names = [n for n in self.names_by_lang.get(language, []) if _norm(n) in d]
            v = judge(str(ent), str(desc), prof, names)
            rows.append(
                {"entity": ent, "description": desc, "verdict": v.verdict, "why": v.why,
                 "resolved": e.name if e is not None else "literal"}
            )  # fmt: skip
        return rows
