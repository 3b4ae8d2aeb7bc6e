"""Scripted models for the v2 ``eval run`` test, loaded as ``scripted/v2_scripted:agent`` (and ``:judge``)."""

from __future__ import annotations

import json
from typing import Any


def _call(name: str, **args: object) -> str:
    return f"<tool_calls_begin>\n<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>\n</tool_calls_end>"


def agent(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """Search, run the arithmetic in a sandbox, then answer in \\boxed{}."""
    turns = sum(m["role"] == "assistant" for m in messages)
    last = str(messages[-1].get("content", ""))
    if turns == 0:
        return "Look it up.\n</think>\n\n" + _call("search", query=["Eiffel Tower completed"])
    if turns == 1:
        return "Compute it.\n</think>\n\n" + _call("run_python_code", code_block="print(1921 - 1889)", sandbox_id="")
    if "32" in last:
        return "The code printed 32.\n</think>\n\n<answer>It is \\boxed{32}.</answer>"
    return "Unsure.\n</think>\n\n<answer>\\boxed{unknown}</answer>"


def judge(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """A/B: correct exactly when the response boxes the gold answer 32."""
    prompt = str(messages[-1].get("content", ""))
    return "A" if "\\boxed{32}" in prompt else "B"
