"""Metrics against hand-computed numbers."""

from __future__ import annotations

import math

import pytest

from openseeker.evaluate.metrics import (
    accuracy,
    bczh_calib_err,
    cost,
    hle_calib_err,
    pass_at_k,
    sample_metrics,
    summarize,
)


def test_accuracy_both_ways():
    a = accuracy([True, True, False, None])
    assert (a["n"], a["correct"], a["wrong"], a["unparsed"]) == (4, 2, 1, 1)
    assert a["acc"] == 0.5  # unparsed counted wrong
    assert a["acc_parsed"] == pytest.approx(2 / 3)  # unparsed excluded (OpenSeeker)
    assert a["ci95"] == pytest.approx(1.96 * math.sqrt(0.25 / 4))
    assert accuracy([])["acc"] == 0.0


def test_pass_at_k_and_samples():
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(4, 3, 2) == 1.0
    m = sample_metrics({"a": [True, False], "b": [None, False], "c": [True, True]})
    assert m["k"] == 2
    assert m["avg_at_k"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert m["pass_at_k"] == pytest.approx(2 / 3)


def test_hle_calib_err_quirk_and_flag():
    # 250 items -> bins [0,100), [100,250). Sorted by confidence.
    conf = [0.2] * 100 + [0.9] * 150
    corr = [False] * 100 + [True] * 75 + [False] * 75
    quirk = hle_calib_err(conf, corr)  # upstream: the last bin is skipped
    # bin 0: |0.2 - 0| = 0.2, weight 100/250 -> sqrt(0.4 * 0.04) = 0.12649
    assert quirk["calib_err"] == pytest.approx(round(100 * math.sqrt(0.4 * 0.04), 2))
    full = hle_calib_err(conf, corr, include_last_bin=True)
    # bin 1: |0.9 - 0.5| = 0.4, weight 150/250
    assert full["calib_err"] == pytest.approx(round(100 * math.sqrt(0.4 * 0.04 + 0.6 * 0.16), 2))
    l1 = hle_calib_err(conf, corr, p="1", include_last_bin=True)
    assert l1["calib_err"] == pytest.approx(round(100 * (0.4 * 0.2 + 0.6 * 0.4), 2))
    small = hle_calib_err([0.5] * 10, [True] * 10)
    assert small["calib_err"] == 0.0 and small["insufficient"]


def test_bczh_calib_err():
    # two items in [80,101) (conf 90, 100; one correct), one in [0,20) (missing -> 0, wrong)
    r = bczh_calib_err([90, 100, None], [True, False, False])
    expected = (2 / 3) * abs(0.5 - 0.95) + (1 / 3) * abs(0 - 0)
    assert r["calib_err"] == pytest.approx(round(100 * expected, 2))


def test_cost():
    c = cost(
        {"m": {"prompt_tokens": 2_000_000, "completion_tokens": 500_000}, "x": {"prompt_tokens": 1}},
        {"m": {"prompt": 1.0, "completion": 4.0}},
    )
    assert c["total_usd"] == pytest.approx(4.0) and c["unpriced"] == ["x"]


def _rec(qid, correct, calls, topic="T", conf=None, finish="answer", method="llm"):
    return {
        "question_id": qid,
        "correct": correct,
        "tool_calls": calls,
        "topic": topic,
        "confidence": conf,
        "finish_reason": finish,
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        "judge_usage": {"prompt_tokens": 3, "completion_tokens": 1},
        "agent_model": "a",
        "judge_model": "j",
        "seconds": 2.0,
        "verdict": {"method": method},
    }


def test_summarize():
    recs = [_rec("1", True, 4, "A", 90), _rec("2", False, 10, "B", 20, "tool_limit"), _rec("3", None, 0, "A")]
    s = summarize(recs, prices={"a": {"prompt": 1e6, "completion": 0}})
    assert s["accuracy"]["acc"] == pytest.approx(1 / 3) and s["accuracy"]["acc_parsed"] == 0.5
    assert s["by_topic"]["A"]["correct"] == 1 and s["by_topic"]["B"]["n"] == 1
    assert s["tool_calls"]["mean"] == pytest.approx(14 / 3) and s["tool_calls"]["correct_mean"] == 4
    assert s["tool_calls"]["histogram"] == {"0": 1, "4": 1, "10": 1}
    assert s["tokens"]["prompt"] == 30 and s["finish_reasons"] == {"answer": 2, "tool_limit": 1}
    assert s["cost"]["total_usd"] == pytest.approx(30.0) and s["cost"]["unpriced"] == ["j"]
    assert s["calibration"]["bczh"]["calib_err"] == pytest.approx(round(100 * (0.5 * 0.1 + 0.5 * 0.2), 2))
