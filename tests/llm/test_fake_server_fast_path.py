"""The benchmark's fast path of FakeOpenAIServer answers like the full path."""

from __future__ import annotations

import asyncio

from openseeker.llm import LLMConfig, build_llm
from openseeker.testing.fake_openai import FakeOpenAIServer


def _ask(base_url: str, n: int) -> list[tuple[str, int, str | None]]:
    async def main() -> list[tuple[str, int, str | None]]:
        llm = build_llm(LLMConfig(model="openai/fake", base_url=base_url, max_retries=0, cache=False))
        try:
            outs = await asyncio.gather(
                *(llm.generate([{"role": "user", "content": f"question {i}"}]) for i in range(n))
            )
        finally:
            await llm.aclose()
        assert all(o.usage.prompt_tokens > 0 for o in outs)
        return [(o.text, o.usage.completion_tokens, o.finish_reason) for o in outs]

    return asyncio.run(main())


def test_fast_path_matches_full_path() -> None:
    # The lean path needs a fixed latency > 0 and record off; the same latency with record on takes
    # the full path, so the two answer the same requests and must agree.
    with (
        FakeOpenAIServer(text="ok", latency=0.01, record=False) as fast,
        FakeOpenAIServer(text="ok", latency=0.01) as full,
    ):
        fast_out = _ask(fast.base_url, 20)
        full_out = _ask(full.base_url, 3)
        assert fast.fast_served == fast.served == 20 and not fast.requests
        assert full.fast_served == 0 and full.served == len(full.generations) == 3  # POSTs; GETs are probes
    assert fast_out[:3] == full_out
    assert set(fast_out) == {full_out[0]} and full_out[0][0] == "ok" and full_out[0][1] > 0
