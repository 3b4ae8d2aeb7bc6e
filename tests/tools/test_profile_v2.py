"""The openseeker-v2 profile: tools, prompt layout (a checkout's template rendered, or our wording),
\\boxed{} answers, the Hugging Face filter, parse errors, the forced answer without tools and its retry
rule, the minimum-tool-call default, and ``eval run`` end to end against a scripted model."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from openseeker.agent import Agent, AgentConfig
from openseeker.agent.profile_v2 import V2_EMPTY_BLOCK, V2_RETRY, V2_TOOL_LIMIT, boxed, build_system
from openseeker.agent.profiles import get_profile
from openseeker.errors import ConfigError
from openseeker.llm import ScriptedLLM, ToolSpec
from openseeker.tools.base import SearchHit, Tool, Toolset
from openseeker.tools.config import ToolsConfig
from openseeker.tools.search import SearchTool

HERE = Path(__file__).resolve().parent
SHORT = "You answer questions with tools."  # our stand-in for the official one-line prompt


def checkout(tmp_path: Path) -> Path:
    """A folder shaped like the official repository, with our own stand-in texts and a small template."""
    root = tmp_path / "OpenSeeker"
    (root / "src" / "config").mkdir(parents=True)
    (root / "eval").mkdir()
    (root / "src" / "llm_tool_openseeker_v2.py").write_text(f"developer_prompt = (\n    {SHORT!r}\n)\n")
    (root / "eval" / "generate_answer_v2.py").write_text('BOX_FORMAT_INSTRUCTION = (\n    "\\n\\nBox it: \\\\\\\\boxed{}."\n)\n')
    (root / "src" / "config" / "chat_template.jinja").write_text(
        "{%- if tools %}<|im_start|>system\n{{ messages[0].content + '\\n\\n' }}# Tools\n<tools>"
        "{%- for tool in tools %}\n{{ tool | tojson }}{%- endfor %}\n</tools>\nCALL FORMAT<|im_end|>\n"
        "{%- else %}<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n{%- endif %}"
    )
    return root


class Echo(Tool):
    spec = ToolSpec("search", "Search.", {"type": "object", "properties": {"query": {"type": "array"}}})

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return f"results for {arguments.get('query')}"


def call(name: str, **args: object) -> str:
    return f"<tool_calls_begin>\n<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>\n</tool_calls_end>"


def test_prompt_from_a_checkout_renders_its_template(tmp_path: Path) -> None:
    src = str(checkout(tmp_path))
    specs = [Echo.spec]
    system = build_system(specs, src, True)
    assert system == f"{SHORT}\n\n# Tools\n<tools>\n{json.dumps(Echo.spec.openai())}\n</tools>\nCALL FORMAT"
    assert build_system(specs, src, False) == SHORT  # a forced turn: re-rendered without tools
    agent = Agent(ScriptedLLM(["x"]), Toolset([Echo()]), AgentConfig(profile="openseeker-v2", prompt_source=src))
    assert agent.system == system
    assert agent.question_suffix == "\n\nBox it: \\\\boxed{}."  # the checkout's text, as the model saw it


def test_prompt_from_a_file_gets_our_tools_section_and_no_prompt_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "system.txt"
    f.write_text(SHORT + "\n")
    system = build_system([Echo.spec], str(f), True)
    assert system.startswith(SHORT + "\n\n# Tools\n") and json.dumps(Echo.spec.openai()) in system
    assert "<tool_calls_begin>" in system and '"type": "function"' in system
    with pytest.raises(ConfigError, match="does not ship"):
        Agent(ScriptedLLM(["x"]), Toolset([Echo()]), AgentConfig(profile="openseeker-v2"))


def test_profile_defaults() -> None:
    p = get_profile("openseeker-v2")
    tools = p.configure_tools(ToolsConfig())
    assert tools.tool_names() == ["search", "visit", "create_sandbox", "run_command", "run_python_code",
                                  "upload_file_from_local_to_sandbox", "download_file_from_internet_to_sandbox"]  # fmt: skip
    assert tools.search_exclude == ["huggingface"]
    assert p.configure_tools(ToolsConfig(enabled=["search"])).enabled == ["search"]  # the user's choice wins
    cfg = p.configure(AgentConfig(profile="openseeker-v2"))
    assert cfg.on_tool_limit == "force_answer" and cfg.count_parse_errors
    assert p.min_tool_calls == 30
    assert boxed("The answer is \\boxed{\\frac{1}{2}} indeed") == "\\frac{1}{2}" and boxed("plain") == "plain"


def test_huggingface_results_are_dropped_before_numbering() -> None:
    class Backend:
        name = "stub"

        async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
            return [
                SearchHit("Leak", "https://huggingface.co/datasets/x"),
                SearchHit("Good", "https://example.org/a"),
            ]

    tool = SearchTool(Backend(), exclude=["huggingface"], layout=get_profile("openseeker-v2").tools)  # type: ignore[arg-type]
    out = asyncio.run(tool({"query": ["q"]}))
    assert "huggingface" not in out and "1. [Good](https://example.org/a)" in out
    assert out.startswith("### A Google search for 'q' found 1 results:")


def test_tool_limit_forces_an_answer_without_tools_with_the_retry_rule(tmp_path: Path) -> None:
    src = str(checkout(tmp_path))
    llm = ScriptedLLM(
        [
            "a</think>\n\n" + call("search", query=["x"]) + "\n" + call("search", query=["y"]),
            "b</think>\n\n<tool_calls_begin>\n</tool_calls_end>",  # an empty block: a counted parse error
            "forced but still calling</think>\n\n" + call("search", query=["z"]),
            "final</think>\n\n<answer>It is \\boxed{Paris}.</answer>",
        ]
    )
    cfg = AgentConfig(profile="openseeker-v2", prompt_source=src, max_tool_calls=3)
    traj = asyncio.run(Agent(llm, Toolset([Echo()]), cfg).run("Capital of France?"))
    assert traj.question == "Capital of France?\n\nBox it: \\\\boxed{}."
    assert traj.finish_reason == "forced_answer" and traj.final_answer == "Paris"
    assert traj.steps[1].parse_error == V2_EMPTY_BLOCK and traj.tool_calls == 3
    first, retry = llm.requests[2], llm.requests[3]
    assert first.config.prefill == V2_TOOL_LIMIT and retry.config.prefill == V2_RETRY
    for req in (first, retry):
        assert req.messages[0] == {"role": "system", "content": SHORT}  # re-rendered without the tools
    assert llm.requests[0].messages[0]["content"].startswith(SHORT + "\n\n# Tools")
    assert traj.metadata["system_without_tools"] == SHORT


def test_no_final_answer_after_three_attempts(tmp_path: Path) -> None:
    src = str(checkout(tmp_path))
    llm = ScriptedLLM(["a</think>\n\n" + call("search", query=["x"])], default="again</think>\n\n" + call("search", query=["y"]))
    cfg = AgentConfig(profile="openseeker-v2", prompt_source=src, max_tool_calls=1)
    traj = asyncio.run(Agent(llm, Toolset([Echo()]), cfg).run("q"))
    assert traj.finish_reason == "no_final_answer_after_tools_disabled" and traj.final_answer is None
    assert [r.config.prefill for r in llm.requests[1:]] == [V2_TOOL_LIMIT, V2_RETRY, V2_RETRY]


def test_eval_run_with_the_v2_profile_end_to_end(
    tmp_path: Path, corpus_dir: Path, sandbox_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openseeker.cli.main import cli

    monkeypatch.syspath_prepend(str(HERE))
    sys.modules.pop("v2_scripted", None)
    data = tmp_path / "bench.jsonl"
    data.write_bytes(orjson.dumps({"id": "q1", "question": "How many years after 1889 is 1921?", "answer": "32"}) + b"\n")
    prompt = tmp_path / "system.txt"
    prompt.write_text(SHORT)
    config = tmp_path / "agent.yaml"
    config.write_text(
        "roles:\n  agent: {model: scripted/v2_scripted:agent}\n  judge: {model: scripted/v2_scripted:judge}\n"
        f"agent:\n  profile: openseeker-v2\n  prompt_source: {prompt}\n"
        f"tools:\n  corpus: {corpus_dir}\n  sandbox:\n    root: {sandbox_cfg.root}\n"
    )
    out = tmp_path / "run"
    res = CliRunner().invoke(cli, ["eval", "run", "-b", "custom", "--data", str(data), "--agent", str(config), "--out", str(out)],
                             catch_exceptions=False)  # fmt: skip
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["accuracy"]["correct"] == 1 and results["accuracy"]["n"] == 1
    [record] = [json.loads(line) for line in (out / "eval" / "00000.jsonl").read_text().splitlines()]
    traj = record["trajectory"]
    assert record["final_answer"] == "32" and "\\boxed{32}" in record["final_response"]
    assert [c["name"] for s in traj["steps"] for c in s["calls"]] == ["search", "run_python_code"]
    assert "stdout: ['32\\n']" in traj["steps"][1]["calls"][0]["response"]
    assert {t["name"] for t in traj["tools"]} >= {"search", "visit", "run_python_code", "create_sandbox"}
    assert traj["system"].startswith(SHORT + "\n\n# Tools") and '"type": "function"' in traj["system"]
