"""The SQLite response cache: hits, misses, scopes, config sensitivity, failures not cached, processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from openseeker.errors import LLMServerError
from openseeker.llm import GenerateConfig, LLMOutput, ScriptedLLM, ToolCall, ToolSpec, Usage
from openseeker.llm.cache import CachedLLM, ResponseCache, cache_key, default_cache_path

USER = [{"role": "user", "content": "q"}]


def counting() -> ScriptedLLM:
    n = 0

    def fn(messages, tools, config):  # type: ignore[no-untyped-def]
        nonlocal n
        n += 1
        return LLMOutput(
            text=f"answer {n}",
            reasoning="r",
            tool_calls=[ToolCall("search", {"q": 1}, "c0")],
            usage=Usage(10, 5, 1, 0),
        )

    return ScriptedLLM(fn=fn, name="openai/m")


def test_hit_miss_and_scope(tmp_path: Path) -> None:
    inner = counting()
    llm = CachedLLM(inner, ResponseCache(tmp_path / "c.sqlite"), endpoint="http://x/v1")
    a = llm.generate_sync(USER)
    b = llm.generate_sync(USER)
    assert (a.text, a.cached, b.text, b.cached) == ("answer 1", False, "answer 1", True)
    assert b.tool_calls == a.tool_calls and b.reasoning == "r" and b.model == "openai/m"
    assert b.usage == Usage(0, 0, 0, 1)  # a hit costs nothing
    assert llm.usage.calls == 1 and llm.usage.cached_calls == 1 and llm.usage.prompt_tokens == 10
    # repeated samples with different scopes are not collapsed
    assert llm.generate_sync(USER, scope="r1").text == "answer 2"
    assert llm.generate_sync(USER, scope="r2").text == "answer 3"
    assert llm.generate_sync(USER, scope="r1").text == "answer 2"
    assert (llm.hits, llm.misses) == (2, 3)


def test_key_covers_what_changes_the_output() -> None:
    cfg = GenerateConfig(temperature=0.5)
    base = cache_key("m", "e", USER, None, cfg, None)
    tool = ToolSpec("search", "d", {"type": "object"})
    assert cache_key("m", "e", USER, None, GenerateConfig(temperature=0.5, timeout=3), None) == base
    for other in [
        cache_key("m2", "e", USER, None, cfg, None),
        cache_key("m", "e2", USER, None, cfg, None),
        cache_key("m", "e", [{"role": "user", "content": "q2"}], None, cfg, None),
        cache_key("m", "e", USER, [tool], cfg, None),
        cache_key("m", "e", USER, None, GenerateConfig(temperature=0.6), None),
        cache_key("m", "e", USER, None, cfg, "s"),
    ]:
        assert other != base


def test_defaults_of_the_provider_are_part_of_the_key(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    hot = CachedLLM(ScriptedLLM(default="hot", name="m", defaults=GenerateConfig(temperature=1.0)), cache)
    cold = CachedLLM(ScriptedLLM(default="cold", name="m", defaults=GenerateConfig(temperature=0.0)), cache)
    assert hot.generate_sync(USER).text == "hot"
    assert cold.generate_sync(USER).text == "cold"


def test_failures_are_not_cached(tmp_path: Path) -> None:
    inner = ScriptedLLM([LLMServerError("down"), "fine"], name="m")  # type: ignore[list-item]
    llm = CachedLLM(inner, ResponseCache(tmp_path / "c.sqlite"))
    with pytest.raises(LLMServerError):
        llm.generate_sync(USER)
    assert llm.generate_sync(USER).text == "fine"
    assert llm.generate_sync(USER).cached


def test_concurrent_tasks_and_info_clear(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    llm = CachedLLM(ScriptedLLM(fn=lambda m, t, c: m[-1]["content"].upper(), name="m"), cache)

    async def go() -> list[str]:
        return [
            o.text
            for o in await asyncio.gather(
                *(llm.generate([{"role": "user", "content": f"x{i % 50}"}]) for i in range(200))
            )
        ]

    assert asyncio.run(go()) == [f"X{i % 50}" for i in range(200)]
    info = cache.info()
    assert info.entries == 50 and info.by_model == {"m": 50} and info.size_bytes > 0
    assert cache.clear(model="other") == 0
    assert cache.clear() == 50 and len(cache) == 0


WRITER = """
import sys
from openseeker.llm.cache import ResponseCache
from openseeker.llm.types import LLMOutput
cache = ResponseCache(sys.argv[1])
start = int(sys.argv[2])
for i in range(start, start + 100):
    cache.put(f"k{i}", LLMOutput(text=str(i), model="m"))
"""


def test_safe_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    ResponseCache(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(k * 100)]) for k in range(3)]
    for p in procs:
        assert p.wait(60) == 0
    cache = ResponseCache(path)
    assert len(cache) == 300
    hit = cache.get("k250")
    assert hit is not None and hit.text == "250"


def test_default_path_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENSEEKER_CACHE", str(tmp_path / "x.sqlite"))
    assert default_cache_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("OPENSEEKER_CACHE")
    assert default_cache_path().name == "llm.sqlite"


def test_writes_are_batched_and_flushed(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    cache = ResponseCache(path, batch=4)
    llm = CachedLLM(ScriptedLLM(fn=lambda m, t, c: m[-1]["content"], name="m"), cache)
    llm.flush_interval = 3600  # only batch size and aclose flush in this test

    async def go(n: int) -> None:
        for i in range(n):
            await llm.generate([{"role": "user", "content": f"x{i}"}])

    asyncio.run(go(3))
    assert cache.pending == 3 and llm.generate_sync([{"role": "user", "content": "x1"}]).cached
    other = ResponseCache(path)  # another connection sees only what was committed
    assert (
        other.get(cache_key("m", "", [{"role": "user", "content": "x1"}], None, GenerateConfig(), None))
        is None
    )
    asyncio.run(go(4))  # the 4th new entry fills the batch
    assert cache.pending == 0
    asyncio.run(llm.generate([{"role": "user", "content": "late"}]))
    asyncio.run(llm.aclose())
    assert cache.pending == 0 and len(other) == 5


def test_timer_flushes_a_partial_batch(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    cache = ResponseCache(path)
    llm = CachedLLM(ScriptedLLM(default="x", name="m"), cache)
    llm.flush_interval = 0.01

    async def go() -> None:
        await llm.generate(USER)
        assert cache.pending == 1  # one row, far below the batch size: only the timer writes it
        await asyncio.sleep(0.1)

    asyncio.run(go())
    assert cache.pending == 0
    # the row is on disk: a fresh connection (no aclose, no exit flush yet) reads it back
    other = ResponseCache(path)
    hit = other.get(cache_key("m", "", USER, None, GenerateConfig(), None))
    assert len(other) == 1 and hit is not None and hit.text == "x"
