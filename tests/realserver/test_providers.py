"""The HTTP providers against llama-cpp-python's server: detection, structured output that cannot crash
it, and permanent request errors that fail at once naming the setting."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pydantic import BaseModel

from openseeker.errors import LLMResponseError
from openseeker.llm import GenerateConfig, LLMConfig, build_llm, generate_structured

pytestmark = [pytest.mark.slow, pytest.mark.llamacpp]
USER = [{"role": "user", "content": "Name a city."}]


class City(BaseModel):
    city: str
    country: str


def test_detected_profile(llama_server: Any) -> None:
    llm = build_llm(LLMConfig(model="openai/smol", base_url=llama_server.base_url))
    caps = asyncio.run(llm.capabilities())
    assert caps.notes["kind"] == "llama-cpp-python" and caps.context_window == 2048
    assert caps.tool_role == "user" and caps.continuation is None


def test_window_other_than_the_default_is_found(llama_server: Any) -> None:
    """A server started with another --n_ctx: its window comes from its own overflow error, not a guess."""
    from openseeker.llm import servers
    from openseeker.testing.llama_server import LlamaServer

    with LlamaServer(n_ctx=1536) as srv:  # (llama_server: skipped where the session server cannot run)
        for provider in ("openai", "completions"):
            servers.forget()
            llm = build_llm(LLMConfig(model=f"{provider}/smol", base_url=srv.base_url))
            assert asyncio.run(llm.capabilities()).context_window == 1536
        probes = [s for s in srv.statuses() if servers.WINDOW_PROBE in s[1]]
        assert srv.alive() and [s[2] for s in probes] == [400, 400]  # one probe per provider, refused


@pytest.mark.parametrize("provider", ["openai", "completions"])
def test_structured_output_without_options(llama_server: Any, provider: str) -> None:
    llm = build_llm(LLMConfig(model=f"{provider}/smol", base_url=llama_server.base_url, max_retries=0))
    obj, out = asyncio.run(generate_structured(llm, USER, City, GenerateConfig(temperature=0, max_tokens=60)))
    assert isinstance(obj, City) and 1 <= out.usage.calls <= 3  # a truncated reply is re-asked


@pytest.mark.parametrize("provider", ["openai", "completions"])
def test_hostile_enum_values_do_not_crash_the_server(llama_server: Any, provider: str) -> None:
    values = ['the "wise man" said', "C:\\\\path\\\\to", "line\nbreak", "「引号」，。", "x" * 3000, "plain"]
    schema = {"type": "object", "properties": {"q": {"type": "string", "enum": values}}, "required": ["q"]}
    llm = build_llm(LLMConfig(model=f"{provider}/smol", base_url=llama_server.base_url, max_retries=0))
    out = llm.generate_sync(USER, config=GenerateConfig(temperature=0, max_tokens=40, json_schema=schema))
    assert out.text and llama_server.alive()


def test_a_rejected_request_fails_at_once_naming_the_setting(llama_server: Any) -> None:
    """``role: tool`` without a tool-call id: llama-cpp-python answers HTTP 500 with a validation error."""
    llm = build_llm(LLMConfig(model="openai/smol", base_url=llama_server.base_url, max_retries=6))
    msgs = [*USER, {"role": "assistant", "content": "searching"}, {"role": "tool", "content": "result"}]
    t0 = time.monotonic()
    with pytest.raises(LLMResponseError) as e:
        llm.generate_sync(msgs, config=GenerateConfig(max_tokens=4))
    assert "HTTP 500" in str(e.value) and "agent.tool_role: user" in str(e.value)
    assert time.monotonic() - t0 < 20  # not retried (it was ~40 s of backoff per call)
