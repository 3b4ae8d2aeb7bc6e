"""The one interface every role uses: ``await llm.generate(messages, tools=None, config=None)``."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from openseeker.activity import llm_call
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolSpec, Usage


class LLM(ABC):
    """A language model endpoint.

    Subclasses implement :meth:`_generate`. :meth:`generate` merges the default config, accounts usage,
    and is what callers use. Wrappers (retry, cache, concurrency) are LLMs that hold another LLM.

    Attributes:
        name: the ``provider/model`` id, recorded in every output.
        defaults: generation defaults of this role.
        usage: running total of every call made through this object.
    """

    def __init__(self, name: str, defaults: GenerateConfig | None = None):
        self.name = name
        self.defaults = defaults or GenerateConfig()
        self.usage = Usage()

    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec] | None = None,
        config: GenerateConfig | None = None,
        *,
        scope: str | None = None,
    ) -> LLMOutput:
        """Generate one completion.

        Args:
            messages: the conversation in OpenAI chat format.
            tools: tools the model may call natively (providers without native tools ignore them).
            config: per-call options, overriding this LLM's defaults.
            scope: a cache scope. Two calls with the same request but different scopes are cached
                separately, so repeated samples (rollout 0, 1, 2 ...) are not collapsed into one.
        """
        cfg = self.defaults.merged(config)
        with llm_call(self.name) as record:  # calls in flight and tokens for the progress display and stats
            out = await self._generate(list(messages), list(tools) if tools else None, cfg, scope=scope)
            record(out.usage)
        self.usage = self.usage + out.usage
        return out

    @abstractmethod
    async def _generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig, *, scope: str | None
    ) -> LLMOutput:
        """Provider-specific call (config already merged)."""

    async def capabilities(self) -> Capabilities:
        """What the endpoint offers: context window, how a turn can be continued, the tool-message role.

        HTTP providers probe their server once (see :mod:`openseeker.llm.servers`); a refused connection
        raises :class:`~openseeker.errors.LLMServerError` ("no server at ..."). The default knows nothing.
        """
        return Capabilities()

    def generate_sync(self, messages: Sequence[Message], **kwargs: Any) -> LLMOutput:
        """Blocking convenience wrapper around :meth:`generate`."""
        return asyncio.run(self.generate(messages, **kwargs))

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class WrapperLLM(LLM):
    """Base for LLMs that add one concern (retry, cache, concurrency) around another LLM."""

    def __init__(self, inner: LLM):
        super().__init__(inner.name, GenerateConfig())
        self.inner = inner

    async def _generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig, *, scope: str | None
    ) -> LLMOutput:
        return await self.inner._generate(messages, tools, self.inner.defaults.merged(config), scope=scope)

    async def capabilities(self) -> Capabilities:
        return await self.inner.capabilities()

    async def aclose(self) -> None:
        await self.inner.aclose()
