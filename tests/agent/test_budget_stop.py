"""A spent tool budget must stop the agent (so the stage can resume later), not become an observation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.errors import BudgetExceededError
from openseeker.llm import ScriptedLLM
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import Tool, Toolset


class _SpentSearch(Tool):
    spec = ToolSpec("search", "search", {"type": "object", "properties": {"query": {"type": "array"}}})

    async def __call__(self, arguments: dict[str, Any]) -> str:
        raise BudgetExceededError("search budget of 3 calls is used up")


def test_budget_exceeded_propagates_out_of_the_agent() -> None:
    turn = '<think>\nlook it up\n</think>\n\n<tool_calls_begin>\n<tool_call>\n{"name": "search", "arguments": {"query": ["x"]}}\n</tool_call>\n</tool_calls_end>'
    agent = Agent(ScriptedLLM([turn]), Toolset([_SpentSearch()]), AgentConfig())
    with pytest.raises(BudgetExceededError):
        asyncio.run(agent.run("q?"))
