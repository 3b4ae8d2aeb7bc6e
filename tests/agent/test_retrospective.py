"""The teacher's retrospective context: exactly one raw observation (the newest), summaries before it."""

from __future__ import annotations

import asyncio
import json

from openseeker.agent import Agent, AgentConfig, Trajectory, render_context
from openseeker.agent.context import context_tokens
from openseeker.agent.format import system_prompt
from openseeker.llm import ScriptedLLM
from openseeker.tools.base import Toolset

Q = "Which engine did Babbage design?"


def call(name: str, **args: object) -> str:
    return (
        "<tool_calls_begin>\n<tool_call>\n"
        + json.dumps({"name": name, "arguments": args})
        + "\n</tool_call>\n</tool_calls_end>"
    )


TURNS = [
    "s0</think>\n\n" + call("search", query=["Babbage"]),
    "s1</think>\n\n" + call("visit", url="https://wiki.test/Charles_Babbage", goal="engines"),
    "s2</think>\n\n" + call("visit", url="https://wiki.test/Analytical_Engine", goal="what"),
    "s3</think>\n\n"
    + call("search", query=["Difference Engine"])
    + call("visit", url="https://wiki.test/Ada_Lovelace", goal="who"),
    "s4</think>\n\n<answer>Analytical Engine</answer>",
]


def summarize_fn(messages, tools, config):  # type: ignore[no-untyped-def]
    prompt = messages[-1]["content"]
    call_line = prompt.split("Tool call:\n", 1)[1].split("\n", 1)[0]
    return "SUMMARY of " + call_line


def rollout(toolset: Toolset) -> tuple[Trajectory, ScriptedLLM, ScriptedLLM]:
    teacher = ScriptedLLM(list(TURNS))
    summ = ScriptedLLM(fn=summarize_fn)
    agent = Agent(teacher, toolset, AgentConfig(summarize_min_chars=50), summarizer=summ)
    traj = asyncio.run(agent.run(Q, context="retrospective", scope="r0"))
    return traj, teacher, summ


def test_exact_teacher_context_at_each_step(toolset: Toolset) -> None:
    traj, teacher, summ = rollout(toolset)
    assert traj.finish_reason == "answer" and len(traj.steps) == 5
    system = system_prompt(toolset.specs)
    s = traj.steps
    raw = [[c.response for c in st.calls] for st in s]

    def asst(i: int) -> dict:
        return {"role": "assistant", "content": s[i].text}

    def tools(i: int, summarized: bool) -> list[dict]:
        return [
            {
                "role": "tool",
                "content": (
                    "SUMMARY of " + json.dumps({"name": c.name, "arguments": c.arguments})
                    if summarized
                    else c.response
                ),
            }
            for c in s[i].calls
        ]

    head = [{"role": "system", "content": system}, {"role": "user", "content": Q}]
    expected = [
        head,
        [*head, asst(0), *tools(0, False)],
        [*head, asst(0), *tools(0, True), asst(1), *tools(1, False)],
        [*head, asst(0), *tools(0, True), asst(1), *tools(1, True), asst(2), *tools(2, False)],
        [
            *head,
            asst(0),
            *tools(0, True),
            asst(1),
            *tools(1, True),
            asst(2),
            *tools(2, True),
            asst(3),
            *tools(3, False),
        ],
    ]
    for t, exp in enumerate(expected):
        assert teacher.requests[t].messages == exp, f"step {t}"
        assert render_context(traj, "retrospective", t) == exp
    # Past reasoning and actions stay unchanged; only observations are compressed.
    assert s[0].text == "<think>\ns0\n</think>\n\n" + call("search", query=["Babbage"])
    # The raw responses are all kept, and the raw view restores them.
    full = render_context(traj, "raw")
    assert [m["content"] for m in full if m["role"] == "tool"] == [r for rs in raw for r in rs]
    # Summaries are made one step behind: the last tool step (3) is never summarized.
    assert all(c.summary is not None for st in s[:3] for c in st.calls)
    assert all(c.summary is None for c in s[3].calls)
    assert len(summ.requests) == 3
    assert all(r.scope == "r0" for r in teacher.requests)


def test_token_counts_of_both_views(toolset: Toolset) -> None:
    traj, _, _ = rollout(toolset)
    for st in traj.steps:
        assert st.prompt_tokens == st.prompt_tokens_retrospective
        assert st.prompt_tokens_raw == context_tokens(traj, "raw", st.index)
        assert st.prompt_tokens_retrospective == context_tokens(traj, "retrospective", st.index)
    assert traj.steps[-1].prompt_tokens_retrospective < traj.steps[-1].prompt_tokens_raw
    assert traj.usage["summarizer"]["calls"] == 3


def test_short_and_error_responses_kept_verbatim(toolset: Toolset) -> None:
    teacher = ScriptedLLM(
        [
            "a</think>" + call("visit", url="https://nowhere.test", goal="x"),
            "b</think>" + call("search", query=["Babbage"]),
            "c</think><answer>x</answer>",
        ]
    )
    summ = ScriptedLLM(fn=summarize_fn)
    traj = asyncio.run(Agent(teacher, toolset, summarizer=summ).run(Q, context="retrospective"))
    obs = traj.steps[0].calls[0]
    assert obs.error and obs.summary == obs.response and obs.summary_method == "verbatim"
    assert summ.requests == []


def test_summarizer_failure_falls_back_to_raw(toolset: Toolset) -> None:
    from openseeker.errors import LLMError

    teacher = ScriptedLLM(list(TURNS))
    summ = ScriptedLLM(fn=lambda m, t, c: LLMError("down"))
    traj = asyncio.run(
        Agent(teacher, toolset, AgentConfig(summarize_min_chars=50), summarizer=summ).run(
            Q, context="retrospective"
        )
    )
    assert traj.steps[0].calls[0].summary is None
    assert traj.steps[0].calls[0].summary_method.startswith("failed")
    assert teacher.requests[2].messages == render_context(traj, "raw", 2)


def test_chinese_question_uses_chinese_prompt(toolset: Toolset) -> None:
    teacher = ScriptedLLM(list(TURNS))
    summ = ScriptedLLM(fn=lambda m, t, c: "摘要")
    asyncio.run(
        Agent(teacher, toolset, AgentConfig(summarize_min_chars=50), summarizer=summ).run(
            "巴贝奇设计了哪台机器？", context="retrospective"
        )
    )
    assert "工具输出" in summ.requests[0].messages[0]["content"]


def test_native_mode_retrospective(toolset: Toolset) -> None:
    from openseeker.llm import LLMOutput, ToolCall

    teacher = ScriptedLLM(
        [
            LLMOutput(text="", tool_calls=[ToolCall("search", {"query": ["Babbage"]}, "a")]),
            LLMOutput(text="", tool_calls=[ToolCall("search", {"query": ["Lovelace"]}, "b")]),
            LLMOutput(text="<answer>Analytical Engine</answer>"),
        ]
    )
    summ = ScriptedLLM(fn=lambda m, t, c: "SUM")
    traj = asyncio.run(
        Agent(teacher, toolset, AgentConfig(mode="native", summarize_min_chars=10), summarizer=summ).run(
            Q, context="retrospective"
        )
    )
    tool_msgs = [m for m in teacher.requests[2].messages if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in tool_msgs] == [
        ("a", "SUM"),
        ("b", traj.steps[1].calls[0].response),
    ]
    assert teacher.requests[2].messages == render_context(traj, "retrospective", 2)
