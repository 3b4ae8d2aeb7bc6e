"""The generated world: determinism, link integrity, facts written exactly, English and Chinese."""

from __future__ import annotations

import re
from functools import cache

import pytest

from openseeker.corpus.base import MemoryCorpus
from openseeker.errors import ConfigError
from openseeker.io.jsonl import read_jsonl
from openseeker.worldgen import World, generate_world, load_world, write_world

CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def world() -> World:
    return generate_world(seed=0, n_pages=600)


def test_deterministic_from_seed() -> None:
    a, b = generate_world(seed=3, n_pages=200), generate_world(seed=3, n_pages=200)
    assert [p.to_dict() for p in a.pages] == [p.to_dict() for p in b.pages]
    assert [f.key for f in a.facts] == [f.key for f in b.facts]
    c = generate_world(seed=4, n_pages=200)
    assert [p.title for p in a.pages] != [p.title for p in c.pages]


def test_sizes_and_types() -> None:
    w = world()
    assert len(w.pages) == 600
    s = w.summary()
    for lang in ("en", "zh"):
        types = s["by_language"][lang]
        assert set(types) == {"person", "city", "country", "organisation", "work", "event"}
        assert sum(types.values()) == 300


def test_names_unique_and_urls_unique() -> None:
    w = world()
    for lang in ("en", "zh"):
        names = [e.name for e in w.entities.values() if e.language == lang]
        assert len(names) == len(set(names))
    urls = [p.url for p in w.pages]
    assert len(urls) == len(set(urls))
    assert all(p.url.startswith(f"https://{p.language}.openseeker-world.test/wiki/") for p in w.pages)


def test_links_resolve_and_anchors_are_in_text() -> None:
    w = world()
    urls = {p.url for p in w.pages}
    for p in w.pages:
        assert p.links, p.title
        for ln in p.links:
            assert ln["url"] in urls and ln["url"] != p.url
            assert ln["anchor"] in p.text
            assert w.by_url[ln["url"]].language == p.language


def test_every_mentioned_entity_is_linked() -> None:
    w = world()
    links = {p.url: {ln["url"] for ln in p.links} for p in w.pages}
    for m in w.mentions:
        for eid in (m.subject, m.object):
            if eid and w.entities[eid].url != m.page:
                assert w.entities[eid].url in links[m.page], (m.page, m.sentence)


def test_every_fact_is_written_in_a_sentence_naming_its_entities() -> None:
    w = world()
    texts = {p.url: p.text for p in w.pages}
    written = {m.fact.key for m in w.mentions}
    assert {f.key for f in w.facts} == written
    for m in w.mentions:
        assert m.sentence in texts[m.page]
        assert m.subject_name in m.sentence
        if m.object_name is not None:
            assert m.object_name in m.sentence


def test_chains_exist_for_multi_hop_questions() -> None:
    w = world()
    rels = {(f.subject.split(":")[1], f.relation) for f in w.facts}
    for need in [
        ("person", "born_in"),
        ("city", "country"),
        ("organisation", "founded_by"),
        ("work", "created_by"),
        ("person", "participated_in"),
        ("event", "held_in"),
        ("work", "published_by"),
        ("event", "organised_by"),
        ("person", "student_of"),
    ]:
        assert need in rels, need
    # distractors: several people share a birthplace
    births: dict[str, int] = {}
    for f in w.facts:
        if f.relation == "born_in":
            births[f.object or ""] = births.get(f.object or "", 0) + 1
    assert max(births.values()) >= 3


def test_chinese_pages_are_chinese() -> None:
    w = world()
    zh = [p for p in w.pages if p.language == "zh"]
    assert zh
    for p in zh:
        assert CJK.search(p.title)
        # digits are fine; no Latin words in Chinese pages
        assert not re.search(r"[A-Za-z]{2,}", p.text), p.text
        assert "。" in p.text


def test_only_english() -> None:
    w = generate_world(seed=1, n_pages=100, languages=("en",))
    assert {p.language for p in w.pages} == {"en"} and len(w.pages) == 100


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="languages"):
        generate_world(languages=("fr",))
    with pytest.raises(ConfigError, match="too small"):
        generate_world(n_pages=10)


def test_write_load_and_corpus_roundtrip(tmp_path) -> None:
    paths = write_world(tmp_path / "w", seed=2, n_pages=120)
    rows = read_jsonl(paths["pages"])
    assert len(rows) == 120 and set(rows[0]) == {"url", "title", "text", "language", "links"}
    facts = read_jsonl(paths["facts"])
    assert {"subject", "relation", "object", "value", "page", "sentence"} <= set(facts[0])
    corpus = MemoryCorpus.from_records(rows)
    dangling = [ln for pid in corpus.page_ids() for ln in corpus.out_links(pid) if ln.target is None]
    assert not dangling
    loaded = load_world(tmp_path / "w")
    fresh = generate_world(seed=2, n_pages=120)
    assert {f.key for f in loaded.facts} == {f.key for f in fresh.facts}
    assert len(loaded.entities) == 120
    # same parameters: reused, not rewritten
    mtime = paths["pages"].stat().st_mtime_ns
    write_world(tmp_path / "w", seed=2, n_pages=120)
    assert paths["pages"].stat().st_mtime_ns == mtime


def test_load_world_rejects_other_folders(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not a generated world"):
        load_world(tmp_path)
