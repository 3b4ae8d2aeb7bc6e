"""An MCP server for the tests, on the official SDK: ``add``, ``slow`` and ``broken`` tools.

Run as ``python mcp_test_server.py`` (stdio) or ``python mcp_test_server.py http PORT`` (streamable HTTP).
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("openseeker-test-server")


@server.tool(description="Add two integers and say who answered.")
def add(a: int, b: int) -> str:
    return f"{a} + {b} = {a + b} (from pid {os.getpid()}, secret={os.environ.get('OPENAI_API_KEY', 'unset')})"


@server.tool(description="Wait before answering.")
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "done waiting"


@server.tool(description="Always fails.")
def broken() -> str:
    raise ToolError("the broken tool broke")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
