"""A stage run as a separate process by test_stage_crash.py, so that it can be killed with SIGKILL."""

from __future__ import annotations

import asyncio
import random
import sys
from dataclasses import dataclass

from openseeker.pipeline import Reject, run_stage
from openseeker.records import Record


@dataclass
class Item(Record):
    id: str
    value: int


async def work(item: Item, ctx) -> object:
    # Random latency so that completions interleave and kills land at arbitrary points.
    await asyncio.sleep(random.random() * 0.02)
    ctx.count("seen")
    if item.value % 7 == 0:
        return Reject("multiple_of_7", {"value": item.value})
    if item.value % 5 == 0:  # several outputs for one input: must stay all-or-nothing
        return [Item(f"{item.id}-a", item.value), Item(f"{item.id}-b", item.value)]
    return Item(item.id, item.value * 10)


def main() -> None:
    run_dir, n = sys.argv[1], int(sys.argv[2])
    print("started", flush=True)
    items = [Item(f"i{i:04d}", i) for i in range(n)]
    asyncio.run(run_stage(run_dir, "crash", items, work, key=lambda x: x.id, shard_size=97, concurrency=8))
    print("finished", flush=True)


if __name__ == "__main__":
    main()
