"""Template questions from the world's known facts."""

from __future__ import annotations

import re

from openseeker.worldgen import generate_world
from openseeker.worldgen.audit import audit_records
from openseeker.worldgen.questions import template_questions


def test_template_questions_are_unique_answerable_and_multi_hop() -> None:
    w = generate_world(seed=0, n_pages=400)
    qs = template_questions(w, 10, seed=0)
    assert len(qs) == 10
    assert {q["language"] for q in qs} == {"en", "zh"}
    rep = audit_records(qs, w)
    assert rep["summary"]["answerable"] == 1.0
    assert rep["summary"]["unique_fuzzy"] == 1.0 and rep["summary"]["unique_exact"] == 1.0
    for q in qs:
        assert q["answer"] not in q["question"]
        assert q["hops"] >= 3  # at least one clause goes through another entity
        facts = q["entity_subgraph"]["facts"]
        assert [f["id"] for f in facts] == q["edges_used"]
        if q["language"] == "zh":
            assert q["question"].endswith("？") and not re.search(r"[A-Za-z]{2,}", q["question"])
        else:
            assert q["question"].startswith("Which ") and q["question"].endswith("?")


def test_template_questions_are_deterministic() -> None:
    w = generate_world(seed=2, n_pages=200)
    assert template_questions(w, 6, seed=1) == template_questions(w, 6, seed=1)
    assert template_questions(w, 6, seed=1) != template_questions(w, 6, seed=2)
