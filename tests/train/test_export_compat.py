"""The trainer reads what the exporter writes, and renders it exactly as the agent's inference template does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from openseeker.agent import Agent, AgentConfig
from openseeker.export import formats
from openseeker.llm import ScriptedLLM, ToolSpec
from openseeker.llm.templates import render_openseeker
from openseeker.tools.base import Tool, Toolset
from openseeker.train.data import iter_conversations
from openseeker.train.render import GENERATION_PROMPT, render_text


class Search(Tool):
    spec = ToolSpec(
        "search",
        "Search.",
        {"type": "object", "properties": {"query": {"type": "array"}}, "required": ["query"]},
    )

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return f"results for {arguments['query']}"


def _trajectory(i: int) -> Any:
    def call(q: str) -> str:
        body = json.dumps({"name": "search", "arguments": {"query": [q, q + "!"]}})
        return f"<tool_calls_begin>\n<tool_call>\n{body}\n</tool_call>\n</tool_calls_end>"

    turns = [f"look up {i}\n</think>\n\n" + call(f"q{i}"), f"\nfound it\n\n</think>\n\n<answer>A{i}</answer>"]
    agent = Agent(ScriptedLLM(turns), Toolset([Search()]), AgentConfig())
    traj = asyncio.run(agent.run(f"question {i}?", id=f"t{i}"))
    traj.gold, traj.correct = f"A{i}", i % 2 == 0
    return traj


def test_both_export_layouts_render_like_the_inference_template(tmp_path: Path) -> None:
    trajs = [_trajectory(i) for i in range(2)]
    a = tmp_path / "messages.jsonl"
    b = tmp_path / "openseeker.jsonl"
    a.write_text("".join(json.dumps(formats.to_messages(t)) + "\n" for t in trajs))
    b.write_text("".join(json.dumps(formats.to_openseeker(t)) + "\n" for t in trajs))
    conv_a, conv_b = list(iter_conversations(a)), list(iter_conversations(b))
    assert [c.correct for c in conv_a] == [True, False] == [c.correct for c in conv_b]
    for ca, cb in zip(conv_a, conv_b, strict=True):
        text = render_text(ca.messages)
        assert text == render_text(cb.messages)
        assert text.count("<think>") == 2
        # every prefix that ends before an assistant turn is exactly the prompt the agent sends
        for k, m in enumerate(ca.messages):
            if m["role"] == "assistant":
                prompt = render_openseeker(ca.messages[:k], add_generation_prompt=True)
                assert render_text(ca.messages[:k]) + GENERATION_PROMPT == prompt
        assert text + GENERATION_PROMPT == render_openseeker(ca.messages, add_generation_prompt=True)
