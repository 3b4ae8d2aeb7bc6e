"""What the process's language-model calls are doing right now, and what each stage input spent.

Every call through :meth:`openseeker.llm.base.LLM.generate` reports to this module (``llm_call``):

* process-wide, for the live progress display: calls in flight, calls and tokens so far, and the
  completion tokens per second over the last :data:`RATE_WINDOW` seconds;
* per stage input: the token usage of the call is added to the *usage sink* of the running task (a
  context variable that :func:`~openseeker.pipeline.stage.run_stage` sets for each input, so every call
  made while working on an input, by any role and any nested task, is counted for it).

A leaf module (standard library only), so that the LLM layer can report without importing the pipeline.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

RATE_WINDOW = 30.0  # seconds of completed calls behind the tokens-per-second figure

# where the running task's LLM usage goes (set per stage input by run_stage)
usage_sink: ContextVar[Callable[[str, Any], None] | None] = ContextVar("openseeker_usage_sink", default=None)


@dataclass
class Snapshot:
    """The process's LLM activity at one moment."""

    in_flight: int
    calls: int
    prompt_tokens: int
    completion_tokens: int
    tokens_per_second: float | None  # completion tokens over the last RATE_WINDOW s; None before any call ends


class Meter:
    """Counts calls in flight and tokens (one per process: :data:`METER`)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._recent: deque[tuple[float, int]] = deque()  # (end time, completion tokens) of recent calls
        self._started: float | None = None  # when the first call of the current window began

    def begin(self) -> None:
        self.in_flight += 1
        if self._started is None:
            self._started = time.monotonic()

    def end(self, prompt_tokens: int, completion_tokens: int) -> None:
        now = time.monotonic()
        self.in_flight -= 1
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self._recent.append((now, completion_tokens))

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        while self._recent and now - self._recent[0][0] > RATE_WINDOW:
            self._recent.popleft()
        rate = None
        if self._recent or self.calls:
            # tokens that finished within the window, over the window (or the time since calls began)
            span = min(RATE_WINDOW, now - (self._started or now)) or 1.0
            rate = sum(n for _, n in self._recent) / span
        return Snapshot(self.in_flight, self.calls, self.prompt_tokens, self.completion_tokens, rate)


METER = Meter()


@contextlib.contextmanager
def llm_call(model: str) -> Iterator[Callable[[Any], None]]:
    """Wrap one LLM call: counts it in flight; the yielded function records the call's usage when it ends.

    ``usage`` is an object with ``prompt_tokens`` / ``completion_tokens`` (``calls``, ``cached_calls``)
    attributes, such as :class:`openseeker.llm.types.Usage`.
    """
    METER.begin()
    done: list[Any] = []
    try:
        yield done.append
    finally:
        usage = done[0] if done else None
        METER.end(int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0))
        sink = usage_sink.get()
        if sink is not None and usage is not None:
            sink(model, usage)
