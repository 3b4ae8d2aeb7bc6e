"""Scripted models for the two-processes test: the agent answers only once the gate file exists, so the
first evaluation run holds its run folder for as long as the test wants."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def agent(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    gate = Path(os.environ["OPENSEEKER_TEST_GATE"])
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return "<think>\nI know this.\n</think>\n\n<answer>Paris</answer>"


def judge(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    return "A"
