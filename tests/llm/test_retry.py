"""Retry classification, backoff and per-attempt timeouts (with a scripted inner model, no sleeping)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from openseeker.errors import (
    ContextLengthError,
    LLMRateLimitError,
    LLMResponseError,
    LLMServerError,
    LLMTimeoutError,
    StructuredOutputError,
)
from openseeker.llm import GenerateConfig, LLMOutput, ScriptedLLM
from openseeker.llm.retry import RetryingLLM, backoff_delay

USER = [{"role": "user", "content": "q"}]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(d: float, *a: Any) -> None:
        waited.append(d)
        await real_sleep(0)

    monkeypatch.setattr("openseeker.llm.retry.asyncio.sleep", fake_sleep)
    return waited


@pytest.mark.parametrize("err", [LLMRateLimitError("429"), LLMServerError("503"), LLMTimeoutError("slow")])
def test_retryable_errors_are_retried(err: Exception, sleeps: list[float]) -> None:
    inner = ScriptedLLM([err, err, "ok"])  # type: ignore[list-item]
    llm = RetryingLLM(inner, max_retries=3, timeout=5, base_delay=0.5, max_delay=4, seed=0)
    assert llm.generate_sync(USER).text == "ok"
    assert llm.attempts == 3 and llm.retries == 2 and len(sleeps) == 2
    assert all(0 <= d <= 4 for d in sleeps)


@pytest.mark.parametrize(
    "err", [LLMResponseError("garbage"), ContextLengthError("too long"), StructuredOutputError("bad")]
)
def test_non_retryable_errors_raise_at_once(err: Exception, sleeps: list[float]) -> None:
    llm = RetryingLLM(ScriptedLLM([err, "ok"]), max_retries=5)  # type: ignore[list-item]
    with pytest.raises(type(err)):
        llm.generate_sync(USER)
    assert llm.attempts == 1 and sleeps == []


def test_gives_up_after_max_retries(sleeps: list[float]) -> None:
    llm = RetryingLLM(ScriptedLLM(default=LLMOutput(), fn=lambda *a: LLMServerError("down")), max_retries=2)
    with pytest.raises(LLMServerError) as e:
        llm.generate_sync(USER)
    assert llm.attempts == 3 and len(sleeps) == 2
    assert "gave up after 3 attempts" in "".join(getattr(e.value, "__notes__", []))


def test_retry_after_is_a_floor(sleeps: list[float]) -> None:
    inner = ScriptedLLM([LLMRateLimitError("429", retry_after=9.0), "ok"])  # type: ignore[list-item]
    RetryingLLM(inner, max_retries=1, base_delay=0.1, max_delay=60).generate_sync(USER)
    assert sleeps == [9.0]


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    highs = [max(backoff_delay(a, 1.0, 8.0, None, rng) for _ in range(200)) for a in range(6)]
    assert highs[0] <= 1.0 and highs[2] <= 4.0 and all(h <= 8.0 for h in highs)
    assert highs[3] > 4.0  # reaches past the previous cap once the window doubled


def test_per_attempt_timeout_becomes_a_retryable_timeout(sleeps: list[float]) -> None:
    calls = 0

    async def slow_then_fast(messages: Any, tools: Any, config: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.Event().wait()  # never answers
        return "fast"

    llm = RetryingLLM(ScriptedLLM(fn=slow_then_fast), max_retries=1, timeout=0.05)
    assert llm.generate_sync(USER).text == "fast"
    assert llm.attempts == 2
    llm2 = RetryingLLM(ScriptedLLM(fn=slow_then_fast), max_retries=0, timeout=60)
    calls = 0
    with pytest.raises(LLMTimeoutError):
        llm2.generate_sync(USER, config=GenerateConfig(timeout=0.05))


# ---- classification of real HTTP answers (fake server, the retry wrapper of build_llm) ----------------

from openseeker.llm import LLMConfig, build_llm  # noqa: E402
from openseeker.testing import FakeOpenAIServer, Fault  # noqa: E402

# what llama-cpp-python's server answers for a role=tool message without a tool-call id (seen for real)
_VALIDATION_500 = (
    "6 validation errors: {'type': 'literal_error', 'loc': ('body', 'messages', 3, "
    "'ChatCompletionRequestUserMessage', 'role'), 'msg': \"Input should be 'user'\", 'input': 'tool'}"
)


def _llm(srv: FakeOpenAIServer) -> Any:
    return build_llm(LLMConfig(model="openai/m", base_url=srv.base_url, max_retries=3))


@pytest.mark.parametrize(
    ("fault", "hint"),
    [
        (Fault.status(500, message=_VALIDATION_500), "agent.tool_role: user"),
        (Fault.status(422, message="response_format.type: Input should be 'text' or 'json_object'"),
         "structured_output"),
        (Fault.status(400, message="'grammar' is not supported by this endpoint"), "constrain_format"),
        (Fault.status(500, message="invalid request: continue_final_message is not supported"), "options.server"),
        (Fault.status(401, message="bad key"), "API key"),
        (Fault.status(404, message="The model `x` does not exist"), "model name"),
    ],
)
def test_permanent_errors_fail_at_once_naming_the_setting(sleeps: list[float], fault: Fault, hint: str) -> None:
    with FakeOpenAIServer(text="ok") as srv:
        srv.inject(fault, fault, fault)
        with pytest.raises(LLMResponseError) as e:
            _llm(srv).generate_sync(USER)
        assert len(srv.generations) == 1 and sleeps == []
        assert hint in str(e.value) and (fault.message[:20] in str(e.value))


@pytest.mark.parametrize(
    "fault",
    [Fault.status(500, message="CUDA out of memory, try again"), Fault.status(502), Fault.status(503), Fault.drop()],
)
def test_transient_errors_are_retried(sleeps: list[float], fault: Fault) -> None:
    with FakeOpenAIServer(text="ok") as srv:
        srv.inject(fault, fault)
        assert _llm(srv).generate_sync(USER).text == "ok"


def test_200_with_an_error_object_is_retried_as_its_code_says(sleeps: list[float]) -> None:
    """Issue 16 item 7: a gateway's HTTP 200 carrying ``{"error": {"code": 502}}`` is a 502."""
    with FakeOpenAIServer(text="ok") as srv:
        upstream = Fault.garbage(b'{"error": {"code": 502, "message": "upstream provider timed out"}}')
        srv.inject(upstream, Fault.garbage(b'{"error": {"code": "429", "message": "slow down"}}'))
        assert _llm(srv).generate_sync(USER).text == "ok"
        assert len(srv.generations) == 3 and len(sleeps) == 2
        srv.inject(Fault.garbage(b'{"error": {"code": 400, "message": "invalid tool schema"}}'))
        with pytest.raises(LLMResponseError, match="invalid tool schema"):
            _llm(srv).generate_sync([{"role": "user", "content": "again"}])
        assert len(srv.generations) == 4
