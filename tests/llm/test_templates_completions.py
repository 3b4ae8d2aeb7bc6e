"""Client-side chat templates (exact text) and the ``completions`` provider against a real local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openseeker.errors import ConfigError
from openseeker.llm import GenerateConfig, LLMConfig, ToolSpec, get_llm
from openseeker.llm.providers.completions import CompletionsLLM, parse_text_tool_calls
from openseeker.llm.templates import render, split_reasoning, strip_end_tokens, tools_section
from openseeker.testing import FakeOpenAIServer

EPISODE = [
    {"role": "system", "content": "SYS"},
    {"role": "user", "content": "Who?"},
    {
        "role": "assistant",
        "content": '<think>\nplan A\n</think>\n\n<tool_call>\n{"name": "search"}\n</tool_call>',
    },
    {"role": "tool", "content": "R1"},
    {"role": "tool", "content": "R2"},
    {"role": "assistant", "content": "visit it", "reasoning_content": "plan B"},
    {"role": "tool", "content": "R3"},
]


def test_openseeker_template_exact() -> None:
    expected = (
        "<|im_start|>system\nSYS<|im_end|>\n"
        "<|im_start|>user\nWho?<|im_end|>\n"
        '<|im_start|>assistant\n<think>\nplan A\n</think>\n\n<tool_call>\n{"name": "search"}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\nR1\n</tool_response>\n<tool_response>\nR2\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n<think>\nplan B\n</think>\n\nvisit it<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\nR3\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n<think>\n"
    )
    assert render(EPISODE, "openseeker") == expected
    assert render(EPISODE, "qwen3-thinking") == expected
    assert render(EPISODE, "openseeker", add_generation_prompt=False) == expected.removesuffix(
        "<|im_start|>assistant\n<think>\n"
    )


def test_reasoning_before_the_last_real_query_is_dropped() -> None:
    msgs = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "<think>\nold\n</think>\n\nA1"},
        {"role": "user", "content": "second"},
        {"role": "assistant", "content": "<think>\nnew\n</think>\n\nA2"},
        # a user turn that is only a tool response is not a real query
        {"role": "user", "content": "<tool_response>\nobs\n</tool_response>"},
    ]
    text = render(msgs, "openseeker")
    assert "<|im_start|>assistant\nA1<|im_end|>" in text
    assert "<|im_start|>assistant\n<think>\nnew\n</think>\n\nA2<|im_end|>" in text


def test_structured_tool_calls_and_chatml() -> None:
    msgs = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "search", "arguments": '{"query": ["x"]}'},
                }
            ],
        },
        {"role": "tool", "content": "res"},
    ]
    assert render(msgs, "chatml") == (
        "<|im_start|>user\nhi<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>\n{"name": "search", "arguments": {"query":["x"]}}\n</tool_call><|im_end|>\n'
        "<|im_start|>tool\nres<|im_end|>\n<|im_start|>assistant\n"
    )


def test_tools_go_into_the_system_message() -> None:
    tool = ToolSpec("search", "Search.", {"type": "object"})
    text = render(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "q"}], "openseeker", tools=[tool]
    )
    assert text.startswith("<|im_start|>system\nS" + tools_section([tool]) + "<|im_end|>\n")
    assert '{"name":"search","description":"Search.","parameters":{"type":"object"}}' in text
    with pytest.raises(ConfigError):
        render([{"role": "wizard", "content": "x"}], "openseeker")
    with pytest.raises(ConfigError):
        render([], "nope")


def test_helpers() -> None:
    assert split_reasoning({"role": "assistant", "content": "<think>\nr\n</think>\n\nc"}) == ("r", "c")
    assert split_reasoning({"role": "assistant", "content": "c"}) == ("", "c")
    assert strip_end_tokens("abc<|im_end|>\n<|endoftext|>") == "abc"
    assert strip_end_tokens("abc ") == "abc "
    calls = parse_text_tool_calls(
        '<think>\n<tool_call>{"name": "no"}</tool_call>\n</think>\n\n'
        '<tool_call>\n{"name": "search", "arguments": {"query": ["a"]}}\n</tool_call>'
        "<tool_call>broken</tool_call>"
    )
    assert [(c.name, c.arguments) for c in calls] == [("search", {"query": ["a"]})]


@pytest.fixture
def srv() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(
        lambda req: {"text": "I know.\n</think>\n\n<answer>Paris</answer><|im_end|>", "finish_reason": "stop"}
    ) as s:
        yield s


def test_completions_provider_drives_the_released_format(srv: FakeOpenAIServer) -> None:
    llm = get_llm(LLMConfig(model="completions/OpenSeeker-v1-30B-SFT", base_url=srv.base_url))
    assert isinstance(llm, CompletionsLLM)
    out = llm.generate_sync(EPISODE[:2], config=GenerateConfig(max_tokens=100, prefill="Let me think. "))
    body = srv.requests[-1].json
    assert srv.requests[-1].path == "/v1/completions"
    assert body["prompt"] == render(EPISODE[:2], "openseeker") + "Let me think. "
    assert body["skip_special_tokens"] is False and body["max_tokens"] == 100
    assert body["model"] == "OpenSeeker-v1-30B-SFT" and "temperature" not in body
    # the whole assistant turn: forced <think>, prefill, generation, end token removed
    assert out.text == "<think>\nLet me think. I know.\n</think>\n\n<answer>Paris</answer>"
    assert out.usage.calls == 1 and out.model == "completions/OpenSeeker-v1-30B-SFT"
    # the turn goes back into the history unchanged and renders as the model wrote it
    again = render(
        [*EPISODE[:2], {"role": "assistant", "content": out.text}], "openseeker", add_generation_prompt=False
    )
    assert again.endswith(
        "<|im_start|>assistant\n<think>\nLet me think. I know.\n</think>\n\n<answer>Paris</answer><|im_end|>\n"
    )


def test_completions_tools_and_structured_modes(srv: FakeOpenAIServer) -> None:
    srv.handler = lambda req: (
        '</think>\n\n<tool_call>\n{"name": "search", "arguments": {"query": ["q"]}}\n</tool_call>'
    )
    tool = ToolSpec("search", "Search.", {"type": "object"})
    llm = get_llm(LLMConfig(model="completions/m", base_url=srv.base_url, options={"template": "chatml"}))
    out = llm.generate_sync([{"role": "user", "content": "q"}], tools=[tool])
    assert out.tool_calls[0].name == "search" and out.tool_calls[0].arguments == {"query": ["q"]}
    assert srv.requests[-1].json["prompt"].endswith("<|im_start|>assistant\n")
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    for mode, key in [("guided_json", "guided_json"), ("sglang", "json_schema")]:
        llm = get_llm(
            LLMConfig(model="completions/m", base_url=srv.base_url, options={"structured_output": mode})
        )
        llm.generate_sync([{"role": "user", "content": "q"}], config=GenerateConfig(json_schema=schema))
        assert key in srv.requests[-1].json
    llm = get_llm(LLMConfig(model="completions/m", base_url=srv.base_url))
    llm.generate_sync([{"role": "user", "content": "q"}], config=GenerateConfig(json_schema=schema))
    assert "JSON schema" in srv.requests[-1].json["prompt"]
    with pytest.raises(ConfigError):
        get_llm(LLMConfig(model="completions/m", base_url=srv.base_url, options={"bogus": 1}))
