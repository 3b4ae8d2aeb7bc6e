"""Scripted agent models for the ``agent ask --save`` tests (``scripted/flaky_models:...`` on the command line)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from openseeker.errors import LLMResponseError

_SEARCH = (
    "I will search.\n</think>\n\n<tool_calls_begin>\n<tool_call>\n"
    + json.dumps({"name": "search", "arguments": {"query": ["Analytical Engine"]}})
    + "\n</tool_call>\n</tool_calls_end>"
)


def search_then_down(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """The first turn searches; every later request fails (a non-retryable error)."""
    if len(messages) <= 2:
        return _SEARCH
    raise LLMResponseError("the test model stopped answering")


async def search_then_hang(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """The first turn searches; the next request never returns (until the run is interrupted)."""
    if len(messages) <= 2:
        return _SEARCH
    await asyncio.sleep(3600)
    raise AssertionError("unreachable")
