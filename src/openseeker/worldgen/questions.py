"""Template questions straight from the world's known facts (no model): multi-hop, blurred, unique.

For a seed entity, clauses are drawn from its fact chains (a person "was born in a city of Norvia",
"trained under a composer born in the 1820s"; a work "was published by a house founded in the 1850s").
Numbers are blurred the way obfuscation blurs them (years to decades); countries and some cities are
named, everything else is described. Clauses are added until the exact audit
(:meth:`openseeker.worldgen.audit.Auditor.count_matches`, blurred values) finds exactly one matching
entity, so every question is answerable and unique by construction, and its record carries the evidence
sentences in the QA record layout. They give downstream stages real questions when a small model yields
none, and serve as a reference point for synthesized questions.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Any

from openseeker.worldgen.audit import Auditor
from openseeker.worldgen.model import Entity, Fact, World
from openseeker.worldgen.names_en import article
from openseeker.worldgen.names_zh import KIND_ZH, OCCUPATION_ZH
from openseeker.worldgen.render_en import KIND as KIND_EN

Clause = tuple[str, str, list[Fact]]  # english text, chinese text, facts
NOUN = {
    "en": {"person": "person", "work": "work", "organisation": "organisation", "event": "event"},
    "zh": {"person": "人物", "work": "作品", "organisation": "机构", "event": "事件"},
}
MAX_CLAUSES = 4


def _decade(v: Any) -> int:
    return int(v) // 10 * 10


class _Clauses:
    """Clause builders over one world (each returns ``None`` when the seed lacks the facts)."""

    def __init__(self, world: World):
        self.w = world

    def fact(self, e: Entity | str, rel: str) -> Fact | None:
        eid = e if isinstance(e, str) else e.id
        return next((f for f in self.w.facts_by_subject.get(eid, []) if f.relation == rel), None)

    def obj(self, f: Fact | None) -> Entity | None:
        return self.w.entities[f.object] if f is not None and f.object else None

    def city_country(self, city: Entity) -> tuple[Fact, Entity] | None:
        f = self.fact(city, "country")
        k = self.obj(f)
        return (f, k) if f and k else None

    def person(self, p: Entity) -> list[Clause]:
        out: list[Clause] = []
        occ, born = self.fact(p, "occupation"), self.fact(p, "birth_year")
        if occ:
            o = str(occ.value)
            out.append((f"was {article(o)} {o}", f"是一位{OCCUPATION_ZH[o]}", [occ]))
        if born:
            d = _decade(born.value)
            out.append((f"was born in the {d}s", f"生于{d}年代", [born]))
        bi = self.fact(p, "born_in")
        city = self.obj(bi)
        if bi and city and (ck := self.city_country(city)):
            out.append((f"was born in a city of {ck[1].name}", f"出生在{ck[1].name}的一座城市", [bi, ck[0]]))
        edu = self.fact(p, "educated_at")
        uni = self.obj(edu)
        if edu and uni and (fy := self.fact(uni, "founded_year")):
            d = _decade(fy.value)
            out.append(
                (
                    f"studied at an institution founded in the {d}s",
                    f"曾就读于一所创立于{d}年代的学府",
                    [edu, fy],
                )
            )
        mentor_f = self.fact(p, "student_of")
        mentor = self.obj(mentor_f)
        if (
            mentor_f
            and mentor
            and (mo := self.fact(mentor, "occupation"))
            and (mb := self.fact(mentor, "birth_year"))
        ):
            o, d = str(mo.value), _decade(mb.value)
            out.append(
                (
                    f"trained under {article(o)} {o} born in the {d}s",
                    f"师从一位生于{d}年代的{OCCUPATION_ZH[o]}",
                    [mentor_f, mo, mb],
                )
            )
        for org_id in sorted(self.w.inv.get(("founded_by", p.id), set())):
            org = self.w.entities[org_id]
            fb, kind, hq = (
                self.fact(org, "founded_by"),
                self.fact(org, "kind"),
                self.fact(org, "headquarters"),
            )
            c = self.obj(hq)
            if fb and kind and hq and c:
                k = str(kind.value)
                out.append(
                    (
                        f"founded {article(KIND_EN[k])} {KIND_EN[k]} based in {c.name}",
                        f"创办了一家总部位于{c.name}的{KIND_ZH[k]}",
                        [fb, kind, hq],
                    )
                )
                break
        for w_id in sorted(self.w.inv.get(("created_by", p.id), set())):
            wk = self.w.entities[w_id]
            cb, kind, yr = self.fact(wk, "created_by"), self.fact(wk, "kind"), self.fact(wk, "year")
            if cb and kind and yr:
                k, d = str(kind.value), _decade(yr.value)
                out.append(
                    (
                        f"created {article(KIND_EN[k])} {KIND_EN[k]} in the {d}s",
                        f"在{d}年代创作了一部{KIND_ZH[k]}",
                        [cb, kind, yr],
                    )
                )
                break
        for f in self.w.facts_by_subject.get(p.id, []):
            if f.relation == "participated_in" and f.object:
                ev = self.w.entities[f.object]
                kind, held = self.fact(ev, "kind"), self.fact(ev, "held_in")
                c = self.obj(held)
                if kind and held and c:
                    k = str(kind.value)
                    en, zh = (
                        f"took part in {article(KIND_EN[k])} {KIND_EN[k]} held in {c.name}",
                        f"参加过在{c.name}举行的一次{KIND_ZH[k]}",
                    )
                    if k == "treaty":
                        en, zh = f"signed a treaty concluded in {c.name}", f"签署过在{c.name}缔结的一项条约"
                    out.append((en, zh, [f, kind, held]))
                    break
        return out

    def work(self, wk: Entity) -> list[Clause]:
        out: list[Clause] = []
        kind, yr = self.fact(wk, "kind"), self.fact(wk, "year")
        if kind and yr:
            k, d = str(kind.value), _decade(yr.value)
            out.append(
                (
                    f"is {article(KIND_EN[k])} {KIND_EN[k]} from the {d}s",
                    f"是一部{d}年代的{KIND_ZH[k]}",
                    [kind, yr],
                )
            )
        cb = self.fact(wk, "created_by")
        p = self.obj(cb)
        if (
            cb
            and p
            and (occ := self.fact(p, "occupation"))
            and (bi := self.fact(p, "born_in"))
            and (c := self.obj(bi))
        ):
            o = str(occ.value)
            out.append(
                (
                    f"was created by {article(o)} {o} born in {c.name}",
                    f"出自一位生于{c.name}的{OCCUPATION_ZH[o]}之手",
                    [cb, occ, bi],
                )
            )
        si = self.fact(wk, "set_in")
        city = self.obj(si)
        if si and city and (ck := self.city_country(city)):
            out.append((f"is set in a city of {ck[1].name}", f"以{ck[1].name}的一座城市为背景", [si, ck[0]]))
        pb = self.fact(wk, "published_by")
        pub = self.obj(pb)
        if pb and pub and (fy := self.fact(pub, "founded_year")):
            d = _decade(fy.value)
            out.append(
                (
                    f"was published by a house founded in the {d}s",
                    f"由一家创立于{d}年代的出版社出版",
                    [pb, fy],
                )
            )
        return out

    def organisation(self, o: Entity) -> list[Clause]:
        out: list[Clause] = []
        kind, hq = self.fact(o, "kind"), self.fact(o, "headquarters")
        c = self.obj(hq)
        if kind and hq and c and (ck := self.city_country(c)):
            k = str(kind.value)
            out.append(
                (
                    f"is {article(KIND_EN[k])} {KIND_EN[k]} based in a city of {ck[1].name}",
                    f"是一家总部位于{ck[1].name}某城市的{KIND_ZH[k]}",
                    [kind, hq, ck[0]],
                )
            )
        if fy := self.fact(o, "founded_year"):
            d = _decade(fy.value)
            out.append((f"was founded in the {d}s", f"创立于{d}年代", [fy]))
        fb = self.fact(o, "founded_by")
        p = self.obj(fb)
        if fb and p and (occ := self.fact(p, "occupation")) and (b := self.fact(p, "birth_year")):
            oc, d = str(occ.value), _decade(b.value)
            out.append(
                (
                    f"was founded by {article(oc)} {oc} born in the {d}s",
                    f"由一位生于{d}年代的{OCCUPATION_ZH[oc]}创办",
                    [fb, occ, b],
                )
            )
        return out

    def event(self, e: Entity) -> list[Clause]:
        out: list[Clause] = []
        kind, yr = self.fact(e, "kind"), self.fact(e, "year")
        if kind and yr:
            k, d = str(kind.value), _decade(yr.value)
            out.append(
                (
                    f"was {article(KIND_EN[k])} {KIND_EN[k]} in the {d}s",
                    f"是{d}年代的一次{KIND_ZH[k]}",
                    [kind, yr],
                )
            )
        held = self.fact(e, "held_in")
        c = self.obj(held)
        if held and c and (ck := self.city_country(c)):
            out.append(
                (f"was held in a city of {ck[1].name}", f"在{ck[1].name}的一座城市举行", [held, ck[0]])
            )
        ob = self.fact(e, "organised_by")
        org = self.obj(ob)
        if ob and org and (ok := self.fact(org, "kind")) and (fy := self.fact(org, "founded_year")):
            k, d = str(ok.value), _decade(fy.value)
            out.append(
                (
                    f"was organised by {article(KIND_EN[k])} {KIND_EN[k]} founded in the {d}s",
                    f"由一家创立于{d}年代的{KIND_ZH[k]}主办",
                    [ob, ok, fy],
                )
            )
        for pid in sorted(self.w.inv.get(("participated_in", e.id), set())):
            p = self.w.entities[pid]
            pf = next(
                (
                    f
                    for f in self.w.facts_by_subject.get(pid, [])
                    if f.relation == "participated_in" and f.object == e.id
                ),
                None,
            )
            if (
                pf
                and (occ := self.fact(p, "occupation"))
                and (bi := self.fact(p, "born_in"))
                and (c2 := self.obj(bi))
            ):
                o = str(occ.value)
                out.append(
                    (
                        f"had among its participants {article(o)} {o} born in {c2.name}",
                        f"参与者中有一位生于{c2.name}的{OCCUPATION_ZH[o]}",
                        [pf, occ, bi],
                    )
                )
                break
        return out


def _join(lang: str, noun: str, clauses: list[str]) -> str:
    if lang == "zh":
        return f"哪一个{noun}{'，'.join(clauses[:-1])}{'，并且' if len(clauses) > 1 else ''}{clauses[-1]}？"
    body = ", ".join(clauses[:-1]) + (", and " if len(clauses) > 2 else " and " if len(clauses) == 2 else "")
    return f"Which {noun} {body}{clauses[-1]}?"


def template_questions(
    world: World, n: int = 12, *, seed: int = 0, languages: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Up to ``n`` unique, answerable multi-hop questions per the module docstring, as QA records.

    Args:
        world: the generated world.
        n: how many questions (spread over ``languages``).
        seed: which seeds are tried (deterministic).
        languages: default: every language of the world.
    """
    langs = list(languages or world.languages())
    auditor = Auditor(world)
    builder = _Clauses(world)
    rng = random.Random(f"openseeker-world-questions:{seed}")
    out: list[dict[str, Any]] = []
    per_lang = max(1, -(-n // len(langs)))
    for lang in langs:
        pool = sorted(
            (e for e in world.entities.values() if e.language == lang and e.type in NOUN["en"]),
            key=lambda e: e.id,
        )
        rng.shuffle(pool)
        made = 0
        for e in pool:
            if made >= per_lang or len(out) >= n:
                break
            rec = _one(e, builder, auditor, rng, world)
            if rec is not None:
                out.append(rec)
                made += 1
    return out


def _one(
    e: Entity, builder: _Clauses, auditor: Auditor, rng: random.Random, world: World
) -> dict[str, Any] | None:
    clauses: list[Clause] = getattr(builder, e.type)(e)
    if len(clauses) < 2:
        return None
    rng.shuffle(clauses)
    # multi-hop clauses (more than one fact) first, so that questions need the graph, not one page
    clauses.sort(key=lambda c: -len(c[2]))
    chosen: list[Clause] = []
    for c in clauses[:MAX_CLAUSES]:
        chosen.append(c)
        if len(chosen) < 2:
            continue
        texts = [(x[1] if e.language == "zh" else x[0]) for x in chosen]
        question = _join(e.language, NOUN[e.language][e.type], texts)
        facts = [f for x in chosen for f in x[2]]
        if auditor.count_matches(e, facts, question, fuzzy=True) == [e.id]:
            return _record(e, question, facts, world)
    return None


def _record(e: Entity, question: str, facts: list[Fact], world: World) -> dict[str, Any]:
    rows = []
    for i, f in enumerate(facts, 1):
        ms = world.mentions_by_key[f.key]
        # prefer the sentence on the subject's own page
        m = next((m for m in ms if m.page == world.entities[f.subject].url), ms[0])
        obj = world.entities[f.object].name if f.object else str(f.value)
        rows.append(
            {
                "id": f"f{i}",
                "subject": world.entities[f.subject].name,
                "relation": f.relation,
                "object": obj,
                "evidence": m.sentence,
                "page_id": -1,
                "page_title": world.by_url[m.page].name,
                "url": m.page,
            }
        )
    digest = hashlib.sha256(question.encode()).hexdigest()[:10]
    return {
        "id": f"world-{e.id.replace(':', '-')}-{digest}",
        "question": question,
        "answer": e.name,
        "aliases": list(e.aliases),
        "language": e.language,
        "seed": {"url": e.url, "title": e.name},
        "k": len({f.subject for f in facts} | {f.object for f in facts if f.object}),
        "hops": len(facts),
        "edges_used": [r["id"] for r in rows],
        "entity_subgraph": {"theme": e.name, "entities": sorted({r["subject"] for r in rows}), "facts": rows},
        "source": "world-template",
    }
