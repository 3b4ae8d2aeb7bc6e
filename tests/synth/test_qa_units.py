"""The QA steps one by one: seeds, expansion, excerpts and grounding, text helpers, obfuscation hints,
checks, decontamination files, prompts."""

from __future__ import annotations

import asyncio
import random
import re

import pytest

from openseeker.corpus.base import Link, MemoryCorpus, Page
from openseeker.errors import ConfigError, DataError
from openseeker.synth.checks import DecontamIndex, check_leak, check_shortcut, read_questions
from openseeker.synth.config import ExpandConfig, ExtractConfig, SeedConfig
from openseeker.synth.entities import FactOut, build_excerpts, ground_facts
from openseeker.synth.expand import ExpansionError, expand, link_informativeness
from openseeker.synth.obfuscate import blur_hints, blur_number, blur_year
from openseeker.synth.prompts import STEPS, load_prompts
from openseeker.synth.records import Fact
from openseeker.synth.seeds import is_list_like, select_seeds
from openseeker.synth.text import containment, contains_term, sentences, title_variants


def _page(title: str, text: str = "Some text about it.", lang: str = "en") -> Page:
    return Page(0, f"u/{title}", title, text, lang)


@pytest.mark.parametrize(
    "title",
    [
        "List of rivers of France",
        "Index of physics articles",
        "Mercury (disambiguation)",
        "1969",
        "1990s",
        "March 3",
        "19th century",
        "法国河流列表",
        "1969年",
        "3月5日",
        "水星 (消歧义)",
        "Category:Birds",
    ],
)
def test_list_date_and_disambiguation_titles(title):
    assert is_list_like(_page(title))


@pytest.mark.parametrize(
    "title", ["Mercury (planet)", "Listeria", "1984 (novel)", "Paris", "巴黎", "March of Dimes"]
)
def test_ordinary_titles_are_not_lists(title):
    assert not is_list_like(_page(title))


def test_disambiguation_text_en_and_zh():
    assert is_list_like(_page("Mercury", "Mercury may refer to: a planet, an element, a god."))
    assert is_list_like(_page("水星", "水星可以指：行星、元素。", "zh"))


def test_seed_selection_filters_and_reproducibility(en_corpus):
    cfg = SeedConfig(min_text_chars=20)
    a = select_seeds(en_corpus, cfg, n=5, lang="en", min_links=2, seed=1)
    assert a == select_seeds(en_corpus, cfg, n=5, lang="en", min_links=2, seed=1)
    assert a != select_seeds(en_corpus, cfg, n=5, lang="en", min_links=2, seed=2)
    titles = {en_corpus.get(i).title for i in a}
    assert "List of towns in Quellshire" not in titles and "1868" not in titles
    # growing n keeps the first seeds (a resumed run extends its inputs)
    assert select_seeds(en_corpus, cfg, n=6, lang="en", min_links=2, seed=1)[:5] == a
    assert select_seeds(en_corpus, cfg, n=5, lang="zh", min_links=2, seed=1) == []
    few = select_seeds(en_corpus, cfg, n=50, lang="en", min_links=4, seed=1)
    assert {en_corpus.get(i).title for i in few} == {"Alderbrook"}
    stubs = select_seeds(en_corpus, SeedConfig(min_text_chars=180), n=50, lang="any", min_links=1, seed=1)
    assert {en_corpus.get(i).title for i in stubs} == {"Alderbrook"}


def test_seed_include_exclude_lists(en_corpus, tmp_path):
    cfg = SeedConfig(
        min_text_chars=20, include=["Alderbrook", "River_Quell", "Port Salve"], exclude=["Port Salve"]
    )
    got = {en_corpus.get(i).title for i in select_seeds(en_corpus, cfg, n=9, lang="any", min_links=1, seed=0)}
    assert got == {"Alderbrook", "River Quell"}
    f = tmp_path / "ex.txt"
    f.write_text("# comment\nAlderbrook\n")
    cfg2 = SeedConfig(min_text_chars=20, exclude_file=str(f))
    got2 = {
        en_corpus.get(i).title for i in select_seeds(en_corpus, cfg2, n=9, lang="any", min_links=1, seed=0)
    }
    assert "Alderbrook" not in got2 and got2
    with pytest.raises(ConfigError, match="not in the corpus"):
        select_seeds(en_corpus, SeedConfig(include=["Atlantis"]), n=1, lang="any", min_links=1, seed=0)
    with pytest.raises(ConfigError, match="does not exist"):
        select_seeds(
            en_corpus,
            SeedConfig(include_file=str(tmp_path / "none.txt")),
            n=1,
            lang="any",
            min_links=1,
            seed=0,
        )


def test_expansion_one_hop_star_and_second_hop(en_corpus):
    seed = en_corpus.get("Alderbrook").id
    g = expand(en_corpus, seed, 3, ExpandConfig(strategy="random"), random.Random(0))
    assert g.seed.page_id == seed and len(g.nodes) == 4 and {n.hop for n in g.nodes[1:]} == {1}
    assert all(n.via == seed and n.anchor for n in g.nodes[1:])
    assert g == expand(en_corpus, seed, 3, ExpandConfig(strategy="random"), random.Random(0))
    g2 = expand(en_corpus, seed, 2, ExpandConfig(second_hop=2), random.Random(0))
    hop2 = [n for n in g2.nodes if n.hop == 2]
    assert len(hop2) == 2 and g2.depth == 2
    assert len({n.page_id for n in g2.nodes}) == len(g2.nodes)  # no page twice
    first = {n.page_id for n in g2.nodes if n.hop == 1}
    assert all(n.via in first for n in hop2)
    titles = {n.title for n in g2.nodes}
    assert "List of towns in Quellshire" not in titles and "1868" not in titles


def test_expansion_rejects_too_few_neighbours(en_corpus):
    seed = en_corpus.get("Brennan Hills").id  # one out-link
    with pytest.raises(ExpansionError) as e:
        expand(en_corpus, seed, 6, ExpandConfig(min_neighbours=2), random.Random(0))
    assert e.value.reason == "expand:too_few_neighbours"


def test_informative_links_first():
    rich = Link(0, 1, "u", "Quell", "The town was founded on the Quell in 1642 by Marta Venn and Tomas Hale.")
    bare = Link(0, 2, "u", "Quell", "")
    assert link_informativeness(rich) > link_informativeness(bare)
    pages = [Page(0, "a", "A", "x" * 300), Page(1, "b", "B", "y"), Page(2, "c", "C", "z")]
    corpus = MemoryCorpus(pages, [bare, rich])
    g = expand(corpus, 0, 1, ExpandConfig(strategy="informative", min_neighbours=1), random.Random(0))
    assert g.nodes[1].page_id == 1


def test_excerpts_stay_within_budget(en_corpus):
    seed = en_corpus.get("Alderbrook").id
    g = expand(en_corpus, seed, 4, ExpandConfig(), random.Random(0))
    ex = build_excerpts(en_corpus, g, ExtractConfig(page_chars=150, total_chars=500))
    assert [e.label for e in ex] == ["P0", "P1", "P2", "P3", "P4"]
    assert all(len(e.text) <= 150 for e in ex)
    assert ex[0].text.startswith("Alderbrook is a market town")


def test_grounding_keeps_found_evidence_and_counts_the_rest(en_corpus):
    seed = en_corpus.get("Alderbrook").id
    g = expand(en_corpus, seed, 2, ExpandConfig(), random.Random(0))
    ex = build_excerpts(en_corpus, g, ExtractConfig())
    facts = [
        FactOut(
            subject="Alderbrook",
            relation="founded",
            object="1642",
            evidence="the town was founded in 1642 by the weaver Marta Venn",
            page="P0",
        ),  # case and a trimmed clause: still found
        FactOut(
            subject="Alderbrook",
            relation="founded",
            object="1642",
            evidence="the town was founded in 1642 by the weaver Marta Venn",
            page="P0",
        ),  # a duplicate: ignored
        FactOut(
            subject="Alderbrook",
            relation="twin",
            object="Paris",
            evidence="Alderbrook is twinned with Paris.",
            page="P0",
        ),
        FactOut(
            subject="Alderbrook",
            relation="museum",
            object="Old Mill Museum",
            evidence="Its Old Mill Museum opened in 1971 and holds 3,400 looms.",
            page="P7",
        ),  # unknown label: searched everywhere
        FactOut(subject="", relation="r", object="o", evidence="x", page="P0"),
        FactOut(
            subject="Alderbrook",
            relation="is",
            object="Alderbrook",
            evidence="Alderbrook is a market town",
            page="P0",
        ),
        FactOut(subject="Alderbrook", relation="is", object="town", evidence="Alderbrook", page="P0"),
    ]
    kept, dropped = ground_facts(en_corpus, ex, facts, 0.85)
    assert [f.id for f in kept] == ["f1", "f2"] and kept[1].page_id == seed
    assert sorted(d["why"] for d in dropped) == [
        "empty_field",
        "evidence_not_found",
        "evidence_too_short",
        "self_loop",
    ]


def test_text_helpers():
    assert containment("The town was FOUNDED in 1642", "Intro. The town was founded in 1642 by X.") == 1.0
    assert containment("the town was founded in 1643 by x", "The town was founded in 1642 by X.") > 0.9
    assert containment("an invented sentence about nothing", "The town was founded in 1642 by X.") < 0.6
    assert containment("该镇于1642年由织工林秀创建", "青石镇是古镇。该镇于1642年由织工林秀创建。") == 1.0
    assert sentences("One. Two! 三。四？") == ["One.", "Two!", "三。", "四？"]
    assert contains_term("Which ＰＡＲＩＳ landmark?", "paris") and not contains_term(
        "Parisian food", "Paris"
    )
    assert contains_term("位于青 石 镇的", "青石镇")
    assert title_variants("Mercury_(planet)") == ["Mercury (planet)", "Mercury"]


def test_blurring():
    assert blur_year(1969) == "the late 1960s" and blur_year(1642) == "the early 1640s"
    assert blur_year(1855) == "the mid-1850s" and blur_year(1969, "zh") == "1960年代末"
    assert blur_number(3412) == "a few thousand" and blur_number(120000) == "hundreds of thousands"
    assert blur_number(3412, "zh") == "几千"
    f = Fact("f1", "Alderbrook", "museum", "Old Mill Museum", "It opened in 1971 and holds 3,400 looms.", 0)
    assert blur_hints([f], "en") == {"1971": "the early 1970s", "3,400": "a few thousand"}


def test_leak_and_shortcut_checks(en_corpus):
    assert not check_leak("Which town near ALDERBROOK's river?", ["Alderbrook"], "reject").passed
    assert check_leak("Which town near the river?", ["Alderbrook", ""], "reject").passed
    seed = en_corpus.get("Alderbrook").id
    hit = check_shortcut(en_corpus, "market town weaver looms", seed, top_k=1, depth=10, mode="reject")
    assert hit.detail["rank"] == 1 and not hit.passed
    miss = check_shortcut(en_corpus, "zebra quantum", seed, top_k=1, depth=10, mode="reject")
    assert miss.detail["rank"] is None and miss.passed


def test_decontamination_files(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"question": "Which river flows through the old market town of X?"}\n')
    (tmp_path / "b.csv").write_text(
        "id,problem\n1,Who founded the harbour city in the seventeenth century?\n"
    )
    (tmp_path / "c.txt").write_text("哪位织工在十七世纪创建了这座古镇？\n")
    qs = [q for p in ("a.jsonl", "b.csv", "c.txt") for q in read_questions(tmp_path / p)]
    assert len(qs) == 3
    idx = DecontamIndex(qs, n=4)
    assert idx.overlap("Tell me: which river flows through the old market town of X?") > 0.5
    assert idx.overlap("An unrelated question about birds and their songs?") == 0.0
    assert idx.check("哪位织工在十七世纪创建了这座古镇？", 0.3, "reject").passed is False
    (tmp_path / "bad.jsonl").write_text('{"question": "ok"}\n{not json\n')
    with pytest.raises(DataError, match=r"bad\.jsonl at line 2"):
        read_questions(tmp_path / "bad.jsonl")
    (tmp_path / "nofield.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no question column"):
        read_questions(tmp_path / "nofield.csv")


def test_prompts_have_versions_in_both_languages():
    for lang in ("en", "zh"):
        p = load_prompts(lang)
        assert set(p) == set(STEPS) and all(
            re.search(r"-v\d+$", x.version) and lang in x.version for x in p.values()
        )
    assert load_prompts("fr") == load_prompts("en")
    with pytest.raises(ConfigError, match="needs a value"):
        load_prompts("en")["question"].messages(answer="x")


def test_output_schemas_restrict_choices(en_corpus):
    """Evidence must be one of the shown sentences, pages one of the labels, fact ids existing ones."""
    asyncio.run(_schemas(en_corpus))


async def _schemas(en_corpus):
    from openseeker.llm import ScriptedLLM
    from openseeker.synth.entities import extract_entity_subgraph
    from openseeker.synth.question import generate_question

    from .conftest import Script

    script = Script()
    llm = ScriptedLLM(fn=script)
    seed = en_corpus.get("Alderbrook").id
    g = expand(en_corpus, seed, 3, ExpandConfig(), random.Random(0))
    p = load_prompts("en")
    sub, *_ = await extract_entity_subgraph(
        llm, p["extract"], en_corpus, g, "Alderbrook", ExtractConfig(), temperature=0.0, scope="t"
    )
    fact = llm.requests[0].config.json_schema["$defs"]["FactOut"]["properties"]
    assert fact["page"]["enum"] == ["P0", "P1", "P2", "P3"]
    assert "Alderbrook is a market town on the River Quell." in fact["evidence"]["enum"]
    await generate_question(
        llm, p["question"], sub, "Alderbrook", min_edges=2, max_tokens=100, temperature=0.0, scope="t"
    )
    ids = llm.requests[1].config.json_schema["properties"]["fact_ids"]["items"]["enum"]
    assert ids == [f.id for f in sub.facts]
    # the cached base schema is untouched
    from openseeker.synth.entities import ExtractionOut
    from openseeker.synth.structured import schema_of

    assert "enum" not in schema_of(ExtractionOut)["$defs"]["FactOut"]["properties"]["evidence"]
