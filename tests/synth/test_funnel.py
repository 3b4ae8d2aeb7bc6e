"""The QA funnel report: failed seeds are their own row (not a silent "seeds 0"), reasons and counts are drawn,
empty panels are left out, token usage is filled."""

from __future__ import annotations

from pathlib import Path

import orjson

from openseeker.synth.funnel import build_funnel, panels, to_markdown

from .conftest import _JUDGE_SYSTEMS, Script
from .test_qa_pipeline import _run


def _funnel(run: Path) -> dict:
    return orjson.loads((run / "qa" / "funnel.json").read_bytes())


def test_every_seed_failing_is_counted(tmp_path, en_corpus, make_roles):
    class Down(Script):  # the generator's endpoint is down (the judge, calibrated first, answers)
        def __call__(self, messages, tools, config):
            if str(messages[0].get("content", "")) in _JUDGE_SYSTEMS:
                return super().__call__(messages, tools, config)
            raise RuntimeError("the endpoint is down")

    res, _, run = _run(tmp_path, en_corpus, make_roles, Down(), n=3)
    assert res.errors == 3
    f = _funnel(run)
    rows = {r["step"]: r["count"] for r in f["funnel"]}
    assert [r["step"] for r in f["funnel"]][:2] == ["seeds", "failed"]
    assert rows["seeds"] == 3 and rows["failed"] == 3 and rows["accepted"] == 0  # before: "seeds 0"
    assert f["failed"] == {"RuntimeError": 3}
    md = (run / "qa" / "funnel.md").read_text()
    assert "| seeds | 3 | 100% |" in md and "| failed (error, retried next run) | 3 | 100% |" in md
    assert "| `RuntimeError` | 3 |" in md
    # the PNG: the funnel and why seeds stopped; no empty hops / rank panels
    assert list(panels(f)) == ["funnel", "stopped"] and panels(f)["stopped"] == {"error: RuntimeError": 3}
    assert (run / "qa" / "funnel.png").stat().st_size > 1000


def test_mixed_run_rows_reasons_usage(tmp_path, en_corpus, make_roles):
    res, llm, run = _run(tmp_path, en_corpus, make_roles, Script(fail_theme="Alderbrook"), n=5, seed=3)
    f = _funnel(run)
    rows = {r["step"]: r["count"] for r in f["funnel"]}
    assert rows["seeds"] == res.processed and rows["failed"] == res.errors == 1
    assert rows["accepted"] == res.outputs
    # token usage is measured at the LLM client, for every role, and reaches stats.json and the funnel
    stats = orjson.loads((run / "qa" / "stats.json").read_bytes())
    calls_of_committed = stats["usage"]["calls"]
    assert 0 < calls_of_committed <= len(llm.requests)  # the failed seed's calls are not committed
    assert stats["usage"]["prompt_tokens"] > 0 and stats["usage_by_model"]["scripted/qa"]["calls"] == calls_of_committed
    assert f["usage"] == stats["usage"] and "## Token usage" in (run / "qa" / "funnel.md").read_text()
    assert next(iter(panels(f))) == "funnel" and ("hops" in panels(f)) == (res.outputs > 0)
    # the failed seed succeeds on the next run: it leaves the failed row
    _run(tmp_path, en_corpus, make_roles, Script(), n=5, seed=3)
    f2 = build_funnel(run)
    rows2 = {r["step"]: r["count"] for r in f2["funnel"]}
    assert rows2["failed"] == 0 and rows2["seeds"] == res.processed and "## Failed seeds" not in to_markdown(f2)


def test_single_k_has_no_legend_and_empty_panels_are_dropped(tmp_path, en_corpus, make_roles):
    _res, _, run = _run(tmp_path, en_corpus, make_roles, Script(), n=3, checks={"shortcut": "record"})
    p = panels(_funnel(run))
    assert list(p) == ["funnel", "hops", "ranks"] or list(p) == ["funnel", "hops"]
    assert "stopped" not in p  # nothing was rejected or failed
