"""A scripted teacher for the secret-canary test, reachable as ``scripted/echo_teacher:teacher``: it
searches, visits the first hit, then answers by quoting what the tools returned; as summarizer it echoes the
text it is given. Whatever a provider echoed back (an API key, say) would thus reach every record."""

from __future__ import annotations

import re
from typing import Any

from openseeker.agent.format import format_calls, format_turn
from openseeker.agent.prompts import load as load_agent_prompt

_AGENT_HEAD = load_agent_prompt("system_en")[:60]


def teacher(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    if not str(messages[0].get("content", "")).startswith(_AGENT_HEAD):
        return "Summary of the tool output: " + str(messages[-1].get("content", ""))[-600:]
    seen = "\n".join(str(m.get("content", "")) for m in messages[2:])
    if "Echo result" not in seen:
        return format_turn("Search first.", format_calls([{"name": "search", "arguments": {"query": ["echo"]}}]))
    if "You sent" not in seen:
        url = re.search(r"https://echo\.example/\w+", seen)
        call = {"name": "visit", "arguments": {"url": [url.group(0) if url else ""], "goal": "what was sent"}}
        return format_turn("Visit the hit.", format_calls([call]))
    return format_turn("Quote it.", f"<answer>{seen[-400:]}</answer>")
