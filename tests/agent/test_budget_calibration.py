"""Budgets planned with the server's own prompt counts: where characters / 4 undercounts the server's
tokenizer, the agent learns the gap from the reported usage (or from the error that states the prompt's
length) instead of sending prompts over the window, each refused, while shrinking a budget that is not
what overflows."""

from __future__ import annotations

import asyncio
import json

from openseeker.agent import Agent, AgentConfig, Trajectory
from openseeker.agent.context import count_messages
from openseeker.agent.loop import RunCounter, prompt_tokens_stated
from openseeker.errors import ContextLengthError
from openseeker.llm import LLMOutput, ScriptedLLM
from openseeker.llm.types import Usage
from openseeker.tools.base import Toolset


def call(name: str, **args: object) -> str:
    return (
        "<tool_calls_begin>\n<tool_call>\n"
        + json.dumps({"name": name, "arguments": args})
        + "\n</tool_call>\n</tool_calls_end>"
    )


def run(agent: Agent) -> Trajectory:
    return asyncio.run(agent.run("Who designed the Analytical Engine?"))


def test_the_error_texts_of_servers_are_read() -> None:
    llama = (
        "This model's maximum context length is 2048 tokens. However, you requested 2300 tokens "
        "(2100 in the messages, 200 in the completion). Please reduce the length of the messages or completion."
    )
    assert prompt_tokens_stated(llama) == 2100
    assert (
        prompt_tokens_stated(
            "... however you requested 3000 tokens (2900 in your prompt; 100 for the completion)"
        )
        == 2900
    )
    assert prompt_tokens_stated("HTTP 400: too long") is None


def test_the_scale_only_grows_and_ignores_small_gaps() -> None:
    c = RunCounter(lambda text: len(text))
    c.observe(1000, 1050)  # within 10 %: noise, not a different tokenizer
    assert c.scale == 1.0 and c.planned(100) == 100
    c.observe(1000, 1250)
    c.observe(1000, 1200)  # never shrinks
    assert c.scale == 1.25 and c.planned(100) == 125


def test_reported_usage_tightens_the_next_budget(toolset: Toolset) -> None:
    est = RunCounter(lambda t: (len(t) + 3) // 4)  # the default estimate, characters / 4

    def fn(messages, tools, config):  # type: ignore[no-untyped-def]
        # the server counts 1.5x the agent's estimate of the same messages
        usage = Usage(prompt_tokens=int(1.5 * count_messages(messages, est)), completion_tokens=10, calls=1)
        if len(messages) <= 2:
            return LLMOutput(text="a</think>" + call("search", query=["Babbage"]), usage=usage)
        return LLMOutput(text="b</think><answer>Charles Babbage</answer>", usage=usage)

    llm = ScriptedLLM(fn=fn)
    cfg = AgentConfig(
        max_context_tokens=4000, max_tokens=3990, min_generation_tokens=100, forced_min_tokens=50
    )
    traj = run(Agent(llm, toolset, cfg))
    assert traj.finish_reason == "answer"
    first, second = (r.config.max_tokens for r in llm.requests)
    assert first == 4000 - traj.steps[0].prompt_tokens  # nothing known yet: the estimate
    prompt2 = traj.steps[1].prompt_tokens  # the estimate, as recorded
    assert 1.45 * prompt2 <= 4000 - second <= 1.5 * prompt2 + 1  # planned at the server's 1.5x


def test_a_stated_overlong_prompt_ends_the_turn_at_once(toolset: Toolset) -> None:
    sent: list[int] = []

    def fn(messages, tools, config):  # type: ignore[no-untyped-def]
        sent.append(config.max_tokens)
        if len(sent) == 1:
            return "a</think>" + call("search", query=["Babbage"])
        # the server's count of the history is over its 4096-token window, whatever the budget
        raise ContextLengthError(
            "This model's maximum context length is 4096 tokens. However, you requested "
            f"{4200 + config.max_tokens} tokens (4200 in the messages, {config.max_tokens} in the completion)."
        )

    cfg = AgentConfig(
        max_context_tokens=4096, max_tokens=1000, min_generation_tokens=200, forced_min_tokens=100
    )
    traj = run(Agent(ScriptedLLM(fn=fn), toolset, cfg))
    assert traj.finish_reason == "context_limit" and traj.metadata["forced_by"] == "context"
    assert len(sent) == 2  # one refusal, not one per 10 % shrink of the budget
