"""WideSearch table scoring: rule metrics, P/R/F1 by hand, lower-bound flag, LLM-judged columns."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.evaluate.widesearch import date_near, extract_table, number_near, score_table, url_match
from openseeker.llm import ScriptedLLM

EVAL = {
    "unique_columns": ["name"],
    "required": ["name", "year", "site"],
    "eval_pipeline": {
        "name": {"preprocess": ["norm_str"], "metric": ["exact_match"]},
        "year": {"preprocess": ["extract_number"], "metric": ["number_near"], "criterion": 0.0},
        "site": {"metric": ["url_match"]},
    },
}
GOLD = [
    {"name": "Alpha", "year": "2001", "site": "https://alpha.org"},
    {"name": "Beta", "year": "2005", "site": "https://beta.com"},
]


def run(c):
    return asyncio.run(c)


def test_extract_table_markdown_block():
    resp = "Here:\n```markdown\n| Name | Year |\n|---|---|\n| A | 1 |\n```\n| x | y |"
    assert extract_table(resp) == [{"name": "A", "year": "1"}]
    assert extract_table("no table") is None


def test_perfect_table_success():
    resp = "| Name | Year | Site |\n|--|--|--|\n| alpha | 2001 | alpha.org |\n| **Beta** | year 2005 | www.beta.com/x |"
    s = run(score_table(resp, GOLD, EVAL))
    assert s.success == 1.0 and s.f1_by_item == 1.0 and not s.lower_bound


def test_partial_table_by_hand():
    # Alpha: year right, site wrong; Gamma: not in gold. Beta missing.
    resp = "| name | year | site |\n|---|---|---|\n| Alpha | 2001 | other.org |\n| Gamma | 1999 | g.com |"
    s = run(score_table(resp, GOLD, EVAL))
    # matched rows: Alpha, cell scores: name 1, year 1, site 0 -> row 0, items 2
    assert s.success == 0.0
    assert s.precision_by_row == 0.0 and s.recall_by_row == 0.0
    assert s.precision_by_item == pytest.approx(2 / 6) and s.recall_by_item == pytest.approx(2 / 6)
    assert s.f1_by_item == pytest.approx(2 / 6)


def test_llm_judge_column_lower_bound_and_judge():
    ev = {
        "unique_columns": ["name"],
        "required": ["name", "fee"],
        "eval_pipeline": {"fee": {"metric": ["llm_judge"], "criterion": "same amount"}},
    }
    gold = [{"name": "A", "fee": "$100"}]
    resp = "| name | fee |\n|---|---|\n| A | 100 dollars |"
    s = run(score_table(resp, gold, ev))
    assert s.lower_bound and s.f1_by_item == pytest.approx(0.5)
    llm = ScriptedLLM(['```json\n{"idx_0": 1}\n```'])
    s2 = run(score_table(resp, gold, ev, llm=llm))
    assert (
        not s2.lower_bound and s2.success == 1.0 and "same amount" in llm.requests[0].messages[0]["content"]
    )


def test_missing_columns():
    s = run(score_table("| name |\n|---|\n| A |", GOLD, EVAL))
    assert s.f1_by_item == 0.0 and "do not cover" in s.msg


def test_rule_metrics():
    assert number_near("10.5", "10", 0.1) == 1.0 and number_near("12", "10", 0.1) == 0.0
    assert number_near("50%", "0.5", 0) == 1.0
    assert date_near("2020-01-01", "January 20, 2020") == 1.0 and date_near("2020-01-01", "2021-01-01") == 0.0
    assert url_match("https://www.x.com/a", "x.com") == 1.0 and url_match("", "x.com") == 0.0
