"""The structure of one language's world: entities and the facts that chain them together.

People are born in cities, cities lie in countries, people study at and found organisations, create
works that are set in cities and published by organisations, and take part in events held in cities and
organised by organisations. Dates are consistent (nobody founds anything before the age of 25 or after
their death; works appear within their creator's life). Attributes are drawn from small ranges on
purpose, so that many entities share a birthplace, a decade or an occupation: a question that names only
one of them is ambiguous, which is what the uniqueness audit has to catch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from openseeker.worldgen.model import Entity, Fact


class NameGen(Protocol):
    """The name generator interface shared by the English and Chinese generators."""

    def person(self) -> str: ...
    def city(self) -> str: ...
    def country(self) -> str: ...
    def organisation(self, kind: str, city: str) -> str: ...
    def work(self, kind: str) -> str: ...
    def event(self, kind: str, city: str) -> str: ...


OCCUPATIONS = (
    "novelist",
    "composer",
    "painter",
    "scientist",
    "engineer",
    "explorer",
    "politician",
    "filmmaker",
)
ORG_KINDS = {"university": 25, "company": 20, "society": 15, "museum": 10, "orchestra": 10, "publisher": 20}
EVENT_KINDS = {"expedition": 18, "congress": 20, "exhibition": 18, "treaty": 12, "festival": 18, "strike": 14}
# which works an occupation produces
WORK_KINDS = {
    "novelist": ("novel",),
    "composer": ("symphony", "opera"),
    "painter": ("painting",),
    "scientist": ("treatise",),
    "engineer": ("treatise",),
    "explorer": ("treatise",),
    "politician": ("treatise",),
    "filmmaker": ("film",),
}
_SIZE_RANGE = {
    "university": (800, 40000),
    "company": (50, 20000),
    "society": (40, 3000),
    "museum": (15, 600),
    "orchestra": (30, 120),
    "publisher": (10, 900),
}
_ATTENDANCE = {
    "expedition": (5, 80),
    "congress": (100, 3000),
    "exhibition": (10000, 2000000),
    "festival": (2000, 200000),
    "strike": (500, 50000),
}
LAST_YEAR = 2020


@dataclass
class WorldGraph:
    """Entities (in creation order) and facts of one language's world."""

    entities: list[Entity] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def _round(n: int) -> int:
    """Round a count to a plausible precision (three significant digits), as encyclopedias print them."""
    if n < 1000:
        return n
    mag = 10 ** (len(str(n)) - 3)
    return int(round(n / mag) * mag)


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _counts(n: int) -> dict[str, int]:
    """How many entities of each type a world of ``n`` entities has (with floors so tiny worlds chain)."""
    c = {
        "country": max(2, round(n * 0.015)),
        "city": max(3, round(n * 0.12)),
        "organisation": max(4, round(n * 0.15)),
        "work": max(3, round(n * 0.2)),
        "event": max(2, round(n * 0.13)),
    }
    c["person"] = max(5, n - sum(c.values()))
    return c


def build_graph(lang: str, n_entities: int, rng: random.Random, names: NameGen, base_url: str) -> WorldGraph:
    """Generate the entities and facts of one language's world.

    Args:
        lang: language code, used in entity ids (``en:person:3``).
        n_entities: the number of entities (= pages) to generate.
        rng: the random source (seeded by the caller).
        names: a name generator for this language.
        base_url: page URLs are ``base_url + slug``.
    """
    g = WorldGraph()
    counts = _counts(n_entities)
    by_type: dict[str, list[Entity]] = {t: [] for t in counts}
    facts = g.facts

    def new(type_: str, name: str, kind: str = "") -> Entity:
        slug = name.replace('"', "").replace(" ", "_")
        e = Entity(f"{lang}:{type_}:{len(by_type[type_])}", type_, name, lang, base_url + slug, kind)
        bare = name.split(" (")[0].split("（")[0]
        if bare != name:
            e.aliases.append(bare)
        by_type[type_].append(e)
        g.entities.append(e)
        return e

    def val(e: Entity, rel: str, v: str | int) -> None:
        facts.append(Fact(e.id, rel, value=v))

    def rel(e: Entity, r: str, o: Entity) -> None:
        facts.append(Fact(e.id, r, object=o.id))

    # places
    for _ in range(counts["country"]):
        c = new("country", names.country())
        val(c, "population", _round(rng.randint(400_000, 60_000_000)))
    countries = by_type["country"]
    city_country: dict[str, Entity] = {}
    for i in range(counts["city"]):
        country = countries[i] if i < len(countries) else rng.choice(countries)
        c = new("city", names.city())
        rel(c, "country", country)
        city_country[c.id] = country
        val(c, "population", _round(int(rng.lognormvariate(11.0, 1.2)) + 2000))
        val(c, "founded_year", rng.randint(900, 1850))
    cities = by_type["city"]
    for country in countries:
        # the first city generated in a country is its capital
        cap = next(c for c in cities if city_country[c.id] is country)
        rel(country, "capital", cap)

    # people
    life: dict[str, tuple[int, int]] = {}
    occupation: dict[str, str] = {}
    for i in range(counts["person"]):
        p = new("person", names.person())
        occ = OCCUPATIONS[i % len(OCCUPATIONS)] if i < len(OCCUPATIONS) else rng.choice(OCCUPATIONS)
        occupation[p.id] = occ
        born = rng.randint(1780, 1950)
        died = born + rng.randint(35, 95)
        val(p, "occupation", occ)
        val(p, "birth_year", born)
        if died <= LAST_YEAR:
            val(p, "death_year", died)
        life[p.id] = (born, min(died, LAST_YEAR))
        rel(p, "born_in", rng.choice(cities))
    people = by_type["person"]

    def alive_adult(
        year: int, min_age: int = 20, max_age: int = 80, occ: tuple[str, ...] = ()
    ) -> list[Entity]:
        out = [
            p
            for p in people
            if life[p.id][0] + min_age <= year <= min(life[p.id][1], life[p.id][0] + max_age)
        ]
        if occ:
            pref = [p for p in out if occupation[p.id] in occ]
            return pref or out
        return out

    # organisations
    founded: dict[str, int] = {}
    for i in range(counts["organisation"]):
        kind = ("university", "publisher")[i] if i < 2 else _weighted(rng, ORG_KINDS)
        hq = rng.choice(cities)
        o = new("organisation", names.organisation(kind, hq.name), kind)
        year = rng.randint(1780, 1990)
        founded[o.id] = year
        val(o, "kind", kind)
        rel(o, "headquarters", hq)
        val(o, "founded_year", year)
        founders = alive_adult(year, 25, 75)
        if founders and rng.random() < 0.85:
            rel(o, "founded_by", rng.choice(founders))
        lo, hi = _SIZE_RANGE[kind]
        val(o, "headcount", _round(rng.randint(lo, hi)))
    orgs = by_type["organisation"]

    def orgs_by(year: int, kinds: tuple[str, ...] | None = None) -> list[Entity]:
        return [o for o in orgs if founded[o.id] <= year and (kinds is None or o.kind in kinds)]

    # education, mentors and employers
    for p in people:
        born, end = life[p.id]
        unis = orgs_by(born + 18, ("university",))
        if unis and rng.random() < 0.7:
            rel(p, "educated_at", rng.choice(unis))
        mentors = [
            m
            for m in people
            if m is not p and life[m.id][0] + 15 <= born <= life[m.id][0] + 50 and life[m.id][1] >= born + 20
        ]
        same = [m for m in mentors if occupation[m.id] == occupation[p.id]]
        if (same or mentors) and rng.random() < 0.35:
            rel(p, "student_of", rng.choice(same or mentors))
        employers = orgs_by(min(end, born + 35))
        if employers and rng.random() < 0.35:
            rel(p, "worked_for", rng.choice(employers))

    # works
    for _ in range(counts["work"]):
        creator = rng.choice(people)
        kind = rng.choice(WORK_KINDS[occupation[creator.id]])
        w = new("work", names.work(kind), kind)
        born, end = life[creator.id]
        year = rng.randint(min(born + 20, end), end)
        val(w, "kind", kind)
        rel(w, "created_by", creator)
        val(w, "year", year)
        if kind in ("novel", "film", "painting", "opera") and rng.random() < 0.7:
            rel(w, "set_in", rng.choice(cities))
        pubs = orgs_by(year, ("publisher",))
        if kind in ("novel", "treatise") and pubs and rng.random() < 0.7:
            rel(w, "published_by", rng.choice(pubs))

    # events
    for _ in range(counts["event"]):
        kind = _weighted(rng, EVENT_KINDS)
        place = rng.choice(cities)
        ev = new("event", names.event(kind, place.name), kind)
        year = rng.randint(1800, 2015)
        val(ev, "kind", kind)
        rel(ev, "held_in", place)
        val(ev, "year", year)
        organisers = orgs_by(year, None if kind != "congress" else ("society", "university"))
        if organisers and kind != "treaty" and rng.random() < 0.7:
            rel(ev, "organised_by", rng.choice(organisers))
        if kind in _ATTENDANCE:
            lo, hi = _ATTENDANCE[kind]
            val(ev, "attendance", _round(rng.randint(lo, hi)))
        pref = {
            "treaty": ("politician",),
            "expedition": ("explorer", "scientist"),
            "congress": ("scientist", "engineer"),
        }.get(kind, ())
        candidates = alive_adult(year, 18, 85, pref)
        for p in rng.sample(candidates, min(len(candidates), rng.randint(1, 4))):
            facts.append(Fact(p.id, "participated_in", object=ev.id))
    return g
