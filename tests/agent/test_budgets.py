"""Budgets that fit: derived from the endpoint's context window, refused at load when they cannot work."""

from __future__ import annotations

import asyncio
import json

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.agent.config import AgentRunConfig
from openseeker.config import load_config
from openseeker.errors import ConfigError
from openseeker.llm import ScriptedLLM
from openseeker.llm.types import Capabilities
from openseeker.tools.base import Toolset


def call(name: str, **args: object) -> str:
    return "<tool_calls_begin>\n<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>\n</tool_calls_end>"


def budgets(cfg: AgentConfig) -> tuple[int, int, int, int]:
    return cfg.max_context_tokens, cfg.max_tokens, cfg.min_generation_tokens, cfg.forced_min_tokens


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (2048, (2048, 512, 256, 64)),
        (32768, (32768, 8192, 2048, 128)),
        (262144, (262144, 32768, 2048, 128)),
        (None, (256_000, 32768, 2048, 128)),
    ],
)
def test_budgets_follow_the_window(window: int | None, expected: tuple[int, int, int, int]) -> None:
    assert budgets(AgentConfig().fitted(Capabilities("srv", context_window=window))) == expected


def test_given_values_win_and_the_rest_follow_them() -> None:
    cfg = AgentConfig(max_tokens=200).fitted(Capabilities("srv", context_window=4096))
    assert budgets(cfg) == (4096, 200, 100, 25)
    # the README's eval example (max_tokens 256) no longer forces an answer at every turn
    assert AgentConfig(max_tokens=256).min_generation_tokens == 2048  # the field keeps its default ...
    assert AgentConfig(max_tokens=256).fitted().min_generation_tokens == 128  # ... the run uses a fitting one
    assert AgentConfig(max_tokens=64).fitted(Capabilities(max_output_tokens=8192)).max_tokens == 64


def test_reply_limit_of_the_server_caps_the_turn() -> None:
    cfg = AgentConfig().fitted(Capabilities("DeepSeek", context_window=65536, max_output_tokens=8192))
    assert cfg.max_tokens == 8192
    with pytest.raises(ConfigError, match=r"agent\.max_tokens \(16384\) exceeds the longest reply of DeepSeek"):
        AgentConfig(max_tokens=16384).fitted(Capabilities("DeepSeek", max_output_tokens=8192))


def test_a_window_smaller_than_the_given_context_budget_is_refused() -> None:
    cfg = AgentConfig(max_context_tokens=262144)
    with pytest.raises(ConfigError) as e:
        cfg.fitted(Capabilities("llama-cpp-python", context_window=2048))
    msg = str(e.value)
    assert "\n" not in msg and "agent.max_context_tokens (262144)" in msg and "2048" in msg


@pytest.mark.parametrize(
    ("agent", "keys"),
    [
        ({"max_tokens": 256, "min_generation_tokens": 2048}, ("agent.min_generation_tokens", "agent.max_tokens")),
        ({"max_tokens": 100, "forced_min_tokens": 128, "min_generation_tokens": 50},
         ("agent.forced_min_tokens", "agent.max_tokens")),
        ({"max_context_tokens": 4096, "max_tokens": 8192}, ("agent.max_tokens", "agent.max_context_tokens")),
    ],
)
def test_impossible_settings_are_refused_at_load_in_one_line(agent: dict, keys: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(AgentRunConfig, None, {"agent": agent}, environ={})
    msg = str(e.value)
    assert "\n" not in msg and all(k in msg for k in keys), msg


def test_the_agent_fits_itself_to_its_endpoint(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think><answer>x</answer>"],
                      capabilities=Capabilities("small", context_window=4096, tool_role="user"))
    agent = Agent(llm, toolset)
    traj = asyncio.run(agent.run("q?"))
    assert traj.steps[0].max_tokens == 1024 and llm.requests[0].config.max_tokens == 1024
    assert agent.capabilities is not None and (asyncio.run(agent.prepare())).tool_role == "user"
    # an explicit tool role wins over the endpoint's
    assert asyncio.run(Agent(llm, toolset, AgentConfig(tool_role="tool")).prepare()).tool_role == "tool"


def test_turn_budget_of_256_still_searches(toolset: Toolset) -> None:
    """The issue's eval example: max_tokens 256 used to force every answer at turn 0 (forced_by context)."""
    llm = ScriptedLLM(["a</think>" + call("search", query=["Babbage"]), "b</think><answer>Babbage</answer>"])
    traj = asyncio.run(Agent(llm, toolset, AgentConfig(max_tokens=256)).run("Who designed it?"))
    assert traj.finish_reason == "answer" and traj.tool_calls == 1 and "forced_by" not in traj.metadata
    assert llm.requests[0].config.prefill is None
