"""The search agent: an OpenSeeker-format ReAct loop, its stored trajectories and their context views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openseeker.agent.config import AgentConfig
from openseeker.agent.context import ContextStrategy, render_context
from openseeker.agent.loop import Agent
from openseeker.agent.records import Observation, Step, Trajectory

if TYPE_CHECKING:
    from openseeker.llm.registry import Roles
    from openseeker.tools.config import ToolsConfig

__all__ = [
    "Agent",
    "AgentConfig",
    "ContextStrategy",
    "Observation",
    "Step",
    "Trajectory",
    "build_agent",
    "render_context",
]


def build_agent(
    roles: Roles, tools: ToolsConfig, config: AgentConfig | None = None, *, role: str = "agent"
) -> Agent:
    """An agent whose model is ``roles[role]`` and whose tools come from ``tools``.

    The summarizer role serves both the visit tool's page extraction and the retrospective summaries.

    Args:
        roles: the role models.
        tools: tool backends (local corpus or web).
        config: agent options.
        role: which role acts (``agent`` at inference, ``teacher`` in trajectory synthesis).
    """
    from openseeker.agent.profiles import get_profile
    from openseeker.toolbox import build_toolset

    config = config or AgentConfig()
    summarizer = roles["summarizer"]
    # the profile's tool set (e.g. the v2 sandbox tools) unless the config chose its own
    toolset = build_toolset(get_profile(config.profile).configure_tools(tools), summarizer)
    return Agent(roles[role], toolset, config, summarizer=summarizer)
