"""An openseeker corpus as an MCP server: ``search`` and ``visit`` for any MCP-capable agent.

``openseeker mcp serve CORPUS`` runs it over stdio (the default: an MCP client starts it as a
subprocess) or streamable HTTP (``--transport http``). The tools answer exactly as the agent's own
``search`` and ``visit`` do (the same code, the same response layouts), so an outside agent sees what an
openseeker agent would.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from openseeker.errors import ToolError, missing_extra
from openseeker.llm.base import LLM
from openseeker.tools.config import ToolsConfig
from openseeker.tools.search import SEARCH_SPEC
from openseeker.tools.visit import VISIT_SPEC

INSTRUCTIONS = (
    "Search and read the pages of a local document collection. `search` takes one or more queries and "
    "lists the top pages for each; `visit` reads pages by URL, with a goal saying what to look for."
)


def build_server(cfg: ToolsConfig, summarizer: LLM | None = None, *, name: str = "openseeker-corpus") -> Any:
    """An ``mcp.server.mcpserver.MCPServer`` with ``search`` and ``visit`` over ``cfg``'s backends.

    Args:
        cfg: the tools configuration (``corpus`` for the local corpus; any search/fetch backend works).
        summarizer: with one, ``visit`` returns goal-conditioned extractions (``visit_mode``); else raw text.
        name: the server name reported to clients.
    """
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as e:  # pragma: no cover - the extra is installed by default
        raise missing_extra("mcp", "mcp", "Serving a corpus over MCP") from e
    from openseeker.toolbox import build_toolset

    toolset = build_toolset(cfg.model_copy(update={"enabled": ["search", "visit"], "mcp": []}), summarizer)
    search_tool, visit_tool = toolset.tools["search"], toolset.tools["visit"]
    server: Any = MCPServer(name, instructions=INSTRUCTIONS)

    async def search(
        query: list[str] = Field(description=SEARCH_SPEC.parameters["properties"]["query"]["description"]),
    ) -> str:
        return await _run(search_tool, {"query": query})

    async def visit(
        url: str | list[str] = Field(description=VISIT_SPEC.parameters["properties"]["url"]["description"]),
        goal: str = Field(description=VISIT_SPEC.parameters["properties"]["goal"]["description"]),
    ) -> str:
        return await _run(visit_tool, {"url": url, "goal": goal})

    server.add_tool(search, name="search", description=SEARCH_SPEC.description, structured_output=False)
    server.add_tool(visit, name="visit", description=VISIT_SPEC.description, structured_output=False)
    server.openseeker_toolset = toolset  # kept for closing
    return server


async def _run(tool: Any, arguments: dict[str, Any]) -> str:
    try:
        return str(await tool(arguments))
    except ToolError as e:
        # raised inside a tool, the SDK turns it into an error result carrying this message
        raise ValueError(str(e)) from None
