"""The exact audit of synthesized QA records against a generated world."""

from __future__ import annotations

from functools import cache
from typing import Any

from openseeker.io.jsonl import write_jsonl
from openseeker.worldgen import World, generate_world, write_world
from openseeker.worldgen.audit import audit_records, audit_run
from openseeker.worldgen.model import Entity, FactMention


@cache
def world() -> World:
    return generate_world(seed=0, n_pages=800)


def mention(w: World, subject: str, relation: str) -> FactMention:
    return next(m for m in w.mentions if m.subject == subject and m.relation == relation)


def claim(fid: str, m: FactMention, w: World) -> dict[str, Any]:
    obj = m.object_name if m.object is not None else str(m.value)
    return {
        "id": fid,
        "subject": m.subject_name,
        "relation": m.relation.replace("_", " "),
        "object": obj,
        "evidence": m.sentence,
        "page_id": 0,
        "page_title": w.by_url[m.page].name,
    }


def work_with_setting(w: World, lang: str) -> Entity:
    return next(
        e
        for e in w.entities.values()
        if e.language == lang and e.type == "work" and w.out.get((e.id, "set_in"))
    )


def record(
    w: World, seed: Entity, claims: list[dict[str, Any]], question: str, answer: str | None = None
) -> dict:
    return {
        "id": f"q-{seed.id}",
        "question": question,
        "answer": answer or seed.name,
        "aliases": [],
        "language": seed.language,
        "seed": {"url": seed.url, "title": seed.name},
        "edges_used": [c["id"] for c in claims],
        "entity_subgraph": {"theme": seed.name, "facts": claims},
    }


def test_true_chain_is_answerable_and_unique() -> None:
    w = world()
    for lang in ("en", "zh"):
        wk = work_with_setting(w, lang)
        creator = next(iter(w.out[(wk.id, "created_by")]))
        assert isinstance(creator, str)
        claims = [
            claim("f1", mention(w, wk.id, "created_by"), w),
            claim("f2", mention(w, wk.id, "set_in"), w),
            claim("f3", mention(w, wk.id, "year"), w),
        ]
        rec = record(w, wk, claims, "Which work by a person, set in some city, appeared in some year?")
        rep = audit_records([rec], w)
        row = rep["records"][0]
        assert row["answerable"] and row["answer_is_seed"]
        assert row["evidence_in_world"] == 3 and row["evidence_supported"] == 3
        # creator + setting + exact year pin the work down (one creator rarely has two such works)
        assert row["matches_exact"] >= 1 and wk.name not in row["distractors"]
        assert rep["summary"]["answerable"] == 1.0


def test_fabricated_evidence_and_wrong_answer_are_caught() -> None:
    w = world()
    wk = work_with_setting(w, "en")
    good = claim("f1", mention(w, wk.id, "created_by"), w)
    fake = dict(
        good, id="f2", evidence=f"{wk.name} won the Golden Lantern Prize in 1901.", object="Golden Lantern"
    )
    row = audit_records([record(w, wk, [good, fake], "q")], w)["records"][0]
    assert not row["answerable"] and row["evidence_in_world"] == 1
    # a true sentence but a misread claim (wrong object) is not supported
    misread = dict(good, object="Nobody Atall")
    row = audit_records([record(w, wk, [misread], "q")], w)["records"][0]
    assert row["evidence_in_world"] == 1 and row["evidence_supported"] == 0 and not row["answerable"]
    row = audit_records([record(w, wk, [good], "q", answer="Something Else")], w)["records"][0]
    assert not row["answer_is_seed"] and not row["answerable"]


def test_weak_constraints_are_ambiguous() -> None:
    w = world()
    # a person described only by occupation and the decade of birth: many people match
    person = next(e for e in w.entities.values() if e.language == "en" and e.type == "person")
    m = mention(w, person.id, "occupation")
    claims = [claim("f1", m, w)]
    row = audit_records([record(w, person, claims, "Which person had this occupation?")], w)["records"][0]
    assert row["answerable"]
    assert row["matches_exact"] > 1 and row["unique_exact"] is False and row["distractors"]


def test_named_entities_stay_fixed_and_fuzzy_is_looser() -> None:
    w = world()
    person = next(
        e
        for e in w.entities.values()
        if e.language == "en"
        and e.type == "person"
        and w.out.get((e.id, "born_in"))
        and w.out.get((e.id, "birth_year"))
    )
    city_id = next(iter(w.out[(person.id, "born_in")]))
    assert isinstance(city_id, str)
    city = w.entities[city_id]
    claims = [
        claim("f1", mention(w, person.id, "born_in"), w),
        claim("f2", mention(w, person.id, "birth_year"), w),
    ]
    named = audit_records([record(w, person, claims, f"Who was born in {city.name}?")], w)["records"][0]
    vague = audit_records([record(w, person, claims, "Who was born in a port city?")], w)["records"][0]
    assert named["matches_exact"] <= vague["matches_exact"]
    assert named["matches_fuzzy"] >= named["matches_exact"] >= 1


def test_defensive_reading_and_run_folder(tmp_path) -> None:
    write_world(tmp_path / "world", seed=0, n_pages=120)
    w = generate_world(seed=0, n_pages=120)
    wk = next(e for e in w.entities.values() if e.type == "work")
    rows = [
        record(w, wk, [claim("f1", mention(w, wk.id, "created_by"), w)], "q"),
        {"question": "broken record"},
        {"answer": "x", "entity_subgraph": None, "seed": "not a dict"},
    ]
    write_jsonl(tmp_path / "run" / "qa" / "00000.jsonl", rows)
    rep = audit_run(tmp_path / "run", tmp_path / "world")
    assert rep["summary"]["records"] == 3
    assert rep["records"][0]["answerable"]
    assert rep["records"][1]["answerable"] is False and rep["records"][1]["matches_exact"] is None
