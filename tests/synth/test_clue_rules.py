"""Clue-truth rules: reading descriptions (English and Chinese), judging them against grounded facts, and
prompt-echo detection."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.clues.parse import parse
from openseeker.synth.clue_check import check_clue_truth, literal_profile, profile_from_facts, type_hint
from openseeker.synth.echo import PromptEcho, prompt_echo
from openseeker.synth.obfuscate import blur_number, blur_year
from openseeker.synth.prompts import Prompt
from openseeker.synth.records import Fact


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_blurred_hint_reads_back_as_a_range_containing_its_value(lang):
    # the obfuscation hints are ours: the rules must accept each of them for the value it blurs
    for year in range(900, 2021):
        dates = parse(blur_year(year, lang)).dates
        assert len(dates) == 1 and dates[0].lo <= year <= dates[0].hi, (year, blur_year(year, lang), dates)
    for value in [
        1,
        7,
        12,
        84,
        99,
        100,
        640,
        3412,
        9999,
        12_300,
        120_000,
        999_999,
        2_500_000,
        45_000_000,
        3e9,
    ]:
        amounts = parse(blur_number(value, lang)).amounts
        assert len(amounts) == 1 and amounts[0].lo <= value <= amounts[0].hi, (
            value,
            blur_number(value, lang),
        )


PARSES = [
    ("a 19th-century French chemist", "chemist", (1800, 1900), None, ["french"]),
    ("a company that used to print books", "company", None, None, ["used", "print", "books"]),
    ("a river town on the coast", "town", None, None, ["river", "coast"]),
    ("a town founded in the early 1640s", "town", (1640, 1644), None, ["founded"]),
    ("a harbour city of about 120,000 people", "city", None, (80_000, 180_000), ["harbour", "people"]),
    ("the birthplace of a painter", "birthplace", None, None, ["painter"]),
    ("an entity", None, None, None, []),
    ("一位十九世纪的法国化学家", "化学家", (1800, 1899), None, ["法国"]),
    ("一座由织工创建的古镇", "古镇", None, None, ["织工", "创建"]),
    ("约12万人口的港口城市", "城市", None, (80_000, 180_000), ["人口", "港口"]),
    ("二十世纪六十年代末", None, (1966, 1969), None, []),
]


@pytest.mark.parametrize(("text", "head", "date", "amount", "rest"), PARSES, ids=[p[0] for p in PARSES])
def test_descriptions_are_read_into_claims(text, head, date, amount, rest):
    c = parse(text)
    assert (c.head.word if c.head else None) == head
    assert [(round(d.lo), round(d.hi)) for d in c.dates] == ([date] if date else [])
    assert [(round(a.lo), round(a.hi)) for a in c.amounts] == ([amount] if amount else [])
    assert c.residual == rest


def test_a_date_after_a_verb_is_tied_to_that_fact_only_when_it_qualifies_the_head():
    assert parse("a town founded in the early 1640s").dates[0].cue == "founded"
    assert parse("the birthplace of a painter born in the 1820s").dates[0].cue is None
    assert parse("一座1640年代初创建的古镇").dates[0].cue == "founded"


EN_FACTS = [
    Fact("f1", "Alderbrook", "founded by", "Marta Venn", "The town was founded in 1642 by the weaver Marta Venn.", 1, "Alderbrook"),
    Fact("f2", "Alderbrook", "lies on", "River Quell", "Alderbrook is a market town on the River Quell.", 1, "Alderbrook"),
    Fact("f3", "Old Mill Museum", "holds", "3,400 looms", "Its Old Mill Museum opened in 1971 and holds 3,400 looms.", 1, "Alderbrook"),
    Fact("f4", "Marta Venn", "born in", "Port Salve", "Marta Venn was a weaver born in 1611 in Port Salve.", 3, "Marta Venn"),
    Fact("f5", "Port Salve", "has", "120,000 people", "Port Salve is a harbour city of about 120,000 people.", 7, "Port Salve"),
    Fact("f6", "Iskia", "publishes", "Yarridge Press", "The Yarridge Press has printed books in Iskia since 1820.", 8, "Iskia"),
    Fact("f7", "Torhaven", "hosts", "College of Belhaven", "The College of Belhaven moved to Torhaven in 1880.", 9, "Torhaven"),
]  # fmt: skip
LEDES = {
    "River Quell": "The River Quell is a river of 84 kilometres that rises in the Brennan Hills.",
    "Iskia": "Iskia is a city in Norvia.",
    "Torhaven": "Torhaven is a port town on the Amber Coast.",
}
CLUES = [
    # true
    ("Marta Venn", "a weaver born in the early 1610s", "true"),
    ("Marta Venn", "a woman who founded a town in the 1640s", "true"),
    ("River Quell", "a river of several dozen kilometres", "true"),
    ("Old Mill Museum", "a museum that opened in the early 1970s", "true"),
    ("Port Salve", "a harbour city of about a hundred thousand people", "true"),
    ("3,400 looms", "a few thousand looms", "true"),
    ("1642", "the early 1640s", "true"),
    ("Marta Venn", "an entity", "true"),
    # the failures the issue reports: a prompt example copied onto unrelated entities
    ("College of Belhaven", "a 19th-century French chemist", "false"),
    ("Yarridge Press", "a 19th-century French chemist, a publisher", "false"),
    ("Iskia", "a company that used to print books", "false"),
    ("Torhaven", "a 19th-century French institution", "false"),
    # false by date, number, type, name
    ("Old Mill Museum", "a museum founded in the 1850s", "false"),
    ("Port Salve", "a city of a few thousand", "false"),
    ("3,400 looms", "several hundred looms", "false"),
    ("1642", "the late 1960s", "false"),
    ("River Quell", "a lake", "false"),
    ("Marta Venn", "a weaver from Torhaven", "false"),
    ("River Quell", "Alderbrook", "false"),  # another entity's name as the description
    ("Port Salve", "Port Salve is a company", "false"),  # its own name, then what it is
    ("Port Salve", "a harbour city, a company", "false"),  # every head in apposition must hold
    ("Alderbrook", "Marta Venn (weaver)", "false"),
    # what the facts do not say is undecided, never true
    ("Old Mill Museum", "a textile museum", "undecided"),
    ("Marta Venn", "a weaver born in Alderbrook", "undecided"),
    ("Marta Venn", "a 17th-century French weaver", "undecided"),
]


@pytest.mark.parametrize(("entity", "description", "verdict"), CLUES, ids=[f"{c[0]}: {c[1]}" for c in CLUES])
def test_each_description_is_judged_against_the_grounded_facts(entity, description, verdict):
    out = asyncio.run(check_clue_truth({entity: description}, EN_FACTS, mode="reject", ledes=LEDES))
    clue = out.detail["clues"][0]
    assert clue["verdict"] == verdict, clue
    assert out.passed is {"true": True, "false": False, "undecided": None}[verdict]
    if verdict == "false":
        assert out.detail["false"] == [{"entity": entity, "description": description, "why": clue["why"]}]


ZH_FACTS = [
    Fact(
        "f1",
        "青石镇",
        "创建者",
        "林秀",
        "青石镇是位于白河畔的一座古镇。该镇于1642年由织工林秀创建。",
        1,
        "青石镇",
    ),
    Fact("f2", "林秀", "出生地", "盐港", "林秀是一位织工，1611年生于盐港。", 3, "林秀"),
    Fact("f3", "盐港", "人口", "12万", "盐港是一座约有12万人口的港口城市。", 7, "盐港"),
]


@pytest.mark.parametrize(
    ("entity", "description", "verdict"),
    [
        ("林秀", "一位1610年代初出生的织工", "true"),
        ("盐港", "一座有十几万人口的港口城市", "true"),
        ("盐港", "一座约有几千人口的港口城市", "false"),
        ("林秀", "一位十九世纪的法国化学家", "false"),
        ("青石镇", "一家曾经印刷书籍的公司", "false"),
        ("林秀", "一位法国织工", "undecided"),
        ("林秀", "盐港", "false"),
    ],
)
def test_chinese_descriptions(entity, description, verdict):
    out = asyncio.run(check_clue_truth({entity: description}, ZH_FACTS, mode="reject", lang="zh"))
    assert out.detail["clues"][0]["verdict"] == verdict, out.detail


def test_profiles_and_type_hints():
    venn = profile_from_facts("Marta Venn", EN_FACTS)
    assert venn.occupations == {"weaver"} and ("person", None) in venn.types
    assert type_hint(venn, "en") == "person, weaver"
    assert type_hint(profile_from_facts("Port Salve", EN_FACTS), "en").startswith("city")
    assert type_hint(profile_from_facts("Yarridge Press", EN_FACTS), "en") == "publisher"  # from its name
    assert type_hint(profile_from_facts("林秀", ZH_FACTS), "zh") == "人物、织工"
    assert literal_profile("1642").years == [(1642, 1642)] and literal_profile("12万").numbers == [120_000]
    assert literal_profile("3,400 looms").numbers == [3400] and literal_profile("Port Salve") is None


def test_prompt_echo_finds_copied_example_phrases_and_instructions():
    old = Prompt(
        "obfuscate",
        "v1",
        "You blur names.",
        'replace names by categories (a person -> "a 19th-century French chemist")',
    )
    echo = PromptEcho([old])
    assert echo.fragments("a 19th-century French chemist, a publisher") == ["a 19th century french chemist"]
    assert echo.fragments("a weaver born in the 1610s") == []
    q = "Which town on a river, founded by a weaver? Replace each entity by its description, keeping the chain."
    assert prompt_echo("en", words=5).fragments(q) == ["replace each entity by its description"]
    assert (
        prompt_echo("en", words=5).fragments("Which town on a river was founded by a weaver in the 1640s?")
        == []
    )
    assert prompt_echo("zh", chars=8).fragments("哪座古镇？保留问题的全部线索以及唯一答案") == [
        "保留问题的全部线索以及唯一答案"
    ]
