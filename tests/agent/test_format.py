"""Parsing of generated turns: every branch of the OpenSeeker format parser."""

from __future__ import annotations

from openseeker.agent.format import (
    extract_answer,
    format_calls,
    format_responses,
    parse_calls,
    parse_turn,
    split_responses,
    split_think,
    system_prompt,
    turn_grammar,
)
from openseeker.llm.types import ToolCall, ToolSpec

SPEC = ToolSpec(
    "search",
    "Search.",
    {
        "type": "object",
        "properties": {"query": {"type": "array", "items": {"type": "string"}}},
        "required": ["query"],
    },
)


def test_system_prompt_has_flat_tools_one_per_line() -> None:
    text = system_prompt([SPEC])
    block = text.split("<tools>\n", 1)[1].split("\n</tools>", 1)[0]
    assert block.splitlines() == [
        '{"name": "search", "description": "Search.", "parameters": {"type": "object", '
        '"properties": {"query": {"type": "array", "items": {"type": "string"}}}, '
        '"required": ["query"]}}'
    ]
    assert (
        "<tool_calls_begin>" in text and '{"name": <function-name>, "arguments": <args-json-object>}' in text
    )
    assert "<answer>" not in text  # the released models learned the answer tag from data, not the prompt


def test_split_think_variants() -> None:
    assert split_think("plan\n</think>\n\nact") == ("plan", "act")
    assert split_think("<think>\nplan\n</think>\n\nact<|im_end|>") == ("plan", "act")
    assert split_think("<think>never closed") == ("never closed", "")
    assert split_think("just text", reasoning="sep") == ("sep", "just text")


def test_answer_wins_over_calls() -> None:
    t = parse_turn(
        'r</think>\n<tool_calls_begin><tool_call>{"name":"search","arguments":{}}</tool_call>'
        "</tool_calls_end><answer>42</answer>"
    )
    assert t.answer == "42" and t.calls == []
    assert extract_answer("x </answer>") == "x"
    assert extract_answer("<answer>a</answer> then <answer>b</answer>") == "b"
    assert extract_answer("<answer>unterminated") is None


def test_several_calls_lists_and_alt_keys() -> None:
    content = (
        '<tool_calls_begin>\n<tool_call>\n{"name": "search", "arguments": {"query": ["a"]}}\n</tool_call>\n'
        '<tool_call>[{"tool_name": "visit", "tool_args": {"url": "u", "goal": "g"}}, '
        '{"name": "search", "arguments": "{\\"query\\": [\\"b\\"]}"}]</tool_call>\n</tool_calls_end>'
    )
    calls, errors = parse_calls(content)
    assert errors == []
    assert [(c.name, c.arguments) for c in calls] == [
        ("search", {"query": ["a"]}),
        ("visit", {"url": "u", "goal": "g"}),
        ("search", {"query": ["b"]}),
    ]


def test_json_repair_and_missing_block_and_unclosed_call() -> None:
    calls, errors = parse_calls('<tool_call>{"name": "search", "arguments": {"query": ["x",],}</tool_call>')
    assert errors == [] and calls[0].arguments == {"query": ["x"]}
    calls, _ = parse_calls('<tool_calls_begin><tool_call>{"name": "search", "arguments": {"query": ["y"]}}')
    assert calls[0].arguments == {"query": ["y"]}
    calls, _ = parse_calls('```json\n{"name": "search"}\n```')  # no tags at all: not a call
    assert calls == []


def test_bad_calls_give_errors() -> None:
    calls, errors = parse_calls(
        '<tool_call>{"arguments": {}}</tool_call><tool_call>nonsense</tool_call>'
        '<tool_call>{"name": "search", "arguments": [1]}</tool_call>'
    )
    assert calls == [] and len(errors) == 3
    assert 'missing "name"' in errors[0] and "must be a JSON object" in errors[2]


def test_turn_text_and_response_roundtrip() -> None:
    t = parse_turn("  reasoning  </think>  <answer>x</answer>")
    assert t.text == "<think>\nreasoning\n</think>\n\n<answer>x</answer>"
    block = format_calls([ToolCall("search", {"query": ["q"]})])
    assert parse_calls(block)[0][0].arguments == {"query": ["q"]}
    assert split_responses(format_responses(["a\nb", "c"])) == ["a\nb", "c"]


def test_grammar_mentions_every_tool() -> None:
    g = turn_grammar([SPEC])
    assert g.startswith("root ::=") and '\\"search\\"' in g and "strlist" in g
    assert "calls" not in turn_grammar([]).split("\n", 1)[0]
