"""Fixtures of the web tests: a local provider server and fake API keys in the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .localserver import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SERPER_API_KEY", "TAVILY_API_KEY", "BRAVE_API_KEY", "JINA_API_KEY"):
        monkeypatch.setenv(name, f"sk-{name.lower()}-secret")
    for name in ("SERPER_KEY_ID", "JINA_API_KEYS"):  # a developer's real keys must not join the rotation
        monkeypatch.delenv(name, raising=False)
    for name in [k for k in os.environ if k.startswith("OPENSEEKER_")]:
        monkeypatch.delenv(name)
