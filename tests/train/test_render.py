"""Rendering with the OpenSeeker template and the loss mask, checked token by token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openseeker.errors import DataError
from openseeker.train.data import iter_conversations, row_to_conversation
from openseeker.train.render import IGNORE_INDEX, render_segments, render_text, tokenize_conversation

from .conftest import SYSTEM, conversation


def test_render_text_follows_the_openseeker_template() -> None:
    msgs = conversation(0)["messages"]
    text = render_text(msgs)
    expected = (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
        "<|im_start|>user\nWhich river flows through the city of Paris?<|im_end|>\n"
        f"<|im_start|>assistant\n{msgs[2]['content']}<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n" + msgs[3]["content"] + "\n</tool_response>"
        "\n<tool_response>\n" + msgs[4]["content"] + "\n</tool_response><|im_end|>\n"
        f"<|im_start|>assistant\n{msgs[5]['content']}<|im_end|>\n"
    )
    assert text == expected
    # every assistant turn keeps its reasoning, not only the last one
    assert text.count("<think>") == 2
    assert render_text(msgs, add_generation_prompt=True).endswith("<|im_start|>assistant\n<think>\n")


def test_openseeker_v1_row_renders_like_the_messages_export() -> None:
    msgs = conversation(3)["messages"]
    tool_turn = "\n".join(f"<tool_response>\n{m['content']}\n</tool_response>" for m in msgs[3:5])
    v1 = {
        "question": "q",
        "answer": "a",
        "number of tool calls": 1,
        "trajectory correctness": "Correct",
        "trajectory": [*msgs[:3], {"role": "user", "content": tool_turn}, msgs[5]],
    }
    conv = row_to_conversation(v1, "x:1")
    assert conv.fmt == "openseeker_v1" and conv.correct is True
    assert render_text(conv.messages) == render_text(msgs)


def test_trainable_tokens_are_exactly_the_assistant_turns(tiny_tokenizer) -> None:
    msgs = conversation(1)["messages"]
    sample = tokenize_conversation(msgs, tiny_tokenizer, 10_000, "drop")
    assert sample.status == "ok"
    # segment-wise tokenization equals tokenizing the whole rendered text
    whole = tiny_tokenizer(render_text(msgs), add_special_tokens=False)["input_ids"]
    assert sample.input_ids == whole
    # walk token by token: collect maximal runs of unmasked tokens
    runs: list[list[int]] = []
    prev_masked = True
    for tid, lab in zip(sample.input_ids, sample.labels, strict=True):
        if lab != IGNORE_INDEX:
            assert lab == tid
            if prev_masked:
                runs.append([])
            runs[-1].append(tid)
        prev_masked = lab == IGNORE_INDEX
    decoded = [tiny_tokenizer.decode(r) for r in runs]
    assert decoded == [m["content"] + "<|im_end|>" for m in msgs if m["role"] == "assistant"]
    # and everything masked decodes to the system, user, tool and header text
    masked = tiny_tokenizer.decode(
        [t for t, lab in zip(sample.input_ids, sample.labels, strict=True) if lab == IGNORE_INDEX]
    )
    assert SYSTEM in masked and "<tool_response>" in masked and "<answer>" not in masked


def test_overlong_truncate_keeps_question_and_cuts_at_a_turn_boundary(tiny_tokenizer) -> None:
    msgs = conversation(2)["messages"]
    full = tokenize_conversation(msgs, tiny_tokenizer, 10_000, "drop")
    first_turn_end = len(tiny_tokenizer(render_text(msgs[:3]), add_special_tokens=False)["input_ids"])
    limit = full.full_length - 1
    cut = tokenize_conversation(msgs, tiny_tokenizer, limit, "truncate")
    assert cut.status == "truncated" and cut.turns_kept == 3 and cut.turns_total == 5
    assert len(cut.input_ids) == first_turn_end
    assert tiny_tokenizer.decode(cut.input_ids) == render_text(msgs[:3])
    assert tokenize_conversation(msgs, tiny_tokenizer, limit, "drop").status == "dropped_overlong"
    # when even the first assistant turn does not fit, truncation cannot help
    assert (
        tokenize_conversation(msgs, tiny_tokenizer, first_turn_end - 1, "truncate").status
        == "dropped_overlong"
    )


def test_segments_flag_only_assistant_content() -> None:
    segs = render_segments(conversation(0)["messages"])
    assert [s.role for s in segs if s.trainable] == ["assistant", "assistant"]
    assert all(s.text.endswith("<|im_end|>") for s in segs if s.trainable)


def test_openai_style_reasoning_and_tool_calls_are_rendered() -> None:
    row = {
        "messages": [
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": "",
                "reasoning_content": "look it up",
                "tool_calls": [
                    {"type": "function", "function": {"name": "search", "arguments": '{"query": ["x"]}'}}
                ],
            },
        ]
    }
    content = row_to_conversation(row, "f:1").messages[1]["content"]
    assert content.startswith("<think>\nlook it up\n</think>\n\n<tool_calls_begin>\n<tool_call>\n")
    assert '{"name": "search", "arguments": {"query": ["x"]}}' in content


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({"messages": [{"role": "robot", "content": "x"}]}, "unknown role 'robot'"),
        ({"messages": [{"role": "user", "content": 3}]}, "content must be text"),
        ({"prompt": "x"}, "neither a `messages` list"),
    ],
)
def test_malformed_rows_name_file_and_record(tmp_path: Path, row: dict, needle: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(conversation(0)) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError) as err:
        list(iter_conversations(path))
    assert needle in str(err.value) and "bad.jsonl:record 2" in str(err.value)
