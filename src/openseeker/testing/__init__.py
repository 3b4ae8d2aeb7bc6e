"""Test helpers shipped with the package: a real local OpenAI-compatible HTTP server with fault injection,
the scripted model, and a local imitation of the E2B sandbox API.

They live in the package (not under ``tests/``) so that benchmarks, other projects' tests and users can
drive openseeker's providers and tools against controllable endpoints without any network access.
``from openseeker.testing import FakeOpenAIServer, Fault, ScriptedLLM, E2BImitation`` (imported lazily,
so that ``python -m openseeker.testing.fake_openai`` runs the module cleanly).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "FakeOpenAIServer": "openseeker.testing.fake_openai",
    "Fault": "openseeker.testing.fake_openai",
    "RecordedRequest": "openseeker.testing.fake_openai",
    "ScriptedLLM": "openseeker.llm.providers.scripted",
    "E2BImitation": "openseeker.testing.e2b_imitation",
}
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
