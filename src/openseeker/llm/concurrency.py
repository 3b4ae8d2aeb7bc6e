"""A concurrency limit per endpoint, shared by every role that talks to it."""

from __future__ import annotations

from openseeker.concurrency import limiter
from openseeker.llm.base import LLM, WrapperLLM
from openseeker.llm.types import GenerateConfig, LLMOutput, Message, ToolSpec


class ConcurrencyLimitedLLM(WrapperLLM):
    """At most ``limit`` requests in flight to the endpoint ``key`` (across all wrappers with that key)."""

    def __init__(self, inner: LLM, limit: int, key: str):
        super().__init__(inner)
        self.limit = limit
        self.key = key

    async def _generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig, *, scope: str | None
    ) -> LLMOutput:
        async with limiter(f"llm:{self.key}", self.limit):
            return await super()._generate(messages, tools, config, scope=scope)
