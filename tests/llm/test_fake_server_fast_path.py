"""The benchmark's fast path of FakeOpenAIServer answers like the full path."""

from __future__ import annotations

import asyncio

from openseeker.llm import LLMConfig, build_llm
from openseeker.testing.fake_openai import FakeOpenAIServer


def _ask(base_url: str, n: int) -> list[str]:
    async def main() -> list[str]:
        llm = build_llm(LLMConfig(model="openai/fake", base_url=base_url, max_retries=0, cache=False))
        try:
            outs = await asyncio.gather(
                *(llm.generate([{"role": "user", "content": f"question {i}"}]) for i in range(n))
            )
        finally:
            await llm.aclose()
        assert all(o.usage.completion_tokens > 0 for o in outs)
        return [o.text for o in outs]

    return asyncio.run(main())


def test_fast_path_matches_full_path() -> None:
    with FakeOpenAIServer(text="ok", record=False) as fast, FakeOpenAIServer(text="ok") as full:
        assert _ask(fast.base_url, 20) == ["ok"] * 20
        assert _ask(full.base_url, 3) == ["ok"] * 3
        assert len(full.requests) == 3 and not fast.requests
