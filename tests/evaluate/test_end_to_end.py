"""End to end through the CLI with real parts: a real corpus folder (BM25), the toolkit's agent, and the
OpenAI-compatible provider talking HTTP to a local fake server (agent and judge models)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.testing.fake_openai import FakeOpenAIServer

PAGES = [
    {
        "url": "https://wiki.test/Barcelona",
        "title": "Barcelona",
        "text": "Barcelona is a city in Spain. Barcelona hosted the 1992 Summer Olympics. " * 3,
    },
    {
        "url": "https://wiki.test/Berlin_Wall",
        "title": "Berlin Wall",
        "text": "The Berlin Wall fell in 1989 after weeks of protest. " * 3,
    },
]
QA = [
    {
        "id": "olympics",
        "question": "Which city hosted the 1992 Summer Olympics?",
        "answer": "Barcelona",
        "topic": "Sports",
    },
    {
        "id": "wall",
        "question": "In which year did the Berlin Wall fall?",
        "answer": "1989",
        "topic": "History",
    },
]


def _handler(req):
    msgs = req.get("messages", [])
    last = str(msgs[-1].get("content", "")) if msgs else ""
    if req.get("model") == "judge":
        return "A" if "1989 AD" in last else "B"
    seen_tool = any(
        m.get("role") == "tool" or "<tool_response>" in str(m.get("content", "")) for m in msgs[1:]
    )
    question = next((str(m["content"]) for m in msgs if m.get("role") == "user"), "")
    if not seen_tool:
        return (
            "<think>\nI should search.\n</think>\n\n<tool_calls_begin>\n<tool_call>\n"
            '{"name": "search", "arguments": {"query": ["'
            + question[:40]
            + '"]}}\n</tool_call>\n</tool_calls_end>'
        )
    answer = "barcelona" if "Olympics" in question else "1989 AD"
    return f"<think>\nFound it.\n</think>\n\n<answer>{answer}</answer>"


def test_eval_run_and_report_end_to_end(tmp_path):
    runner = CliRunner()
    pages = tmp_path / "pages.jsonl"
    pages.write_text("\n".join(json.dumps(p) for p in PAGES), encoding="utf-8")
    corpus = tmp_path / "corpus"
    r = runner.invoke(cli, ["corpus", "ingest", str(pages), "--out", str(corpus), "--kind", "jsonl"])
    assert r.exit_code == 0, r.output
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q) for q in QA), encoding="utf-8")
    with FakeOpenAIServer(handler=_handler) as srv:
        cfg = tmp_path / "agent.yaml"
        cfg.write_text(
            "roles:\n"
            f"  agent: {{model: openai/agent, base_url: '{srv.base_url}', api_key: sk-test, cache: false}}\n"
            f"  judge: {{model: openai/judge, base_url: '{srv.base_url}', api_key: sk-test, cache: false}}\n"
            f"  summarizer: {{model: openai/agent, base_url: '{srv.base_url}', api_key: sk-test, cache: false}}\n"
            f"tools: {{corpus: '{corpus}', visit_mode: raw}}\n"
            "agent: {max_tokens: 512, min_generation_tokens: 64}\n",
            encoding="utf-8",
        )
        out = tmp_path / "run"
        r = runner.invoke(
            cli,
            [*("eval", "run", "-b", "custom", "--data", str(qa), "--agent", str(cfg), "--out", str(out)),
             *("--judge", "rules+binary")],
        )
        assert r.exit_code == 0, r.output
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["run"]["complete"] and res["accuracy"]["correct"] == 2
    # the rules decide "barcelona"; "1989 AD" is undecided by them and goes to the (calibrated) model
    assert res["judge_methods"] == {"rules": 1, "llm": 1}
    assert res["run"]["judge_model"] == "rules+openai/judge" and res["tool_calls"]["min"] >= 1
    assert res["judge_calibration"]["passed"] and res["judge_calibration"]["methods"]["llm"] > 0
    assert "sk-test" not in (out / "eval" / "config.yaml").read_text(encoding="utf-8")  # secret redacted
    rec = [json.loads(x) for x in (out / "eval" / "00000.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {x["finish_reason"] for x in rec} == {"answer"} and all(
        x["usage"]["prompt_tokens"] > 0 for x in rec
    )
    r = runner.invoke(cli, ["eval", "report", str(out), "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0 and (tmp_path / "rep" / "report.html").exists()
