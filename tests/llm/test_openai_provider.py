"""The ``openai`` provider against a real local HTTP server: success paths, tool calls, structured output,
every error class, and that the key never leaks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from openseeker.errors import (
    ConfigError,
    ContextLengthError,
    LLMRateLimitError,
    LLMResponseError,
    LLMServerError,
    LLMTimeoutError,
)
from openseeker.llm import GenerateConfig, LLMConfig, ToolSpec, build_llm, generate_structured, get_llm
from openseeker.llm.providers.openai import OpenAIChatLLM
from openseeker.testing import FakeOpenAIServer, Fault

USER = [{"role": "user", "content": "hello"}]
SEARCH = ToolSpec("search", "Search the web.", {"type": "object", "properties": {"query": {"type": "array"}}})


@pytest.fixture(params=["fast", "httpx"])
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def srv() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


def make(srv: FakeOpenAIServer, kind: str = "fast", **kw: Any) -> OpenAIChatLLM:
    cfg = LLMConfig(
        model="openai/test-model",
        base_url=srv.base_url,
        timeout=kw.pop("timeout", 5.0),
        options={"http_client": kind, **kw.pop("options", {})},
        **kw,
    )
    llm = get_llm(cfg)
    assert isinstance(llm, OpenAIChatLLM)
    return llm


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_plain_chat_and_usage(srv: FakeOpenAIServer, client_kind: str) -> None:
    llm = make(srv, client_kind, generation=GenerateConfig(temperature=0.3))
    out = llm.generate_sync(USER, config=GenerateConfig(max_tokens=7, seed=1))
    assert out.text == "echo: hello" and out.model == "openai/test-model"
    assert out.usage.calls == 1 and out.usage.prompt_tokens > 0 and out.usage.completion_tokens > 0
    body = srv.requests[-1].json
    assert body == {"model": "test-model", "messages": USER, "temperature": 0.3, "max_tokens": 7, "seed": 1}
    assert llm.usage.calls == 1


def test_tool_calls_and_reasoning_parsed(srv: FakeOpenAIServer) -> None:
    srv.handler = lambda req: {
        "content": "",
        "reasoning_content": "I should search.",
        "tool_calls": [
            {"id": "c1", "name": "search", "arguments": {"query": ["a", "b"]}},
            {"name": "visit", "arguments": "{'url': 'x',}"},
        ],
    }
    out = make(srv).generate_sync(USER, tools=[SEARCH])
    assert out.reasoning == "I should search."
    assert out.finish_reason == "tool_calls"
    assert [(c.name, c.arguments, c.id) for c in out.tool_calls] == [
        ("search", {"query": ["a", "b"]}, "c1"),
        ("visit", {"url": "x"}, "call_1"),
    ]
    sent = srv.requests[-1].json
    assert sent["tools"] == [SEARCH.openai()]


def test_unparseable_tool_arguments_are_kept_not_dropped(srv: FakeOpenAIServer) -> None:
    srv.handler = lambda req: {
        "tool_calls": [{"function": {"name": "search", "arguments": "not json at all"}}]
    }
    out = make(srv).generate_sync(USER)
    assert out.tool_calls[0].arguments == {"_unparsed": "not json at all"}


def test_history_with_tool_calls_is_sent_in_wire_form(srv: FakeOpenAIServer) -> None:
    msgs = [
        *USER,
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "hmm",
            "tool_calls": [{"id": "c1", "name": "search", "arguments": {"query": ["q"]}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "results"},
    ]
    make(srv).generate_sync(msgs)
    sent = srv.requests[-1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"query":["q"]}'}}
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "results"}


class QA(BaseModel):
    question: str
    answer: str


@pytest.mark.parametrize("mode", ["json_schema", "json_object_schema", "json_object", "prompt"])
def test_structured_output_modes(srv: FakeOpenAIServer, mode: str) -> None:
    srv.handler = lambda req: '{"question": "q", "answer": "a"}'
    llm = make(srv, options={"structured_output": mode})
    obj, out = run(generate_structured(llm, USER, QA))
    assert obj == QA(question="q", answer="a") and out.parsed == obj
    body = srv.requests[-1].json
    rf = body.get("response_format")
    if mode == "json_schema":
        assert rf["type"] == "json_schema" and rf["json_schema"]["schema"]["title"] == "QA"
    elif mode == "json_object_schema":
        assert rf == {"type": "json_object", "schema": QA.model_json_schema()}
    else:
        assert (rf == {"type": "json_object"}) == (mode == "json_object")
        assert "JSON schema" in body["messages"][-1]["content"]


def test_structured_reask_then_counted_failure(srv: FakeOpenAIServer) -> None:
    replies = iter(["no json here", '{"question": "q"}', '{"question": "q", "answer": "a"}'])
    srv.handler = lambda req: next(replies)
    obj, out = run(generate_structured(make(srv), USER, QA, max_reasks=2))
    assert obj.answer == "a" and out.usage.calls == 3
    # the re-ask shows the model its bad reply
    assert srv.requests[-1].json["messages"][-2] == {"role": "assistant", "content": '{"question": "q"}'}

    from openseeker.errors import StructuredOutputError

    srv.handler = lambda req: '{"question": 1}'
    with pytest.raises(StructuredOutputError) as e:
        run(generate_structured(make(srv), USER, QA, max_reasks=1))
    assert e.value.reason == "schema_mismatch"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.status(429, retry_after=7), LLMRateLimitError),
        (Fault.status(500), LLMServerError),
        (Fault.status(503), LLMServerError),
        (Fault.drop(), LLMServerError),
        (Fault.garbage(), LLMResponseError),
        (Fault.garbage(b'{"object": "error"}'), LLMResponseError),
        (Fault.context_length(), ContextLengthError),
        (Fault.status(400, message="bad parameter"), LLMResponseError),
        (Fault.status(404), LLMResponseError),
    ],
)
def test_error_mapping(srv: FakeOpenAIServer, client_kind: str, fault: Fault, error: type[Exception]) -> None:
    # twice: a drop on a kept-alive connection (the server probe's) is retried once on a fresh one
    srv.inject(fault, fault)
    with pytest.raises(error) as e:
        make(srv, client_kind).generate_sync(USER)
    if isinstance(e.value, LLMRateLimitError):
        assert e.value.retry_after == 7 and e.value.retryable
    assert type(e.value) is error


def test_timeout(srv: FakeOpenAIServer, client_kind: str) -> None:
    srv.inject(Fault.hang())
    with pytest.raises(LLMTimeoutError):
        make(srv, client_kind, timeout=0.3).generate_sync(USER)
    # per-call timeout overrides the configured one
    srv.inject(Fault.hang())
    with pytest.raises(LLMTimeoutError):
        make(srv, client_kind, timeout=60).generate_sync(USER, config=GenerateConfig(timeout=0.2))


def test_connection_refused_is_retryable_server_error() -> None:
    with FakeOpenAIServer() as s:
        url = s.base_url
    llm = get_llm(LLMConfig(model="openai/x", base_url=url))
    with pytest.raises(LLMServerError, match="is the server running"):
        llm.generate_sync(USER)


def test_build_llm_retries_through_faults(srv: FakeOpenAIServer, client_kind: str) -> None:
    srv.inject(Fault.status(429, retry_after=0), Fault.status(500), Fault.drop(), Fault.hang())
    cfg = LLMConfig(
        model="openai/m",
        base_url=srv.base_url,
        timeout=0.5,
        max_retries=5,
        options={"http_client": client_kind},
    )
    llm = build_llm(cfg)
    retry = llm.inner  # type: ignore[attr-defined]
    retry.base_delay = 0.01
    out = llm.generate_sync(USER)
    assert out.text == "echo: hello"
    # the fast client re-sends once, by itself, when a kept-alive connection turns out closed before any
    # byte of the answer came back (a stale connection), so the drop may cost no retry there
    n = retry.attempts
    assert n in (4, 5) and retry.retries == n - 1
    # non-retryable errors are raised at once
    srv.inject(Fault.context_length())
    with pytest.raises(ContextLengthError):
        llm.generate_sync(USER)
    assert retry.attempts == n + 1


def test_many_concurrent_requests_share_keepalive_connections(srv: FakeOpenAIServer) -> None:
    srv.latency = 0.02
    llm = make(srv, max_concurrency=20)

    async def go() -> list[str]:
        outs = await asyncio.gather(
            *(llm.generate([{"role": "user", "content": str(i)}]) for i in range(200))
        )
        await llm.aclose()
        return [o.text for o in outs]

    assert run(go()) == [f"echo: {i}" for i in range(200)]
    assert len(srv.generations) == 200


def test_list_models(srv: FakeOpenAIServer) -> None:
    assert run(make(srv).list_models()) == ["fake-model"]


# ----------------------------------------------------------------------------- keys
def test_missing_key_for_remote_endpoint_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_llm("openai/gpt-4.1")
    with pytest.raises(ConfigError, match="MY_KEY"):
        get_llm(
            LLMConfig(
                model="openai/deepseek-chat", base_url="https://api.deepseek.com/v1", api_key_env="MY_KEY"
            )
        )
    # a local endpoint needs none
    get_llm(LLMConfig(model="openai/m", base_url="http://localhost:8000/v1"))


def test_key_sent_but_never_in_repr_errors_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-very-secret-123"
    monkeypatch.setenv("MY_KEY", secret)
    with FakeOpenAIServer(api_key=secret) as s:
        cfg = LLMConfig(model="openai/m", base_url=s.base_url, api_key_env="MY_KEY", max_retries=1)
        llm = build_llm(cfg)
        caplog.set_level(logging.DEBUG)
        assert llm.generate_sync(USER).text == "echo: hello"
        assert s.requests[-1].headers["authorization"] == f"Bearer {secret}"
        # a server that echoes the key in its error message
        s.inject(Fault.status(400, message=f"key {secret} is not allowed"))
        with pytest.raises(LLMResponseError) as e:
            llm.generate_sync(USER)
        s.inject(Fault.status(503), Fault.status(503))
        with pytest.raises(LLMServerError) as e2:
            llm.generate_sync(USER)
        bare = get_llm(cfg)
        texts = [
            str(e.value),
            repr(e.value),
            str(e2.value),
            repr(llm),
            repr(bare),
            repr(vars(bare)),
            repr(cfg),
            cfg.model_dump_json(),
            caplog.text,
        ]
    for t in texts:
        assert secret not in t
    direct = LLMConfig(model="openai/m", base_url="https://example.invalid/v1", api_key=secret)
    assert secret not in repr(direct) and secret not in direct.model_dump_json()


def test_remote_endpoint_without_auth_and_option_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    llm = get_llm(
        LLMConfig(
            model="openai/m", base_url="https://internal.example/v1", options={"api_key_required": False}
        )
    )
    assert isinstance(llm, OpenAIChatLLM)
    with pytest.raises(ConfigError, match="unknown option"):
        get_llm(LLMConfig(model="openai/m", base_url="http://localhost/v1", options={"temprature": 1}))
    with pytest.raises(ConfigError, match="structured_output"):
        get_llm(
            LLMConfig(model="openai/m", base_url="http://localhost/v1", options={"structured_output": "x"})
        )


def test_prefill_is_refused_on_chat_endpoints(srv: FakeOpenAIServer) -> None:
    with pytest.raises(ConfigError, match="cannot continue an assistant turn"):
        make(srv).generate_sync(USER, config=GenerateConfig(prefill="x"))
