"""The llamacpp provider picks OpenMP's wait policy from the load of other processes at start."""

from __future__ import annotations

import os

import pytest

from openseeker.llm.providers import llamacpp


def test_idle_cores_keep_openmp_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert llamacpp.choose_wait_policy(2, other_load=0.0) is None
    assert llamacpp.choose_wait_policy(1, other_load=0.9) is None  # a free core is left for the one thread


def test_busy_cores_choose_passive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert llamacpp.choose_wait_policy(2, other_load=1.0) == "PASSIVE"
    assert llamacpp.choose_wait_policy(1, other_load=1.5) == "PASSIVE"


def test_load_probe_excludes_own_work() -> None:
    # This process sleeps during the probe, so only other processes can count; the value is a core count.
    load = llamacpp.other_cpu_load(0.05)
    assert 0.0 <= load <= (os.cpu_count() or 1) + 0.5
