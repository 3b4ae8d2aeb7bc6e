"""Server detection and what each profile changes in the requests.

llama-cpp-python's own server is tested for real in ``tests/realserver``. vLLM, SGLang, llama.cpp's
``llama-server`` and OpenRouter cannot run here: their answers to the detection probes are imitated by
the fake server from their public API docs (``GET /v1/models`` with ``owned_by``/``max_model_len``,
``GET /version``, ``GET /props``, OpenRouter's ``context_length``), labelled as such below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from openseeker.errors import ConfigError, LLMServerError
from openseeker.llm import GenerateConfig, LLMConfig, get_llm, servers
from openseeker.testing import FakeOpenAIServer

USER = [{"role": "user", "content": "hi"}]
SCHEMA = {"type": "object", "properties": {"a": {"type": "string", "enum": ['say "hi"', "x"]}}}

# imitations of the probe answers (public API docs of each server)
VLLM = {"/v1/models": {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "vllm",
                                                     "max_model_len": 32768}]}}
SGLANG = {"/v1/models": {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "sglang",
                                                       "max_model_len": 65536}]},
          "/version": {"version": "0.4.6"}}
LLAMA_SERVER = {"/v1/models": {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "llamacpp",
                                                             "meta": {"n_ctx_train": 131072}}]},
                "/props": {"default_generation_settings": {"n_ctx": 8192}, "total_slots": 1}}
OLD_VLLM = {"/version": {"version": "0.5.0"}}  # /v1/models without owned_by "vllm"
LLAMA_CPP_PYTHON = {"/v1/models": {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "me",
                                                                 "permissions": []}]}}


@pytest.fixture(autouse=True)
def _fresh_profiles() -> Iterator[None]:
    servers.forget()
    yield
    servers.forget()


def _caps(routes: dict[str, Any], provider: str = "openai", **options: Any) -> tuple[Any, Any, FakeOpenAIServer]:
    srv = FakeOpenAIServer(get_routes=routes, text='{"a": "x"}').start()
    llm = get_llm(LLMConfig(model=f"{provider}/m", base_url=srv.base_url, options=options))
    caps = asyncio.run(llm.capabilities())
    return llm, caps, srv


@pytest.mark.parametrize(
    ("routes", "kind", "window", "continuation", "tool_role", "chat_mode", "completions_mode"),
    [
        (VLLM, "vllm", 32768, "continue_final_message", "tool", "json_schema", "guided_json"),
        (SGLANG, "sglang", 65536, "continue_final_message", "tool", "json_schema", "sglang"),
        (LLAMA_SERVER, "llama.cpp", 8192, None, "user", "json_object_schema", "llamacpp"),
        (OLD_VLLM, "vllm", None, "continue_final_message", "tool", "json_schema", "guided_json"),
        ({}, "generic", None, None, None, "json_schema", "prompt"),
    ],
)
def test_detection(routes: dict, kind: str, window: int | None, continuation: str | None, tool_role: str | None,
                   chat_mode: str, completions_mode: str) -> None:
    llm, caps, srv = _caps(routes)
    try:
        assert caps.notes["kind"] == kind and caps.context_window == window
        assert caps.continuation == continuation and caps.tool_role == tool_role
        assert llm.structured_output == chat_mode
        servers.forget()
        comp = get_llm(LLMConfig(model="completions/m", base_url=srv.base_url))
        ccaps = asyncio.run(comp.capabilities())
        assert comp.structured_output == completions_mode and ccaps.continuation == "prefill"
    finally:
        srv.stop()


def test_llama_cpp_python_profile_and_its_crash_proof_schema() -> None:
    llm, caps, srv = _caps(LLAMA_CPP_PYTHON, server="auto", structured_output="json_object_schema")
    try:
        assert caps.notes["kind"] == "llama-cpp-python" and caps.context_window == 2048  # assumed, not reported
        assert caps.tool_role == "user" and caps.continuation is None
        llm.generate_sync(USER, config=GenerateConfig(json_schema=SCHEMA))
        sent = srv.generations[-1].json["response_format"]
        # the quoted value would crash the server's own schema converter: left out, the other kept
        assert sent == {"type": "json_object", "schema": {"type": "object", "properties": {
            "a": {"type": "string", "enum": ["x"]}}}}
    finally:
        srv.stop()


def test_probe_once_per_endpoint() -> None:
    with FakeOpenAIServer(get_routes=VLLM, text="ok") as srv:
        for _ in range(2):
            llm = get_llm(LLMConfig(model="openai/m", base_url=srv.base_url))
            for _ in range(3):
                llm.generate_sync(USER)
        probes = [r for r in srv.requests if r.method == "GET"]
        assert [r.path for r in probes] == ["/v1/models"]


def test_explicit_options_win() -> None:
    with FakeOpenAIServer(get_routes=VLLM, text="ok") as srv:
        llm = get_llm(LLMConfig(model="openai/m", base_url=srv.base_url,
                                options={"server": "llama.cpp", "context_window": 4096, "structured_output": "prompt"}))
        caps = asyncio.run(llm.capabilities())
        assert caps.notes["kind"] == "llama.cpp" and caps.context_window == 4096 and caps.continuation is None
        assert llm.structured_output == "prompt"
    with pytest.raises(ConfigError, match=r"options\.server"):
        get_llm(LLMConfig(model="openai/m", base_url="http://127.0.0.1:1/v1", options={"server": "tgi"}))


def test_continue_final_message_on_vllm() -> None:
    with FakeOpenAIServer(get_routes=VLLM, text=" so the answer is B.") as srv:
        llm = get_llm(LLMConfig(model="openai/m", base_url=srv.base_url))
        out = llm.generate_sync(USER, config=GenerateConfig(prefill="I will answer now:"))
        body = srv.generations[-1].json
        assert body["messages"][-1] == {"role": "assistant", "content": "I will answer now:"}
        assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
        assert out.text == " so the answer is B."


def test_hosted_apis_are_known_by_host_without_probing() -> None:
    async def caps(url: str) -> Any:
        llm = get_llm(LLMConfig(model="openai/m", base_url=url, api_key="k"))
        return await llm.capabilities()

    c = asyncio.run(caps("https://api.deepseek.com/v1"))
    assert c.notes["kind"] == "deepseek" and c.max_output_tokens == 8192 and c.tool_role == "user"
    assert asyncio.run(caps("https://api.openai.com/v1")).notes["kind"] == "openai"


def test_no_server_is_reported_at_once() -> None:
    with FakeOpenAIServer() as s:
        url = s.base_url
    llm = get_llm(LLMConfig(model="openai/x", base_url=url))
    with pytest.raises(LLMServerError, match=f"no server at {url}"):
        asyncio.run(llm.capabilities())


def test_openrouter_models_entry() -> None:
    """OpenRouter's ``GET /models`` entry (imitation from its API docs): context_length, top_provider."""
    body = {"data": [
        {"id": "other/model", "context_length": 8192},
        {"id": "qwen/qwen3-235b-a22b", "context_length": 131072, "top_provider": {"max_completion_tokens": 16384}},
    ]}
    assert servers._from_models(body, "qwen/qwen3-235b-a22b") == (None, 131072, 16384)
    assert servers._from_models({"data": []}, "x") == (None, None, None)
    assert servers.root_url("http://h:8000/v1/") == "http://h:8000"
