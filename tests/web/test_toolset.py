"""The web backends inside the agent's toolset (the integration contract with ``openseeker.toolbox``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from openseeker import toolbox as factory
from openseeker.errors import BudgetExceededError
from openseeker.llm.types import ToolCall

from .localserver import LocalServer, Resp, make_cfg


def test_search_and_visit_tools_run_on_web_backends(server: LocalServer, tmp_path: Path) -> None:
    server.route(
        "/search",
        lambda req: Resp(
            200,
            {
                "organic": [
                    {"title": "Doc", "link": f"{server.url}/doc", "snippet": "a document"},
                    {
                        "title": "Answers",
                        "link": "https://huggingface.co/datasets/x/browsecomp",
                        "snippet": "leak",
                    },
                ]
            },
        ),
    )
    server.route("/doc", Resp(200, "The capital of Atlantis is Poseidonia.", {"Content-Type": "text/plain"}))
    cfg = make_cfg(
        server,
        search="serper",
        fetch="http",
        visit_mode="raw",
        cache=str(tmp_path / "c.sqlite"),
        options={"budget": {"run": "t", "max_calls": 3}},
    )
    tools = factory.build_toolset(cfg)

    async def go() -> None:
        res = await tools.call(ToolCall(name="search", arguments={"query": ["atlantis capital"]}, id="1"))
        assert not res.error and f"{server.url}/doc" in res.content and "huggingface" not in res.content
        res = await tools.call(
            ToolCall(name="visit", arguments={"url": f"{server.url}/doc", "goal": "capital"}, id="2")
        )
        assert not res.error and "Poseidonia" in res.content
        res = await tools.call(
            ToolCall(name="visit", arguments={"url": "file:///etc/passwd", "goal": "x"}, id="3")
        )
        assert "only http and https" in res.content
        await tools.call(ToolCall(name="search", arguments={"query": ["second"]}, id="4"))
        with pytest.raises(BudgetExceededError):
            await tools.call(ToolCall(name="search", arguments={"query": ["third"]}, id="5"))

    asyncio.run(go())
