"""The fake OpenAI-compatible server itself: routes, handler forms, fault injection, recording."""

from __future__ import annotations

import httpx
import pytest

from openseeker.testing import FakeOpenAIServer, Fault


def test_routes_and_handler_forms() -> None:
    def handler(req: dict) -> object:
        last = req.get("messages", [{}])[-1].get("content", "") if "messages" in req else req["prompt"]
        if last == "tool":
            return {"content": None, "tool_calls": [{"name": "search", "arguments": {"query": ["x"]}}]}
        return f"got {last}"

    with FakeOpenAIServer(handler, model="m1") as srv, httpx.Client(base_url=srv.base_url) as c:
        assert c.get("/models").json()["data"][0]["id"] == "m1"
        r = c.post(
            "/chat/completions", json={"model": "x", "messages": [{"role": "user", "content": "hi"}]}
        ).json()
        assert r["choices"][0]["message"]["content"] == "got hi"
        assert r["usage"]["total_tokens"] > 0
        r = c.post("/chat/completions", json={"messages": [{"role": "user", "content": "tool"}]}).json()
        call = r["choices"][0]["message"]["tool_calls"][0]
        assert call["function"]["name"] == "search" and call["function"]["arguments"] == '{"query":["x"]}'
        assert r["choices"][0]["finish_reason"] == "tool_calls"
        r = c.post("/completions", json={"prompt": "abc"}).json()
        assert r["choices"][0]["text"] == "got abc"
        assert c.post("/nope", json={}).status_code == 404
    assert [q.path for q in srv.requests] == [
        "/v1/models",
        "/v1/chat/completions",
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/nope",
    ]
    assert srv.requests[1].json["model"] == "x"


def test_fault_injection() -> None:
    with FakeOpenAIServer() as srv, httpx.Client(base_url=srv.base_url, timeout=0.5) as c:
        srv.inject(
            Fault.status(429, retry_after=3), Fault.status(500), Fault.garbage(), Fault.context_length()
        )
        r = c.post("/chat/completions", json={"messages": []})
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        assert c.post("/chat/completions", json={"messages": []}).status_code == 500
        r = c.post("/chat/completions", json={"messages": []})
        assert r.status_code == 200 and r.content.startswith(b"<html>")
        r = c.post("/chat/completions", json={"messages": []})
        assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
        srv.inject(Fault.drop())
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/chat/completions", json={"messages": []})
        srv.inject(Fault.hang())
        with pytest.raises(httpx.ReadTimeout):
            c.post("/chat/completions", json={"messages": []})
        # the server is still healthy afterwards
        assert (
            c.post("/chat/completions", json={"messages": [{"role": "user", "content": "ok"}]}).status_code
            == 200
        )


def test_api_key_check() -> None:
    with FakeOpenAIServer(api_key="sk-test") as srv, httpx.Client(base_url=srv.base_url) as c:
        assert c.post("/chat/completions", json={"messages": []}).status_code == 401
        ok = c.post("/chat/completions", json={"messages": []}, headers={"Authorization": "Bearer sk-test"})
        assert ok.status_code == 200


def test_async_handler_latency_function_and_connection_close() -> None:
    import asyncio

    async def handler(req: dict) -> str:
        await asyncio.sleep(0.01)
        return "slow " + req["messages"][-1]["content"]

    with FakeOpenAIServer(handler, latency=lambda req: 0.01) as srv, httpx.Client(base_url=srv.base_url) as c:
        for i in range(3):
            r = c.post("/chat/completions", json={"messages": [{"role": "user", "content": str(i)}]})
            assert r.json()["choices"][0]["message"]["content"] == f"slow {i}"
        r = c.post(
            "/chat/completions",
            json={"messages": [{"role": "user", "content": "x"}]},
            headers={"connection": "close"},
        )
        assert r.status_code == 200
        srv.handler = lambda req: 1 / 0  # a handler bug answers 500 and names the error
        r = c.post("/chat/completions", json={"messages": []})
        assert r.status_code == 500 and "ZeroDivisionError" in r.text
    assert srv.served == 4
