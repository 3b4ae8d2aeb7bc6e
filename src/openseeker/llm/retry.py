"""Retries with jittered exponential backoff, on retryable failures only, with per-request timeouts.

Retryable (``LLMError.retryable``): rate limits (429), server errors (5xx), dropped connections and
timeouts. Everything else (a bad request, a rejected key, an over-long prompt, a garbage body) is raised
at once: retrying cannot fix it and would only burn budget.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable

from openseeker.errors import LLMError, LLMTimeoutError
from openseeker.llm.base import LLM, WrapperLLM
from openseeker.llm.types import GenerateConfig, LLMOutput, Message, ToolSpec

log = logging.getLogger(__name__)


def backoff_delay(
    attempt: int,
    base_delay: float,
    max_delay: float,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    "Full jitter" (uniform in ``[0, base * 2**attempt]``, capped) spreads out clients that failed
    together. A server's Retry-After is a floor: waiting less would only earn another 429.
    """
    r = rng or random
    delay = r.uniform(0, min(max_delay, base_delay * (2**attempt)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_delay * 4))
    return delay


def call_inner(
    inner: LLM,
    messages: list[Message],
    tools: list[ToolSpec] | None,
    config: GenerateConfig,
    scope: str | None,
) -> Awaitable[LLMOutput]:
    """``inner._generate`` with ``inner``'s defaults merged in (skipped when it has none: merging is the
    costliest step of a wrapper, and every wrapper in a ``build_llm`` stack has empty defaults)."""
    cfg = inner.defaults.merged(config) if inner.defaults.model_fields_set else config
    return inner._generate(messages, tools, cfg, scope=scope)


class RetryingLLM(WrapperLLM):
    """Retries ``inner`` on retryable errors and bounds every attempt by a timeout.

    Args:
        inner: the LLM to call.
        max_retries: retries after the first attempt (0 = no retry).
        timeout: seconds per attempt (``GenerateConfig.timeout`` overrides it per call).
        base_delay: the backoff scale in seconds.
        max_delay: the largest backoff in seconds.

    Attributes:
        attempts: every attempt made (first tries and retries).
        retries: retries made.
    """

    def __init__(
        self,
        inner: LLM,
        max_retries: int = 6,
        timeout: float = 600.0,
        *,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        seed: int | None = None,
    ):
        super().__init__(inner)
        self.max_retries = max(0, max_retries)
        self.timeout = timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.attempts = 0
        self.retries = 0
        self._rng = random.Random(seed)

    async def _generate(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        *,
        scope: str | None,
    ) -> LLMOutput:
        timeout = config.timeout or self.timeout
        attempt = 0
        while True:
            self.attempts += 1
            try:
                async with asyncio.timeout(timeout):
                    return await call_inner(self.inner, messages, tools, config, scope)
            except TimeoutError as e:
                err: LLMError = LLMTimeoutError(f"{self.name}: no answer within {timeout:g} s")
                err.__cause__ = e
            except LLMError as e:
                err = e
            if not err.retryable or attempt >= self.max_retries:
                if attempt:
                    err.add_note(f"gave up after {attempt + 1} attempts")
                raise err
            delay = backoff_delay(attempt, self.base_delay, self.max_delay, err.retry_after, self._rng)
            log.info(
                "%s: %s; retry %d/%d in %.1f s",
                self.name,
                type(err).__name__,
                attempt + 1,
                self.max_retries,
                delay,
            )
            attempt += 1
            self.retries += 1
            await asyncio.sleep(delay)
