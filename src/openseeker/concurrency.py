"""Bounded concurrency for async work, shared by every stage.

``limiter(name, n)`` returns one process-wide semaphore per name (for example one per LLM endpoint),
so that several stages or roles talking to the same server share its limit. ``bounded_map`` runs an
async function over items with at most ``limit`` in flight and yields results as they complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_limiters: dict[tuple[int, str], asyncio.Semaphore] = {}


def limiter(name: str, n: int) -> asyncio.Semaphore:
    """The semaphore named ``name`` for the running event loop (created with ``n`` slots on first use)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), name)
    sem = _limiters.get(key)
    if sem is None:
        sem = asyncio.Semaphore(max(1, n))
        _limiters[key] = sem
    return sem


async def bounded_map(
    fn: Callable[[T], Awaitable[U]], items: Iterable[T], limit: int
) -> AsyncIterator[tuple[T, U | BaseException]]:
    """Run ``fn`` over ``items`` with at most ``limit`` tasks in flight.

    Yields ``(item, result_or_exception)`` in completion order. Items are pulled lazily, so an
    iterator over millions of records never materializes more than ``limit`` tasks.
    """
    it = iter(items)
    pending: dict[asyncio.Task[U], T] = {}

    def fill() -> None:
        while len(pending) < max(1, limit):
            try:
                item = next(it)
            except StopIteration:
                return
            pending[asyncio.ensure_future(fn(item))] = item

    fill()
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                item = pending.pop(task)
                exc = task.exception()
                yield item, (exc if exc is not None else task.result())
            fill()
    finally:
        # the consumer stopped early (Ctrl-C, cancellation, an error): stop the work still in flight
        for task in pending:
            task.cancel()
