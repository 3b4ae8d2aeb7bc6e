"""The agent through the real ``completions`` provider over HTTP (a local fake server as the model)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from openseeker.agent import Agent, AgentConfig
from openseeker.llm import LLMConfig, get_llm
from openseeker.testing.fake_openai import FakeOpenAIServer
from openseeker.tools.base import Toolset


def handler(req: dict[str, Any]) -> str:
    prompt = req["prompt"]
    if "<tool_response>" not in prompt:
        call = {"name": "search", "arguments": {"query": ["Analytical Engine", "Babbage"]}}
        return (
            "Search first.\n</think>\n\n<tool_calls_begin>\n<tool_call>\n"
            + json.dumps(call)
            + "\n</tool_call>\n</tool_calls_end>"
        )
    return "Found it.\n</think>\n\n<answer>Charles Babbage</answer>"


def test_openseeker_format_over_completions(toolset: Toolset) -> None:
    with FakeOpenAIServer(handler=handler) as srv:
        llm = get_llm(LLMConfig(model="completions/openseeker-test", base_url=srv.base_url, cache=False))
        traj = asyncio.run(Agent(llm, toolset, AgentConfig()).run("Who designed the Analytical Engine?"))
        prompts = [r.json["prompt"] for r in srv.requests if isinstance(r.json, dict) and "prompt" in r.json]
    assert traj.finish_reason == "answer" and traj.final_answer == "Charles Babbage"
    first = traj.steps[0]
    assert first.text.startswith("<think>\nSearch first.\n</think>\n\n<tool_calls_begin>")
    # The second prompt carries the first turn verbatim and the raw response inside a <tool_response> user turn.
    assert first.text in prompts[1]
    assert "<tool_response>\n" + first.calls[0].response in prompts[1]
    assert prompts[0].rstrip().endswith("<think>")
