"""The forced final answer on every kind of endpoint, and the record of how it was asked for."""

from __future__ import annotations

import asyncio
import json

from openseeker.agent import Agent, AgentConfig, render_context
from openseeker.agent.prompts import load
from openseeker.llm import LLMOutput, ScriptedLLM, ToolCall
from openseeker.llm.types import Capabilities
from openseeker.tools.base import Toolset

CHAT = Capabilities("a chat server")  # cannot continue an assistant turn (llama.cpp server, OpenAI, ...)


def call(name: str, **args: object) -> str:
    return "<tool_calls_begin>\n<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>\n</tool_calls_end>"


def test_chat_endpoint_is_asked_by_instruction(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think>" + call("search", query=["a"]), "ok</think><answer>Babbage</answer>"],
                      capabilities=CHAT)
    traj = asyncio.run(Agent(llm, toolset, AgentConfig(max_tool_calls=1)).run("Who?"))
    last = traj.steps[-1]
    assert traj.finish_reason == "forced_answer" and traj.final_answer == "Babbage"
    assert last.forced and last.forced_via == "instruction" and last.prefill is None
    assert last.instruction == load("answer_now_en").strip()
    sent = llm.requests[-1]
    assert sent.config.prefill is None and sent.messages[-1] == {"role": "user", "content": last.instruction}
    # the record renders exactly what was sent (the instruction precedes the forced turn)
    assert [*render_context(traj, "raw", len(traj.steps) - 1), sent.messages[-1]] == sent.messages
    assert render_context(traj)[-2] == {"role": "user", "content": last.instruction}


def test_continuing_endpoints_are_prefilled(toolset: Toolset) -> None:
    for via in ("prefill", "continue_final_message"):
        llm = ScriptedLLM(["a</think>" + call("search", query=["a"]), " so B.</think><answer>B</answer>"],
                          capabilities=Capabilities("srv", continuation=via))
        traj = asyncio.run(Agent(llm, toolset, AgentConfig(max_tool_calls=1)).run("Who?"))
        last = traj.steps[-1]
        assert last.forced_via == via and last.prefill and last.instruction is None
        assert llm.requests[-1].config.prefill == last.prefill and traj.final_answer == "B"


def test_native_mode_withdraws_tools_and_asks(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [LLMOutput(text="", tool_calls=[ToolCall("search", {"query": ["x"]}, "c1")]), LLMOutput(text="Babbage")],
        capabilities=Capabilities("srv", continuation="continue_final_message"),
    )
    traj = asyncio.run(Agent(llm, toolset, AgentConfig(mode="native", max_tool_calls=1)).run("Who?"))
    last = traj.steps[-1]
    assert last.forced_via == "instruction" and llm.requests[-1].tools is None
    assert llm.requests[-1].messages[-1]["role"] == "user" and traj.final_answer == "Babbage"


def test_profile_can_override_the_texts(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think>" + call("search", query=["a"]), "<answer>x</answer>"], capabilities=CHAT)
    cfg = AgentConfig(max_tool_calls=1, forced_instruction="Answer now.")
    traj = asyncio.run(Agent(llm, toolset, cfg).run("Who?"))
    assert traj.steps[-1].instruction == "Answer now." and llm.requests[-1].messages[-1]["content"] == "Answer now."
