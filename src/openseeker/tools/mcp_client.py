"""Any MCP server as a tool source for the agent, through the official ``mcp`` SDK.

A server is reached over stdio (``command`` + ``args``: the SDK starts it as a subprocess with a minimal
environment plus ``env``) or streamable HTTP (``url``). Its tools join the toolset under their own names
(or ``prefix`` + name), with the schemas the server declares, so they appear in the system prompt and
in trajectories like ``search`` and ``visit``. A failing call, an error result, a timeout or a dropped
connection becomes an ``Error: ...`` observation the model reads; the next rollout reconnects.

The connection lives in one background task (the SDK's task groups must be entered and left in the same
task); tool calls from any rollout task go through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from typing import Any

from openseeker.errors import ConfigError, ToolError, missing_extra
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import Tool, ToolSource
from openseeker.tools.config import MCPServerConfig

log = logging.getLogger(__name__)


def _import_mcp() -> Any:
    try:
        import mcp
    except ImportError as e:  # pragma: no cover - the extra is installed by default
        raise missing_extra("mcp", "mcp", "MCP tool servers") from e
    return mcp


def result_text(result: Any, max_chars: int) -> str:
    """The text the model sees for a ``CallToolResult``: its text parts, other parts described."""
    parts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource" and getattr(block.resource, "text", None) is not None:
            parts.append(block.resource.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} content ({getattr(block, 'mime_type', '')}), not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource link: {getattr(block, 'uri', '')}]")
        else:
            parts.append(f"[{kind or type(block).__name__} content, not shown]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(parts)
    if len(text) > max_chars:
        text = text[:max_chars] + f"\n[... truncated: {len(text) - max_chars} more characters]"
    return text


class MCPTool(Tool):
    """One tool of an MCP server."""

    def __init__(self, source: MCPToolSource, remote_name: str, spec: ToolSpec):
        self.source = source
        self.remote_name = remote_name
        self.spec = spec

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return await self.source.call(self.remote_name, arguments)


class MCPToolSource(ToolSource):
    """The tools of one MCP server (see the module docstring).

    Args:
        cfg: how to reach the server, its timeouts, which tools to take and a name prefix.
    """

    def __init__(self, cfg: MCPServerConfig):
        if bool(cfg.command) == bool(cfg.url):
            raise ConfigError(
                f"tools.mcp[{cfg.name!r}]: give exactly one of 'command' (stdio) or 'url' (HTTP)"
            )
        self.cfg = cfg
        self.name = cfg.name
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._owner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._tools: list[Tool] = []
        self._connecting = asyncio.Lock()

    async def _target(self, stack: contextlib.AsyncExitStack) -> Any:
        mcp = _import_mcp()
        c = self.cfg
        if c.url:
            if c.headers:
                import httpx2  # the SDK's HTTP client
                from mcp.client.streamable_http import streamable_http_client

                http = await stack.enter_async_context(
                    httpx2.AsyncClient(headers=c.headers, timeout=httpx2.Timeout(30.0, read=300.0))
                )
                return streamable_http_client(c.url, http_client=http)
            return c.url
        from mcp.client.stdio import stdio_client

        params = mcp.StdioServerParameters(command=c.command, args=list(c.args), env=c.env, cwd=c.cwd)
        try:  # the server's stderr goes to ours, when ours is a real file (not in notebooks or test runners)
            sys.stderr.fileno()
            errlog: Any = sys.stderr
        except (AttributeError, OSError, ValueError):
            errlog = stack.enter_context(open(os.devnull, "w"))  # closed with the connection
        return stdio_client(params, errlog=errlog)

    async def _connect(self) -> None:
        mcp = _import_mcp()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        stop = asyncio.Event()

        async def own() -> None:
            try:
                async with contextlib.AsyncExitStack() as stack:
                    target = await self._target(stack)
                    client = await stack.enter_async_context(
                        mcp.Client(target, read_timeout_seconds=self.cfg.timeout)
                    )
                    self._client = client
                    ready.set_result(None)
                    await stop.wait()
            except BaseException as e:
                if not ready.done():
                    ready.set_exception(e)
                else:
                    log.warning("MCP server %s disconnected: %r", self.name, e)
                if isinstance(e, asyncio.CancelledError):
                    raise
            finally:
                self._client = None

        self._stop, self._loop = stop, loop
        self._owner = asyncio.create_task(own(), name=f"mcp:{self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.cfg.connect_timeout)
        except BaseException as e:
            await self.aclose()
            where = self.cfg.url or " ".join([self.cfg.command or "", *self.cfg.args])
            raise ToolError(
                f"cannot connect to MCP server {self.name!r} ({where}): {type(e).__name__}: {e}"
            ) from e

    async def start(self) -> list[Tool]:
        async with self._connecting:
            if self._client is not None and self._loop is asyncio.get_running_loop():
                return self._tools
            await self._connect()
            self._tools = await self._list()
            return self._tools

    async def _list(self) -> list[Tool]:
        tools: list[Tool] = []
        cursor = None
        while True:
            page = await self._client.list_tools(cursor=cursor)
            for t in page.tools:
                if self.cfg.tools is not None and t.name not in self.cfg.tools:
                    continue
                schema = dict(t.input_schema or {}) or {"type": "object", "properties": {}}
                spec = ToolSpec(self.cfg.prefix + t.name, t.description or t.title or t.name, schema)
                tools.append(MCPTool(self, t.name, spec))
            cursor = page.next_cursor
            if not cursor:
                break
        missing = set(self.cfg.tools or []) - {t.remote_name for t in tools}  # type: ignore[attr-defined]
        if missing:
            raise ToolError(f"MCP server {self.name!r} has no tool(s) {', '.join(sorted(missing))}")
        return tools

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """Call ``tool``; every failure is a :class:`ToolError` naming the server."""
        if self._client is None or self._loop is not asyncio.get_running_loop():
            await self.start()
        client = self._client
        try:
            result = await asyncio.wait_for(
                client.call_tool(tool, arguments, read_timeout_seconds=self.cfg.timeout), self.cfg.timeout + 5
            )
        except TimeoutError:
            raise ToolError(
                f"the MCP tool {tool!r} (server {self.name!r}) did not answer within {self.cfg.timeout:g} s"
            ) from None
        except ToolError:
            raise
        except Exception as e:
            msg = str(e) or type(e).__name__
            if "timed out" in msg.lower() or "timeout" in type(e).__name__.lower():
                msg = f"did not answer within {self.cfg.timeout:g} s ({msg})"
            raise ToolError(f"the MCP tool {tool!r} (server {self.name!r}) failed: {msg}") from None
        text = result_text(result, self.cfg.max_response_chars)
        if result.is_error:
            raise ToolError(f"the MCP tool {tool!r} reported an error: {text or '(no message)'}")
        return text

    async def aclose(self) -> None:
        if self._stop is not None:
            self._stop.set()
        owner, self._owner = self._owner, None
        if owner is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(owner, 10)
        self._client = None
