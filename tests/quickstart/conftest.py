"""A scripted model that plays every role of the quickstart on a generated world.

QA synthesis and judging are played by the QA stage's own test script (``tests/synth/conftest.py``,
which follows that stage's prompts); the agent searches once, then answers with the title of the first
search hit; the summarizer returns a short note.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from openseeker.agent.format import format_calls, format_turn
from openseeker.agent.prompts import load as load_agent_prompt
from openseeker.llm import ROLES, RolesConfig, ScriptedLLM
from openseeker.llm.registry import Roles

_SYNTH_CONFTEST = Path(__file__).resolve().parents[1] / "synth" / "conftest.py"
_AGENT_SYSTEM_HEAD = load_agent_prompt("system_en")[:60]
_HIT = re.compile(r"\[(.+?)\]\((https?://\S+?)\)|(?:^|\n)\d+\.\s*(.+?)\n", re.S)


def _qa_script(**behaviour: Any) -> Any:
    spec = importlib.util.spec_from_file_location("_synth_conftest_for_quickstart", _SYNTH_CONFTEST)
    assert spec and spec.loader, _SYNTH_CONFTEST
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod.Script(**behaviour)


class WorldPlayer:
    """``fn(messages, tools, config)`` for :class:`ScriptedLLM`."""

    def __init__(self, **qa_behaviour: Any) -> None:
        self.qa = _qa_script(**qa_behaviour)
        self.calls: dict[str, int] = {"agent": 0, "summarizer": 0, "qa": 0}

    def __call__(self, messages: list[dict[str, Any]], tools: Any, config: Any) -> Any:
        system = str(messages[0].get("content", ""))
        if system.startswith(_AGENT_SYSTEM_HEAD):
            self.calls["agent"] += 1
            return self._agent(messages)
        if (
            len(messages) == 1
            or "Tool output" in system
            or "Tool output" in str(messages[-1].get("content", ""))
        ):
            self.calls["summarizer"] += 1
            return "The tool output lists a few pages; none states the answer directly."
        self.calls["qa"] += 1
        return self.qa(messages, tools, config)

    def _agent(self, messages: list[dict[str, Any]]) -> str:
        question = next(str(m["content"]) for m in messages if m["role"] == "user")
        seen = "\n".join(str(m.get("content", "")) for m in messages[2:])
        if not seen:
            call = {"name": "search", "arguments": {"query": [question[:80]]}}
            return format_turn("I should search for the clues.", format_calls([call]))
        hit = _HIT.search(seen)
        title = (hit.group(1) or hit.group(3) or "unknown").strip() if hit else "unknown"
        return format_turn("The first result fits the clues.", f"<answer>{title}</answer>")


def make_roles(**qa_behaviour: Any) -> tuple[Roles, WorldPlayer]:
    """Every role played by one scripted :class:`WorldPlayer` (``qa_behaviour`` drives the QA script)."""
    player = WorldPlayer(**qa_behaviour)
    llm = ScriptedLLM(fn=player, name="scripted/world")
    roles = Roles(RolesConfig(), overrides={r: llm for r in ROLES})
    return roles, player


@pytest.fixture
def world_roles() -> Any:
    """``world_roles(**qa_behaviour) -> (roles, player)``."""
    return make_roles
