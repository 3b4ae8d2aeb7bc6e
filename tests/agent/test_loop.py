"""The agent loop with a scripted model: every limit branch and the exact requests sent."""

from __future__ import annotations

import asyncio
import json

import pytest

from openseeker.agent import Agent, AgentConfig, Trajectory, render_context
from openseeker.errors import ContextLengthError, LLMError
from openseeker.llm import LLMOutput, ScriptedLLM, ToolCall, ToolSpec
from openseeker.llm.types import Capabilities
from openseeker.tools.base import Tool, Toolset


def call(name: str, **args: object) -> str:
    return (
        "<tool_calls_begin>\n<tool_call>\n"
        + json.dumps({"name": name, "arguments": args})
        + "\n</tool_call>\n</tool_calls_end>"
    )


def run(agent: Agent, q: str = "Who designed the Analytical Engine?", **kw: object) -> Trajectory:
    return asyncio.run(agent.run(q, **kw))  # type: ignore[arg-type]


def test_search_visit_answer(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            "I should search.\n</think>\n\n" + call("search", query=["Analytical Engine designer"]),
            "Read the page.\n</think>\n\n"
            + call("visit", url="https://wiki.test/Charles_Babbage", goal="designer"),
            "Done.\n</think>\n\n<answer>Charles Babbage</answer>",
        ]
    )
    traj = run(Agent(llm, toolset), id="t1")
    assert traj.finish_reason == "answer" and traj.final_answer == "Charles Babbage"
    assert traj.final_response == "<answer>Charles Babbage</answer>"
    assert traj.tool_calls == 2 and len(traj.steps) == 3
    assert "Charles Babbage" in traj.steps[1].calls[0].response
    # The request before step 2 is the raw view derived from the record.
    assert llm.requests[2].messages == render_context(traj, "raw", 2)
    msgs = llm.requests[2].messages
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert msgs[2]["content"] == traj.steps[0].text.replace("", "") and msgs[2]["content"].startswith(
        "<think>\n"
    )
    assert traj.usage["agent"]["calls"] == 3


def test_unknown_tool_bad_args_and_parse_error_are_observations(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            "x</think>" + call("browse", url="a"),
            "x</think>" + call("search", q="wrong key"),
            "x</think>I am not sure what to do.",
            "x</think><tool_call>{not json at all</tool_call>",
            "x</think><answer>a</answer>",
        ]
    )
    traj = run(Agent(llm, toolset))
    s = traj.steps
    assert s[0].calls[0].error and "unknown tool 'browse'" in s[0].calls[0].response
    assert s[1].calls[0].error and "invalid arguments" in s[1].calls[0].response
    assert s[2].parse_error is not None and "neither a valid tool call" in s[2].parse_error
    assert s[3].calls == [] and "Could not parse" in (s[3].parse_error or "")
    assert llm.requests[3].messages[-1] == {"role": "tool", "content": s[2].parse_error}
    assert traj.tool_calls == 4  # parse failures count, as in OpenSeeker-v2


def test_tool_limit_forces_answer_without_tools(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            "a</think>"
            + call("search", query=["a"])
            + call("search", query=["b"])
            + call("search", query=["c"]),
            "keep going</think>" + call("search", query=["d"]),  # forced turn that still calls: discarded
            "final</think><answer>Babbage</answer>",
        ]
    )
    traj = run(Agent(llm, toolset, AgentConfig(max_tool_calls=2)))
    assert traj.tool_calls == 2
    assert traj.steps[0].calls[2].response.startswith("Error: the tool-call limit")
    assert traj.finish_reason == "forced_answer" and traj.final_answer == "Babbage"
    assert traj.metadata["forced_by"] == "tool_limit"
    last = traj.steps[-1]
    assert last.forced and last.attempts == 2 and last.prefill and last.reasoning.startswith(last.prefill)
    assert llm.requests[1].config.prefill == last.prefill
    assert llm.requests[0].config.prefill is None


def test_tool_limit_stop_v1(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think>partial " + call("search", query=["a"])])
    traj = run(Agent(llm, toolset, AgentConfig(max_tool_calls=1, on_tool_limit="stop")))
    assert (
        traj.finish_reason == "tool_limit" and traj.final_answer is None and traj.final_response == "partial"
    )


def test_forced_never_answers(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        ["a</think>" + call("search", query=["a"])], default="b</think>" + call("search", query=["z"])
    )
    traj = run(Agent(llm, toolset, AgentConfig(max_tool_calls=1, forced_answer_retries=3)))
    assert traj.finish_reason == "no_final_answer_after_tools_disabled" and traj.final_answer is None
    assert len(llm.requests) == 4 and traj.steps[-1].calls == []


def test_forced_plain_text_is_the_answer(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think>" + call("search", query=["a"]), "ok</think>Charles Babbage"])
    traj = run(Agent(llm, toolset, AgentConfig(max_tool_calls=1)))
    assert traj.finish_reason == "forced_answer" and traj.final_answer == "Charles Babbage"


def test_turn_limit(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think>nothing"] * 2 + ["b</think><answer>x</answer>"])
    traj = run(Agent(llm, toolset, AgentConfig(max_turns=2)))
    assert traj.metadata["forced_by"] == "turn_limit" and traj.finish_reason == "forced_answer"


def test_context_budget_shrinks_generation_then_forces(toolset: Toolset) -> None:
    big = "word " * 4000  # ~5k tokens of answer text per tool response
    llm = ScriptedLLM(
        [
            "a</think>" + call("search", query=[big[:50]]),
            "b</think><answer>x</answer>",
        ]
    )
    cfg = AgentConfig(
        max_context_tokens=2000, max_tokens=1500, min_generation_tokens=600, forced_min_tokens=100
    )
    traj = run(Agent(llm, toolset, cfg))
    first = traj.steps[0]
    assert first.max_tokens == min(1500, 2000 - first.prompt_tokens)
    assert llm.requests[0].config.max_tokens == first.max_tokens


class Flood(Tool):
    spec = ToolSpec("flood", "Returns a very long page.", {"type": "object", "properties": {}})

    async def __call__(self, arguments: dict) -> str:  # type: ignore[type-arg]
        return "word " * 20_000


def test_context_overflow_fabricates_answer() -> None:
    # the first turn fits; its tool response fills the context, so no answer fits afterwards
    llm = ScriptedLLM(["a</think>" + call("flood")])
    cfg = AgentConfig(max_context_tokens=3000, max_tokens=500, min_generation_tokens=200, forced_min_tokens=100)
    traj = run(Agent(llm, Toolset([Flood()]), cfg))
    assert traj.finish_reason == "context_limit" and len(traj.steps) == 1 and len(llm.requests) == 1
    assert traj.metadata["forced_by"] == "context"
    assert "maximum context length" in traj.final_response


def test_no_silent_forced_answer_at_turn_zero(toolset: Toolset) -> None:
    llm = ScriptedLLM(["never called"])
    cfg = AgentConfig(max_context_tokens=1000, max_tokens=400, min_generation_tokens=300)
    with pytest.raises(ContextLengthError, match=r"agent\.min_generation_tokens"):
        run(Agent(llm, toolset, cfg), "why? " * 600)
    assert llm.requests == []


def test_context_length_error_shrinks_then_forces(toolset: Toolset) -> None:
    def fn(messages, tools, config):  # type: ignore[no-untyped-def]
        if config.max_tokens > 900:
            raise ContextLengthError("too long")
        return "r</think><answer>y</answer>"

    llm = ScriptedLLM(fn=fn)
    cfg = AgentConfig(max_tokens=1000, min_generation_tokens=850, forced_min_tokens=100)
    traj = run(Agent(llm, toolset, cfg))
    assert [r.config.max_tokens for r in llm.requests] == [1000, 900]
    assert traj.finish_reason == "answer" and traj.steps[0].attempts == 2
    llm2 = ScriptedLLM(fn=lambda m, t, c: (_ for _ in ()).throw(ContextLengthError("x")))
    # at turn 0 a budget shrunk below min_generation_tokens is an error, not a silent forced answer
    with pytest.raises(ContextLengthError, match="first request"):
        run(Agent(llm2, toolset, AgentConfig(max_tokens=1000, min_generation_tokens=950, forced_min_tokens=800)))
    assert len(llm2.requests) == 1
    # later turns shrink, force an answer with tools disabled, then give up (METHOD 5.3)
    calls = iter(["a</think>" + call("search", query=["a"])])

    def fn3(messages, tools, config):  # type: ignore[no-untyped-def]
        first = next(calls, None)
        if first is not None:
            return first
        raise ContextLengthError("x")

    llm3 = ScriptedLLM(fn=fn3)
    traj3 = run(Agent(llm3, toolset, AgentConfig(max_tokens=1000, min_generation_tokens=950, forced_min_tokens=800)))
    assert traj3.finish_reason == "context_limit" and traj3.metadata["forced_by"] == "context"
    assert llm3.requests[2].config.prefill is not None  # 900 < 950: tools disabled, answer forced


def test_native_mode(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            LLMOutput(
                text="", tool_calls=[ToolCall("search", {"query": ["Babbage"]}, "c1")], reasoning="need data"
            ),
            LLMOutput(text="It was <answer>Charles Babbage</answer>"),
        ]
    )
    traj = run(Agent(llm, toolset, AgentConfig(mode="native")))
    assert traj.finish_reason == "answer" and traj.final_answer == "Charles Babbage"
    req = llm.requests[1]
    assert req.tools is not None and [t.name for t in req.tools] == ["search", "visit"]
    assert req.messages[-2]["tool_calls"][0]["function"]["name"] == "search"
    assert req.messages[-1]["role"] == "tool" and req.messages[-1]["tool_call_id"] == "c1"
    assert traj.steps[0].text.startswith("<think>\nneed data\n</think>\n\n<tool_calls_begin>")


def test_llm_error_propagates(toolset: Toolset) -> None:
    llm = ScriptedLLM([LLMError("down")])
    try:
        run(Agent(llm, toolset))
    except LLMError:
        pass
    else:
        raise AssertionError("expected LLMError")


def test_grammar_sent_when_constrained(toolset: Toolset) -> None:
    llm = ScriptedLLM(["a</think><answer>x</answer>"])
    run(Agent(llm, toolset, AgentConfig(constrain_format=True)))
    assert llm.requests[0].config.grammar and "call0" in llm.requests[0].config.grammar


def test_user_tool_role(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            "a</think>" + call("search", query=["a"]) + call("search", query=["b"]),
            "b</think><answer>x</answer>",
        ]
    )
    traj = run(Agent(llm, toolset, AgentConfig(tool_role="user")))
    last = llm.requests[1].messages[-1]
    assert last["role"] == "user" and last["content"].count("<tool_response>") == 2
    assert traj.steps[0].calls[1].arguments == {"query": ["b"]}


def test_prefill_not_doubled_when_provider_returns_whole_turn(toolset: Toolset) -> None:
    def fn(messages, tools, config):  # type: ignore[no-untyped-def]
        if config.prefill:  # like the completions provider: "<think>\n" + prefill + generated
            return "<think>\n" + config.prefill + " so the answer is clear.\n</think>\n\n<answer>B</answer>"
        return "a</think>" + call("search", query=["a"])

    traj = run(Agent(ScriptedLLM(fn=fn), toolset, AgentConfig(max_tool_calls=1)))
    last = traj.steps[-1]
    assert last.reasoning.count(last.prefill or "") == 1 and traj.final_answer == "B"


class Boom(Tool):
    spec = ToolSpec("boom", "Always fails unexpectedly.", {"type": "object", "properties": {}})

    async def __call__(self, arguments: dict) -> str:  # type: ignore[type-arg]
        raise RuntimeError("backend exploded")


def test_unexpected_tool_exception_is_an_observation() -> None:
    llm = ScriptedLLM(["a</think>" + call("boom"), "b</think><answer>x</answer>"])
    traj = run(Agent(llm, Toolset([Boom()])))
    obs = traj.steps[0].calls[0]
    assert obs.error and "RuntimeError: backend exploded" in obs.response and traj.finish_reason == "answer"


def test_native_forced_answer_withdraws_tools(toolset: Toolset) -> None:
    llm = ScriptedLLM(
        [
            LLMOutput(text="", tool_calls=[ToolCall("search", {"query": ["a"]}, "c1")]),
            LLMOutput(text="Charles Babbage"),
        ]
    )
    traj = run(Agent(llm, toolset, AgentConfig(mode="native", max_tool_calls=1)))
    assert llm.requests[0].tools is not None and llm.requests[1].tools is None
    assert traj.finish_reason == "forced_answer" and traj.final_answer == "Charles Babbage"


def test_token_counter_is_pluggable(toolset: Toolset) -> None:
    seen: list[str] = []

    def counter(text: str) -> int:
        seen.append(text)
        return len(text.split())

    llm = ScriptedLLM(["a</think>" + call("search", query=["Babbage"]), "b</think><answer>x</answer>"])
    traj = run(Agent(llm, toolset, token_counter=counter))
    assert seen and traj.steps[1].prompt_tokens == sum(
        len(str(m["content"]).split()) + 4 for m in llm.requests[1].messages
    )


def test_fit_context_scales_budgets() -> None:
    cfg = AgentConfig().fitted(Capabilities("a server", context_window=4096))
    assert (cfg.max_context_tokens, cfg.max_tokens, cfg.min_generation_tokens, cfg.forced_min_tokens) == (
        4096,
        1024,
        512,
        128,
    )
