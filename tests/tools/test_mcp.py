"""MCP both ways, through the official ``mcp`` SDK: a test MCP server as the agent's tool source (stdio and
streamable HTTP), and ``openseeker mcp serve CORPUS`` reached by the SDK's client."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.llm import ScriptedLLM, ToolCall
from openseeker.toolbox import build_toolset
from openseeker.tools.config import MCPServerConfig, ToolsConfig

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SERVER = str(HERE / "mcp_test_server.py")


def call(name: str, **args: object) -> str:
    return f"<tool_calls_begin>\n<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>\n</tool_calls_end>"


def _stdio(**kw: object) -> MCPServerConfig:
    return MCPServerConfig(name="calc", command=sys.executable, args=[SERVER], **kw)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


def _episode(cfg: ToolsConfig) -> object:
    def model(messages, tools, config):  # type: ignore[no-untyped-def]
        n = sum(1 for m in messages if m["role"] == "assistant")
        script = [
            "Add them.\n</think>\n\n" + call("calc_add", a=2, b=40),
            "And the broken one.\n</think>\n\n" + call("calc_broken"),
            "Try the slow one.\n</think>\n\n" + call("calc_slow", seconds=30),
            "Done.\n</think>\n\n<answer>42</answer>",
        ]
        return script[n]

    async def go():  # type: ignore[no-untyped-def]
        ts = build_toolset(cfg)
        try:
            return await Agent(ScriptedLLM(fn=model), ts, AgentConfig()).run("What is 2 + 40?")
        finally:
            await ts.aclose()

    return asyncio.run(go())


def test_agent_uses_an_mcp_server_over_stdio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-the-server")
    cfg = ToolsConfig(enabled=[], mcp=[_stdio(prefix="calc_", timeout=2)])
    traj = _episode(cfg)
    assert traj.finish_reason == "answer" and traj.final_answer == "42"  # type: ignore[attr-defined]
    names = [t.name for t in traj.tools]  # type: ignore[attr-defined]
    assert names == ["calc_add", "calc_slow", "calc_broken"]
    assert '"name": "calc_add"' in traj.system and "Add two integers" in traj.system  # type: ignore[attr-defined]
    add, broken, slow = traj.observations  # type: ignore[attr-defined]
    assert add.name == "calc_add" and add.arguments == {"a": 2, "b": 40}
    assert add.response.startswith("2 + 40 = 42") and not add.error
    assert "secret=unset" in add.response  # the server does not inherit our environment's keys
    assert slow.error and "did not answer within 2 s" in slow.response
    assert broken.error and "the broken tool broke" in broken.response
    assert traj.to_dict()["steps"][0]["calls"][0]["response"] == add.response  # type: ignore[attr-defined]


def test_agent_uses_an_mcp_server_over_streamable_http() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, SERVER, "http", str(port)], stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        cfg = ToolsConfig(
            enabled=[],
            mcp=[MCPServerConfig(name="calc", url=f"http://127.0.0.1:{port}/mcp", prefix="calc_", timeout=2,
                                 headers={"X-Test": "1"})],
        )  # fmt: skip
        traj = _episode(cfg)
    finally:
        proc.kill()
        proc.wait()
    assert traj.final_answer == "42"  # type: ignore[attr-defined]
    assert traj.observations[0].response.startswith("2 + 40 = 42")  # type: ignore[attr-defined]
    assert "did not answer" in traj.observations[2].response  # type: ignore[attr-defined]


def test_unreachable_server_and_tool_filter() -> None:
    async def go() -> tuple[list[str], str]:
        ts = build_toolset(ToolsConfig(enabled=[], mcp=[_stdio(tools=["add"])]))
        await ts.start()
        names = list(ts.tools)
        await ts.aclose()
        bad = build_toolset(ToolsConfig(enabled=[], mcp=[MCPServerConfig(name="gone", command="/nonexistent/server", connect_timeout=5)]))
        try:
            await bad.start()
            return names, ""
        except Exception as e:
            return names, str(e)
        finally:
            await bad.aclose()

    names, err = asyncio.run(go())
    assert names == ["add"]
    assert "cannot connect to MCP server 'gone'" in err


def test_corpus_served_over_mcp(corpus_dir: Path) -> None:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "openseeker.cli.main", "mcp", "serve", str(corpus_dir)],
        env={"PYTHONPATH": str(REPO / "src")},
    )

    async def go() -> tuple[list[str], str, str, bool]:
        async with Client(params, read_timeout_seconds=60) as client:
            listed = await client.list_tools()
            found = await client.call_tool("search", {"query": ["Eiffel Tower"]})
            page = await client.call_tool("visit", {"url": "https://w.test/France", "goal": "where is it"})
            bad = await client.call_tool("visit", {"url": "https://w.test/Missing", "goal": "x"})
            return ([t.name for t in listed.tools], found.content[0].text, page.content[0].text,
                    "could not be visited" in bad.content[0].text)  # fmt: skip

    names, found, page, missing = asyncio.run(go())
    assert names == ["search", "visit"]
    assert "[Paris](https://w.test/Paris)" in found and found.startswith("### ")
    assert "France is a country in Western Europe." in page
    assert missing


def test_corpus_served_over_mcp_is_an_agent_tool_source(corpus_dir: Path) -> None:
    """The loop closed: an openseeker agent whose search and visit come from `openseeker mcp serve`."""
    server = MCPServerConfig(
        name="corpus", command=sys.executable, args=["-m", "openseeker.cli.main", "mcp", "serve", str(corpus_dir)],
        env={"PYTHONPATH": str(REPO / "src")}, timeout=60,
    )  # fmt: skip

    async def go():  # type: ignore[no-untyped-def]
        ts = build_toolset(ToolsConfig(enabled=[], mcp=[server]))
        try:
            await ts.start()
            return await ts.call(ToolCall("search", {"query": ["capital of France"]}))
        finally:
            await ts.aclose()

    res = asyncio.run(go())
    assert not res.error and "https://w.test/Paris" in res.content


def test_corpus_served_over_streamable_http(corpus_dir: Path) -> None:
    from mcp import Client

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "openseeker.cli.main", "mcp", "serve", str(corpus_dir), "--transport", "http",
         "--port", str(port)],
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_port(port, proc)

        async def go() -> str:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=60) as client:
                res = await client.call_tool("search", {"query": ["capital of France"]})
                return str(res.content[0].text)

        text = asyncio.run(go())
    finally:
        proc.kill()
        proc.wait()
    assert "https://w.test/Paris" in text
