"""Test helpers shipped with the package: a real local OpenAI-compatible HTTP server with fault injection.

They live in the package (not under ``tests/``) so that benchmarks, other projects' tests and users can
drive openseeker's providers against a controllable endpoint without any network access.
``from openseeker.testing import FakeOpenAIServer, Fault`` (imported lazily, so that
``python -m openseeker.testing.fake_openai`` runs the module cleanly).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FakeOpenAIServer", "Fault", "RecordedRequest"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from openseeker.testing import fake_openai

        return getattr(fake_openai, name)
    raise AttributeError(name)
