"""WideSearch's LLM steps: column-name mapping (step 3), key-value alignment (step 5), recorded failures."""

from __future__ import annotations

import asyncio
import json

import pytest

from openseeker.errors import LLMTimeoutError
from openseeker.evaluate.widesearch import align_key_values, map_columns, score_table
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
    {"name": "Massachusetts Institute of Technology", "year": "1861", "site": "https://mit.edu"},
    {"name": "Beta College", "year": "2005", "site": "https://beta.com"},
]
GOOD = "| Name | Year | Site |\n|--|--|--|\n| {n} | 1861 | mit.edu |\n| Beta College | 2005 | beta.com |"


def run(c):
    return asyncio.run(c)


def reply(mapping: dict[str, str | None]) -> str:
    return "```json\n" + json.dumps({"mapping": mapping}, ensure_ascii=False) + "\n```"


def test_column_mapping_success():
    resp = (
        "| Institution | Founded | Web page |\n|--|--|--|\n"
        "| Massachusetts Institute of Technology | 1861 | mit.edu |\n| Beta College | 2005 | beta.com |"
    )
    assert run(score_table(resp, GOLD, EVAL)).lower_bound  # no LLM: exact names only
    llm = ScriptedLLM([reply({"institution": "name", "founded": "year", "webpage": "site"})])
    s = run(score_table(resp, GOLD, EVAL, llm=llm))
    assert s.success == 1.0 and s.f1_by_item == 1.0 and not s.lower_bound and not s.llm_errors
    assert s.details["column_mapping"]["mapping"] == {
        "institution": "name",
        "founded": "year",
        "webpage": "site",
    }
    (req,) = llm.requests
    prompt = req.messages[0]["content"]
    assert "- institution" in prompt and "- year" in prompt and req.scope == "widesearch-columns"
    assert req.config.json_schema is not None  # structured output: the schema goes to the backend


def test_column_mapping_failure_scores_zero_with_message():
    resp = "| Institution | Founded | Extra |\n|--|--|--|\n| Beta College | 2005 | x |"
    # "extra" is mapped onto an invented column; "site" stays missing.
    llm = ScriptedLLM([reply({"institution": "name", "founded": "year", "extra": "homepage"})])
    s = run(score_table(resp, GOLD, EVAL, llm=llm))
    assert s.f1_by_item == 0.0 and s.success == 0.0
    assert "after LLM column mapping" in s.msg and not s.lower_bound
    assert s.details["column_mapping"]["rejected"] == {"extra": "'homepage' is not a required column"}


def test_map_columns_rejects_conflicts_and_keeps_exact_names():
    llm = ScriptedLLM([reply({"a": "year", "b": "year", "name": "site", "zzz": "name"})])
    mapping, rejected = run(map_columns(llm, ["a", "b", "name"], ["name", "year", "site"]))
    assert mapping == {"a": "year"}
    assert set(rejected) == {"b", "zzz"} and "more than one" in rejected["b"]


def test_key_alignment_changes_the_join():
    resp = GOOD.format(n="MIT")
    plain = run(score_table(resp, GOLD, EVAL))
    assert plain.details["matched_rows"] == 1 and plain.lower_bound and plain.success == 0.0
    llm = ScriptedLLM([reply({"MIT": "Massachusetts Institute of Technology"})])
    s = run(score_table(resp, GOLD, EVAL, llm=llm))
    assert s.details["matched_rows"] == 2 and s.success == 1.0 and not s.lower_bound
    assert s.details["key_alignment"]["name"]["mapping"] == {"MIT": "Massachusetts Institute of Technology"}
    (req,) = llm.requests
    prompt = req.messages[0]["content"]
    # Only the values without an exact counterpart are sent; the already-matching "Beta College" is not.
    assert "- MIT" in prompt and "Beta College" not in prompt and req.scope == "widesearch-keys"


def test_key_alignment_rejects_invented_gold_values_and_skips_when_nothing_open():
    llm = ScriptedLLM([reply({"MIT": "Mass. Inst. Tech."})])
    s = run(score_table(GOOD.format(n="MIT"), GOLD, EVAL, llm=llm))
    assert s.details["matched_rows"] == 1 and s.success == 0.0
    assert "not a gold value" in s.details["key_alignment"]["name"]["rejected"]["MIT"]
    exact = ScriptedLLM(["unused"])
    s2 = run(score_table(GOOD.format(n="massachusetts institute of technology"), GOLD, EVAL, llm=exact))
    assert s2.success == 1.0 and exact.requests == []  # matched after norm_str: no LLM call


def test_two_rows_aligned_to_one_key_count_once():
    resp = GOOD.format(n="MIT") + "\n| M.I.T. | 1861 | mit.edu |"
    m = {"MIT": "Massachusetts Institute of Technology", "M.I.T.": "Massachusetts Institute of Technology"}
    s = run(score_table(resp, GOLD, EVAL, llm=ScriptedLLM([reply(m)])))
    assert s.details["pred_rows"] == 2 and s.details["matched_rows"] == 2 and s.success == 1.0


def test_llm_failures_are_recorded_not_guessed():
    garbage = ScriptedLLM(default="I cannot help with that.")
    s = run(score_table(GOOD.format(n="MIT"), GOLD, EVAL, llm=garbage))
    assert s.lower_bound and s.details["matched_rows"] == 1  # fell back to exact keys
    assert len(s.llm_errors) == 1 and s.llm_errors[0].startswith("key alignment of 'name'")
    assert "key_alignment" not in s.details and len(garbage.requests) == 3  # first try + 2 re-asks
    resp = "| Institution | Year | Site |\n|--|--|--|\n| Beta College | 2005 | beta.com |"
    s2 = run(score_table(resp, GOLD, EVAL, llm=ScriptedLLM(default="no")))
    assert s2.f1_by_item == 0.0 and s2.lower_bound and "column mapping failed" in s2.msg
    assert s2.llm_errors and s2.llm_errors[0].startswith("column mapping")
    assert s2.to_dict()["llm_errors"] == s2.llm_errors  # kept in the per-item record


def test_llm_judge_unparseable_reply_is_recorded():
    ev = {
        "unique_columns": ["name"],
        "required": ["name", "fee"],
        "eval_pipeline": {"fee": {"metric": ["llm_judge"], "criterion": "same amount"}},
    }
    s = run(
        score_table(
            "| name | fee |\n|--|--|\n| A | 100 |",
            [{"name": "A", "fee": "$100"}],
            ev,
            llm=ScriptedLLM(["???"]),
        )
    )
    assert s.lower_bound and s.llm_errors and "llm_judge of 'fee'" in s.llm_errors[0]


def test_transient_errors_propagate_for_a_retry():
    llm = ScriptedLLM([LLMTimeoutError("slow")])
    with pytest.raises(LLMTimeoutError):
        run(score_table(GOOD.format(n="MIT"), GOLD, EVAL, llm=llm))


def test_chinese_prompts():
    ev = {
        "unique_columns": ["城市"],
        "required": ["城市", "人口"],
        "eval_pipeline": {"城市": {"metric": ["exact_match"]}},
    }
    gold = [{"城市": "北京市", "人口": "2189"}]
    llm = ScriptedLLM([reply({"北京": "北京市"})])
    s = run(score_table("| 城市 | 人口 |\n|--|--|\n| 北京 | 2189 |", gold, ev, llm=llm))
    assert s.success == 1.0 and "列表 A" in llm.requests[0].messages[0]["content"]
    en = ScriptedLLM([reply({})])
    run(align_key_values(en, "city", ["Peking"], ["Beijing"], zh=False))
    assert "List A" in en.requests[0].messages[0]["content"]
