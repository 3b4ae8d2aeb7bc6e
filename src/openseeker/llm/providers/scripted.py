"""A deterministic provider for tests: a list of outputs or a function of the request.

Every request is recorded in :attr:`ScriptedLLM.requests`, so tests can assert exactly what a stage sent
(for example the teacher's context at each step). From a config file it is reachable as
``scripted/<module>:<function>``: the function receives ``(messages, tools, config)`` and returns a
string or an :class:`~openseeker.llm.types.LLMOutput` (it may be async).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from openseeker.errors import ConfigError, LLMError
from openseeker.llm.base import LLM
from openseeker.llm.types import Capabilities, GenerateConfig, LLMOutput, Message, ToolSpec, Usage

ScriptFn = Callable[[list[Message], list[ToolSpec] | None, GenerateConfig], Any]


@dataclass
class ScriptedRequest:
    """One recorded request."""

    messages: list[Message]
    tools: list[ToolSpec] | None
    config: GenerateConfig
    scope: str | None


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


class ScriptedLLM(LLM):
    """Replays scripted outputs in order, or computes each from a function of the request.

    Args:
        outputs: strings or :class:`LLMOutput` objects, returned one per call.
        fn: alternatively, ``fn(messages, tools, config) -> str | LLMOutput`` (sync or async).
        name: the model id to report.
        default: returned once ``outputs`` is exhausted; if ``None``, running out raises :class:`LLMError`.
        capabilities: what it reports as its endpoint's (default: continues a turn by prefill, like the
            completions provider; give ``Capabilities()`` to play a chat server that cannot).
    """

    __test__ = False

    def __init__(
        self,
        outputs: Iterable[str | LLMOutput] | None = None,
        fn: ScriptFn | None = None,
        *,
        name: str = "scripted/test",
        default: str | LLMOutput | None = None,
        defaults: GenerateConfig | None = None,
        capabilities: Capabilities | None = None,
    ):
        super().__init__(name, defaults)
        self._caps = capabilities if capabilities is not None else Capabilities("scripted", continuation="prefill")
        if outputs is None and fn is None and default is None:
            raise ConfigError("ScriptedLLM needs outputs, a function, or a default.")
        self._outputs = list(outputs or [])
        self._fn = fn
        self._default = default
        self.requests: list[ScriptedRequest] = []

    async def capabilities(self) -> Capabilities:
        return self._caps

    async def _generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig, *, scope: str | None
    ) -> LLMOutput:
        self.requests.append(ScriptedRequest([dict(m) for m in messages], tools, config, scope))
        if self._fn is not None:
            res = self._fn(messages, tools, config)
            if inspect.isawaitable(res):
                res = await res
        elif self._outputs:
            res = self._outputs.pop(0)
        elif self._default is not None:
            res = self._default
        else:
            raise LLMError(f"{self.name}: scripted outputs exhausted after {len(self.requests) - 1} calls")
        if isinstance(res, BaseException):
            raise res
        if isinstance(res, LLMOutput):
            out = res
        else:
            out = LLMOutput(text=str(res))
        prompt = sum(_estimate_tokens(str(m.get("content") or "")) for m in messages)
        if out.usage.calls == 0:
            out.usage = Usage(prompt, _estimate_tokens(out.text), 1, 0)
        out.model = out.model or self.name
        return out


def _load_fn(spec: str) -> ScriptFn:
    mod_name, _, attr = spec.partition(":")
    if not attr:
        raise ConfigError(f"scripted model {spec!r} must look like 'scripted/package.module:function'.")
    try:
        return cast("Callable[[list[dict[str, Any]], list[ToolSpec] | None, GenerateConfig], Any]", getattr(importlib.import_module(mod_name), attr))
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"Cannot load scripted function {spec!r}: {e}") from e


def create(model: str, **options: Any) -> ScriptedLLM:
    """Factory for ``scripted/<module>:<function>`` or ``scripted/echo`` (echoes the last user message)."""
    if model == "echo":
        return ScriptedLLM(fn=lambda m, t, c: str(m[-1].get("content", "")) if m else "", name="scripted/echo")
    return ScriptedLLM(fn=_load_fn(model), name=f"scripted/{model}")
