"""English page templates. Every fact sentence names the entities it is about (no pronouns), so each
sentence is self-contained evidence."""

from __future__ import annotations

from openseeker.worldgen.model import Entity
from openseeker.worldgen.names_en import article
from openseeker.worldgen.render import Context, Sentence, say

KIND = {
    "university": "university",
    "company": "company",
    "society": "learned society",
    "museum": "museum",
    "orchestra": "orchestra",
    "publisher": "publishing house",
    "novel": "novel",
    "symphony": "symphony",
    "opera": "opera",
    "painting": "painting",
    "treatise": "treatise",
    "film": "film",
    "expedition": "expedition",
    "congress": "congress",
    "exhibition": "exhibition",
    "treaty": "treaty",
    "festival": "festival",
    "strike": "strike",
}
UNIT = {
    "university": "students",
    "company": "employees",
    "society": "members",
    "museum": "staff",
    "orchestra": "musicians",
    "publisher": "employees",
}
_VERB = {
    "novel": "wrote the novel",
    "symphony": "composed the symphony",
    "opera": "composed the opera",
    "painting": "painted",
    "treatise": "wrote the treatise",
    "film": "directed the film",
}
_FILLER = {
    "person": [
        "Contemporaries described the work of {n} as meticulous and restless.",
        "Letters of {n} survive in several private collections.",
        "Much of the early life of {n} is known only from later accounts.",
    ],
    "city": [
        "{n} is known for its covered markets and narrow lanes.",
        "The old quarter of {n} was rebuilt twice.",
    ],
    "country": ["{n} has a long coastline and a mountainous interior."],
    "organisation": ["The archives of the {n} are open to researchers by appointment."],
    "work": ["Critics have returned to {n} repeatedly since its first appearance."],
    "event": ["Accounts of the {n} differ in their details."],
}


def _n(v: object) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)


def person(c: Context, p: Entity) -> list[list[Sentence]]:
    """Lede (life, occupation, birthplace), education and career, works, events."""
    occ_f, b_f, d_f, city_f = (
        c.fact(p, "occupation"),
        c.fact(p, "birth_year"),
        c.fact(p, "death_year"),
        c.fact(p, "born_in"),
    )
    city = c.obj(p, "born_in")
    occ, b, d = c.value(p, "occupation"), c.value(p, "birth_year"), c.value(p, "death_year")
    lede: list[Sentence] = []
    if d is not None and c.rng.random() < 0.5:
        lede.append(
            say(
                "{p} ({b}–{d}) was {a} {o} born in {c}.",
                [b_f, d_f, occ_f, city_f],
                p=p,
                b=b,
                d=d,
                a=article(str(occ)),
                o=occ,
                c=city,
            )
        )
    else:
        tpl = c.pick(["{p} was {a} {o} born in {c} in {b}.", "Born in {c} in {b}, {p} became {a} {o}."])
        if d is None:
            tpl = "{p} is {a} {o} who was born in {c} in {b}."
        lede.append(say(tpl, [occ_f, city_f, b_f], p=p, a=article(str(occ)), o=occ, c=city, b=b))
        if d is not None:
            lede.append(say(c.pick(["{p} died in {d}.", "{p} died in the year {d}."]), [d_f], p=p, d=d))
    country = c.obj(city, "country") if city else None
    if city and country and c.rng.random() < 0.5:
        lede.append(say("{c} is a city in {k}.", [c.fact(city, "country")], c=city, k=country))
    career: list[Sentence] = []
    uni = c.obj(p, "educated_at")
    if uni:
        career.append(
            say(
                c.pick(["{p} studied at the {u}.", "{p} was educated at the {u}."]),
                [c.fact(p, "educated_at")],
                p=p,
                u=uni,
            )
        )
    mentor = c.obj(p, "student_of")
    if mentor:
        career.append(
            say(
                c.pick(["{p} trained under {m}.", "{p} was a pupil of {m}."]),
                [c.fact(p, "student_of")],
                p=p,
                m=mentor,
            )
        )
    emp = c.obj(p, "worked_for")
    if emp:
        career.append(
            say(
                c.pick(["{p} later worked for the {o}.", "{p} joined the {o}."]),
                [c.fact(p, "worked_for")],
                p=p,
                o=emp,
            )
        )
    for org, f in c.inverse(p, "founded_by"):
        hq = c.obj(org, "headquarters")
        career.append(
            say(
                "In {y}, {p} founded the {o} in {c}.",
                [f, c.fact(org, "founded_year"), c.fact(org, "headquarters")],
                y=c.value(org, "founded_year"),
                p=p,
                o=org,
                c=hq,
            )
        )
    for s, f in c.inverse(p, "student_of", 4):
        career.append(say("Among the pupils of {p} was {s}.", [f], p=p, s=s))
    works: list[Sentence] = []
    for w, f in c.inverse(p, "created_by"):
        kind, year = c.value(w, "kind"), c.value(w, "year")
        facts = [f, c.fact(w, "year"), c.fact(w, "kind")]
        if c.rng.random() < 0.5:
            works.append(say("{p} " + _VERB[str(kind)] + " {w} in {y}.", facts, p=p, w=w, y=year))
        else:
            works.append(
                say(
                    "{w}, {a} {k} by {p}, appeared in {y}.",
                    facts,
                    w=w,
                    a=article(KIND[str(kind)]),
                    k=KIND[str(kind)],
                    p=p,
                    y=year,
                )
            )
    events: list[Sentence] = []
    for ev, f in ((c.entities[f.object], f) for f in c.out[p.id].get("participated_in", []) if f.object):
        opts = ["{p} took part in the {e} in {y}.", "In {y}, {p} was part of the {e}."]
        if ev.kind == "treaty":
            opts = ["{p} signed the {e} in {y}.", "In {y}, {p} was a signatory of the {e}."]
        events.append(say(c.pick(opts), [f, c.fact(ev, "year")], p=p, e=ev, y=c.value(ev, "year")))
    if c.rng.random() < 0.4:
        events.append(say(c.pick(_FILLER["person"]), n=p))
    return [lede, career, works, events]


def city(c: Context, e: Entity) -> list[list[Sentence]]:
    k = c.obj(e, "country")
    lede = [
        say(
            c.pick(["{c} is a city in {k}.", "{c} is a city located in {k}."]),
            [c.fact(e, "country")],
            c=e,
            k=k,
        )
    ]
    for country, f in c.inverse(e, "capital"):
        lede.append(say("{c} is the capital of {k}.", [f], c=e, k=country))
    lede.append(
        say(
            c.pick(["{c} was founded in {y}.", "The city of {c} was founded in {y}."]),
            [c.fact(e, "founded_year")],
            c=e,
            y=c.value(e, "founded_year"),
        )
    )
    lede.append(
        say("{c} has a population of {n}.", [c.fact(e, "population")], c=e, n=_n(c.value(e, "population")))
    )
    people = []
    for p, f in c.inverse(e, "born_in", 6):
        people.append(
            say(
                c.pick(["{p}, {a} {o}, was born in {c}.", "The {o} {p} was born in {c}."]),
                [f, c.fact(p, "occupation")],
                p=p,
                a=article(str(c.value(p, "occupation"))),
                o=c.value(p, "occupation"),
                c=e,
            )
        )
    places = []
    for o, f in c.inverse(e, "headquarters", 5):
        places.append(say("The {o} is based in {c}.", [f], o=o, c=e))
    for ev, f in c.inverse(e, "held_in", 5):
        places.append(
            say(
                "The {v} took place in {c} in {y}.", [f, c.fact(ev, "year")], v=ev, c=e, y=c.value(ev, "year")
            )
        )
    for w, f in c.inverse(e, "set_in", 4):
        places.append(say("{c} is the setting of {w}.", [f], c=e, w=w))
    if c.rng.random() < 0.4:
        places.append(say(c.pick(_FILLER["city"]), n=e))
    return [lede, people, places]


def country(c: Context, e: Entity) -> list[list[Sentence]]:
    cap = c.obj(e, "capital")
    lede = [
        say(
            "{k} is a country with a population of {n}.",
            [c.fact(e, "population")],
            k=e,
            n=_n(c.value(e, "population")),
        ),
        say(
            c.pick(["The capital of {k} is {c}.", "{c} is the capital of {k}."]),
            [c.fact(e, "capital")],
            k=e,
            c=cap,
        ),
    ]
    cities = [
        say("{c} is a city in {k}.", [f], c=ci, k=e) for ci, f in c.inverse(e, "country", 10) if ci is not cap
    ]
    if c.rng.random() < 0.4:
        cities.append(say(c.pick(_FILLER["country"]), n=e))
    return [lede, cities]


def organisation(c: Context, e: Entity) -> list[list[Sentence]]:
    kind = str(c.value(e, "kind"))
    hq = c.obj(e, "headquarters")
    lede = [
        say(
            "The {o} is {a} {k} based in {c}.",
            [c.fact(e, "kind"), c.fact(e, "headquarters")],
            o=e,
            a=article(KIND[kind]),
            k=KIND[kind],
            c=hq,
        )
    ]
    founder, year = c.obj(e, "founded_by"), c.value(e, "founded_year")
    if founder:
        lede.append(
            say(
                c.pick(["The {o} was founded in {y} by {p}.", "{p} founded the {o} in {y}."]),
                [c.fact(e, "founded_year"), c.fact(e, "founded_by")],
                o=e,
                y=year,
                p=founder,
            )
        )
    else:
        lede.append(say("The {o} was founded in {y}.", [c.fact(e, "founded_year")], o=e, y=year))
    lede.append(
        say(
            "The {o} has about {n} {u}.",
            [c.fact(e, "headcount")],
            o=e,
            n=_n(c.value(e, "headcount")),
            u=UNIT[kind],
        )
    )
    people = [say("{p} studied at the {o}.", [f], p=p, o=e) for p, f in c.inverse(e, "educated_at", 6)]
    people += [say("{p} worked for the {o}.", [f], p=p, o=e) for p, f in c.inverse(e, "worked_for", 4)]
    output = [
        say("The {o} published {w} in {y}.", [f, c.fact(w, "year")], o=e, w=w, y=c.value(w, "year"))
        for w, f in c.inverse(e, "published_by", 5)
    ]
    output += [say("The {o} organised the {v}.", [f], o=e, v=ev) for ev, f in c.inverse(e, "organised_by", 4)]
    if c.rng.random() < 0.4:
        output.append(say(c.pick(_FILLER["organisation"]), n=e))
    return [lede, people, output]


def work(c: Context, e: Entity) -> list[list[Sentence]]:
    kind, year, creator = str(c.value(e, "kind")), c.value(e, "year"), c.obj(e, "created_by")
    facts = [c.fact(e, "kind"), c.fact(e, "created_by"), c.fact(e, "year")]
    tpl = c.pick(["{w} is {a} {k} by {p}, completed in {y}.", "{w} is {a} {k} by {p} from {y}."])
    lede = [say(tpl, facts, w=e, a=article(KIND[kind]), k=KIND[kind], p=creator, y=year)]
    setting = c.obj(e, "set_in")
    if setting:
        tpl = (
            "{w} depicts {c}."
            if kind == "painting"
            else c.pick(["{w} is set in {c}.", "The story of {w} is set in {c}."])
        )
        lede.append(say(tpl, [c.fact(e, "set_in")], w=e, c=setting))
    pub = c.obj(e, "published_by")
    if pub:
        lede.append(say("{w} was published by the {o}.", [c.fact(e, "published_by")], w=e, o=pub))
    more: list[Sentence] = []
    if creator:
        birth = c.obj(creator, "born_in")
        if birth:
            more.append(say("{p} was born in {c}.", [c.fact(creator, "born_in")], p=creator, c=birth))
    if c.rng.random() < 0.4:
        more.append(say(c.pick(_FILLER["work"]), n=e))
    return [lede, more]


def event(c: Context, e: Entity) -> list[list[Sentence]]:
    kind, year, place = str(c.value(e, "kind")), c.value(e, "year"), c.obj(e, "held_in")
    lede = [
        say(
            "The {v} was {a} {k} held in {c} in {y}.",
            [c.fact(e, "kind"), c.fact(e, "held_in"), c.fact(e, "year")],
            v=e,
            a=article(KIND[kind]),
            k=KIND[kind],
            c=place,
            y=year,
        )
    ]
    org = c.obj(e, "organised_by")
    if org:
        lede.append(say("The {v} was organised by the {o}.", [c.fact(e, "organised_by")], v=e, o=org))
    n = c.value(e, "attendance")
    if n is not None:
        tpl = "The {v} had {n} members." if kind == "expedition" else "About {n} people attended the {v}."
        lede.append(say(tpl, [c.fact(e, "attendance")], v=e, n=_n(n)))
    opts = ["{p} took part in the {v}.", "{p} was among the participants of the {v}."]
    if kind == "treaty":
        opts = ["{p} signed the {v}.", "{p} was among the signatories of the {v}."]
    people = [say(c.pick(opts), [f], p=p, v=e) for p, f in c.inverse(e, "participated_in")]
    if c.rng.random() < 0.4:
        people.append(say(c.pick(_FILLER["event"]), n=e))
    return [lede, people]


RENDERERS = {
    "person": person,
    "city": city,
    "country": country,
    "organisation": organisation,
    "work": work,
    "event": event,
}
JOINER = " "
