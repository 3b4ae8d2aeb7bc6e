"""Scripted models for the exit-code tests, reachable from the command line as ``scripted/failing_models:...``."""

from __future__ import annotations

from typing import Any

from openseeker.errors import LLMResponseError


def down(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """Every request fails (a non-retryable error, so that the test does not wait for backoff)."""
    raise LLMResponseError("the test model refuses every request")
