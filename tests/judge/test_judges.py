"""Judges: the exact-match option, every parse branch (EN/ZH), retries, unparsed verdicts, the official
label, and the ``openseeker-v1`` judge prompt."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.judge import get_judge
from openseeker.judge.llm import (
    parse_binary,
    parse_browsecomp,
    parse_confidence,
    parse_xbench,
)
from openseeker.judge.normalize import exact_match, extract_answer, extract_xbench_answer, normalize_answer
from openseeker.judge.verdict import Judge
from openseeker.llm import ScriptedLLM


def run(coro):
    return asyncio.run(coro)


# --- normalization and extraction --------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Paris", "paris"),
        ("  New   York ", "new york"),
        ("<answer>Barcelona</answer>", "Barcelona"),
        ("**Barcelona**.", "Barcelona"),
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits
        ("“巴塞罗那”。", "巴塞罗那"),  # CJK quotes and full stop
        ("１９９２年", "1992年"),
    ],
)
def test_normalize_equal(a, b):
    assert normalize_answer(a) == normalize_answer(b)


def test_normalize_keeps_differences():
    assert normalize_answer("1992") != normalize_answer("1993")
    assert normalize_answer("") == ""
    assert normalize_answer(None) == ""


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("<think>maybe Rome</think>I searched. <answer>Paris</answer>", "Paris"),
        ("Explanation: x\nExact Answer: **Paris**\nConfidence: 80%", "Paris"),
        ("The result is \\boxed{42}.", "42"),
        ("分析……\n最终答案：巴黎", "巴黎"),
        ("Paris", "Paris"),
        ("A long\nmulti-line reply without a final answer", None),
    ],
)
def test_extract_answer(response, expected):
    assert extract_answer(response) == expected


def test_extract_xbench_answer_both_colons():
    assert extract_xbench_answer("推理\n最终答案: 42") == "42"
    assert extract_xbench_answer("推理\n**最终答案**：四十二") == "四十二"
    assert extract_xbench_answer("没有答案行") is None


def test_exact_match_aliases():
    assert exact_match("NYC", "New York City", ["NYC"])
    assert not exact_match("Boston", "New York City", ["NYC"])
    assert not exact_match(None, "x")
    assert not exact_match("x", "", [])


# --- binary parser --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A", True),
        ("B", False),
        ("  **A**", True),
        ("(B)", False),
        ("<think>It could be B... no.</think>\nA", True),
        ("Answer: A", True),
        ("**Final answer:** B", False),
        ("The prediction names Barcelona, matching.\n\nA", True),
        ("选项：A", True),
        ("答案：B", False),
        ("[CORRECT]", True),
        ("The prediction is [INCORRECT].", False),
        ("<|channel|>final<|message|>B<|return|>", False),
        ("As I see it, the two agree.", None),  # 'As' is not the letter A
        ("I cannot decide.", None),
        ("[CORRECT] or [INCORRECT]?", None),
        ("", None),
    ],
)
def test_parse_binary(reply, expected):
    assert parse_binary(reply).correct is expected


# --- browsecomp parser ---------------------------------------------------------------------------
def test_parse_browsecomp_plain():
    p = parse_browsecomp("extracted_final_answer: Paris\nreasoning: same city\ncorrect: yes\nconfidence: 85%")
    assert (p.correct, p.extracted_answer, p.confidence) == (True, "Paris", 85.0)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("**correct:** yes", True),
        ("**Correct**: No", False),
        ("- CORRECT: YES", True),
        ("correct：yes", True),  # full-width colon
        ("## correct: no", False),
        ("是否正确：是", True),
        ("correct: 否", False),
        # the inspect_evals trap: 'incorrect: yes' must never read as 'correct: yes'
        ("reasoning: the response is incorrect: yes it differs\ncorrect: no", False),
        ("incorrect: yes", None),
        # several line-anchored matches: the last one wins (a revised verdict)
        ("correct: yes\n...on reflection...\ncorrect: no", False),
        ("The answer looks right.", None),
    ],
)
def test_parse_browsecomp_branches(reply, expected):
    assert parse_browsecomp(reply).correct is expected


def test_parse_browsecomp_none_extracted_and_confidence_forms():
    p = parse_browsecomp("extracted_final_answer: None\ncorrect: no")
    assert p.extracted_answer is None and p.confidence is None
    assert parse_confidence("confidence: 0.85") == 85.0
    assert parse_confidence("**Confidence:** 120%") == 100.0
    assert parse_confidence("confidence: 40") == 40.0
    assert parse_confidence("置信度：70％") == 70.0


# --- xbench parser --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("最终答案: 42\n解释: 一致\n结论: 正确", True),
        ("最终答案：41\n解释：不一致\n结论：错误", False),  # full-width colons
        ("**结论**：正确", True),
        ("结论:  错误", False),
        ("Conclusion: Correct", True),
        ("conclusion: incorrect", False),
        ("解释: 结论: 正确 是错的\n结论: 错误", False),
        ("我觉得是对的", None),
    ],
)
def test_parse_xbench(reply, expected):
    assert parse_xbench(reply).correct is expected


def test_parse_xbench_extracted():
    assert parse_xbench("最终答案: 无\n结论: 错误").extracted_answer is None
    assert parse_xbench("最终答案：北京\n结论：正确").extracted_answer == "北京"


# --- judges end to end -----------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["binary", "browsecomp", "xbench"])
def test_exact_option_skips_llm(style):
    llm = ScriptedLLM(default="should not be called", name="scripted/judge")
    judge = get_judge(f"exact+{style}", llm)
    assert isinstance(judge, Judge)
    v = run(judge.judge("Q?", "Barcelona", "I think... <answer>barcelona</answer>"))
    assert v.correct is True and v.method == "exact" and v.attempts == 0
    assert llm.requests == []
    assert v.judge == "scripted/judge" and v.prompt_version.startswith(style)


def test_exact_option_alias_and_default_asks_the_judge():
    judge = get_judge("exact+binary", ScriptedLLM(default="B"))
    v = run(judge.judge("Q?", "New York City", "<answer>NYC</answer>", aliases=["NYC"]))
    assert v.correct and v.method == "exact" and v.official is None
    # without the option the judge's word stands, as in the official evaluation ("yen" vs "Yen")
    v = run(get_judge("binary", ScriptedLLM(default="B")).judge("Q?", "Yen", "<answer>yen</answer>"))
    assert v.correct is False and v.method == "llm" and v.official == "B"


def test_xbench_final_answer_line_exact():
    llm = ScriptedLLM(default="结论: 错误")
    v = run(get_judge("exact+xbench", llm, lang="zh").judge("问题", "42", "推理过程\n最终答案：４２"))
    assert v.correct is True and v.method == "exact" and not llm.requests


def test_binary_llm_verdict_and_prompt():
    llm = ScriptedLLM(["A"], name="scripted/j")
    v = run(get_judge("binary", llm).judge("Who?", "Ada Lovelace", "It was Augusta Ada King."))
    assert v.correct is True and v.method == "llm" and v.attempts == 1 and v.raw == "A"
    sent = llm.requests[0].messages[-1]["content"]
    assert "Ada Lovelace" in sent and "Augusta Ada King" in sent
    assert llm.requests[0].config.temperature == 0.0


def test_binary_zh_prompt():
    llm = ScriptedLLM(["B"])
    v = run(get_judge("binary", llm, lang="zh").judge("谁？", "鲁迅", "周树人的哥哥"))
    assert v.correct is False and v.prompt_version == "binary-zh/v1"
    assert "参考答案：鲁迅" in llm.requests[0].messages[-1]["content"]


def test_browsecomp_judge_records_fields():
    llm = ScriptedLLM(["extracted_final_answer: 1875\nreasoning: equal\ncorrect: yes\nconfidence: 0.6"])
    v = run(get_judge("browsecomp", llm, lang="zh").judge("哪年？", "1875年", "大约是1875"))
    assert v.correct is True and v.extracted_answer == "1875" and v.confidence == 60.0
    assert "正确答案：1875年" in llm.requests[0].messages[-1]["content"]


def test_unparseable_retried_then_parsed():
    llm = ScriptedLLM(["hmm", "I think so", "B"])
    v = run(get_judge("binary", llm, max_attempts=3).judge("Q", "x", "y"))
    assert v.correct is False and v.attempts == 3 and len(llm.requests) == 3
    # each attempt uses its own cache scope, so a cached bad reply is never replayed
    assert len({r.scope for r in llm.requests}) == 3


def test_unparseable_gives_unparsed_verdict_never_guess():
    llm = ScriptedLLM(default="I am not sure about this one.")
    v = run(get_judge("browsecomp", llm, max_attempts=2).judge("Q", "x", "y"))
    assert v.correct is None and not v.parsed
    assert v.attempts == 2 and len(llm.requests) == 2
    assert v.details["reason"] == "unparsed"


def test_no_llm_means_unparsed_unless_exact():
    assert run(get_judge("exact+binary", None).judge("Q", "x", "x")).correct is True
    for spec in ("binary", "exact+binary"):
        v = run(get_judge(spec, None).judge("Q", "x", "y"))
        assert v.correct is None and v.method == "none"


@pytest.mark.parametrize(
    ("reply", "label", "ours"),
    [
        ("A", "A", True),
        ("  B. The years differ.", "B", False),
        ("<think>hmm</think>\nA", "A", True),
        ("<|channel|>final<|message|>B<|return|>", "B", False),
        # what our parser reads and the official one does not
        ("**B**", "unknown", False),
        ("Answer: B", "unknown", False),
        ("They differ.\nB", "unknown", False),
        ("[INCORRECT]", "unknown", False),
        ("As I see it", "unknown", None),
    ],
)
def test_official_label_is_the_leading_letter_only(reply, label, ours):
    from openseeker.judge.llm import official_label

    assert official_label(reply) == label
    v = run(get_judge("binary", ScriptedLLM([reply, reply, reply])).judge("Q", "x", "y"))
    assert v.official == label and v.correct is ours


def test_rules_judge_and_fallback():
    rules = get_judge("rules", None)
    v = run(rules.judge("Which year?", "1,989", "<answer>1988</answer>"))
    assert (v.correct, v.method, v.details["rule"]) == (False, "rules", "quantity_mismatch")
    v = run(rules.judge("Who?", "Albert Einstein", "<answer>It was Albert Einstein, surely.</answer>"))
    assert v.correct is None and v.method == "rules" and "no calibrated LLM judge" in v.details["reason"]
    llm = ScriptedLLM(["A"])
    both = get_judge("rules+binary", llm)
    v = run(both.judge("Who?", "Albert Einstein", "<answer>It was Albert Einstein, surely.</answer>"))
    assert v.correct is True and v.method == "llm" and v.details["rules"] == "contains_gold"
    v = run(both.judge("Capital?", "Paris", "<answer>Berlin</answer>"))
    assert v.method == "rules" and v.correct is False and len(llm.requests) == 1


@pytest.mark.parametrize(
    ("gold", "response", "expected"),
    [
        ("2,400,000", "2.4 million", True),
        ("271.35", "271", True),
        ("271.35", "270", False),
        ("5 km", "5000 m", True),
        ("5 km", "5 miles", False),
        ("1957", "一九五七年", True),
        ("3万人", "30000人", True),
        ("12次", "十一次", False),
        ("2008年", "２００８年", True),
        ("阿Q正传", "《阿Ｑ正传》", True),
        ("Paris", "Paris or Lyon", False),
        ("北京", "北京或者上海", False),
        ("Paris", "", False),
        ("Paris", "I could not find it.", False),
        ("曹雪芹", "无法确定", False),
        ("Tchaikovsky", "Chaikovsky", None),  # a transliteration stays undecided
        ("New York City", "NYC", None),  # an abbreviation too
        ("1980", "the 1980s", None),
    ],
)
def test_rules_decisions(gold, response, expected):
    from openseeker.judge.rules import decide

    assert decide(extract_answer(f"<answer>{response}</answer>"), response, [gold])[0] is expected


def test_openseeker_v1_judge_uses_the_official_prompt(tmp_path):
    from openseeker.errors import ConfigError

    prompt = tmp_path / "judge.txt"
    prompt.write_text("Q={question}\nGOLD={correct_answer}\nPRED={response}\nReply A or B.", encoding="utf-8")
    llm = ScriptedLLM(["A"])
    judge = get_judge("openseeker-v1", llm, prompt_source=str(prompt))
    v = run(judge.judge("Who?", "Ada", "<answer>Ada</answer>", aliases=["Augusta Ada King"]))
    assert v.correct is True and v.official == "A" and v.prompt_version.startswith("openseeker-v1/")
    # the official runner sends the gold answer alone (no aliases) and a short system message
    assert llm.requests[0].messages[-1]["content"] == "Q=Who?\nGOLD=Ada\nPRED=<answer>Ada</answer>\nReply A or B."
    with pytest.raises(ConfigError, match="does not ship"):
        get_judge("openseeker-v1", llm)


def test_unknown_style():
    from openseeker.errors import ConfigError

    with pytest.raises(ConfigError):
        get_judge("nope", None)
