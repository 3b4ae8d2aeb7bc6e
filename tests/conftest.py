"""Shared fixtures: an isolated user cache dir, the path of ../shared (when present)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never touch the user's real caches, and never reach a model hub.
    cache = tmp_path_factory.getbasetemp() / "user-cache"
    monkeypatch.setenv("OPENSEEKER_CACHE", str(cache / "llm.sqlite"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    if "OPENSEEKER_MODELS_DIR" not in os.environ:
        monkeypatch.setenv("OPENSEEKER_MODELS_DIR", str(Path.home() / ".cache" / "openseeker" / "models"))


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the repository; skips the test when it is absent."""
    if not SHARED.exists():
        pytest.skip(f"needs the shared data folder {SHARED} (not present)")
    return SHARED


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):
    """A local Ray cluster with 2 CPUs, shared by every test of the session that asks for it (started on
    first use, ~3 s; shut down at the end). Its workers import this checkout of openseeker and the scripted
    models of ``tests/pipeline`` (``scripted/executor_models:...``); ``OPENSEEKER_TEST_SCRATCH`` (yielded as
    ``ray_cluster.scratch``; ``ray_cluster.ray`` is the module) is a folder their scripted models read switches from (a worker's environment is
    fixed when the cluster starts)."""
    ray = pytest.importorskip("ray", reason="ray (the `ray` extra) is not installed")
    from openseeker.pipeline.executor import ray_init

    scratch = tmp_path_factory.mktemp("ray-scratch")
    paths = [str(REPO / "src"), str(REPO / "tests" / "pipeline"), os.environ.get("PYTHONPATH", "")]
    started = ray_init(
        None,
        2,
        env={"PYTHONPATH": os.pathsep.join(p for p in paths if p), "OPENSEEKER_TEST_SCRATCH": str(scratch)},
    )
    yield SimpleNamespace(ray=ray, scratch=scratch)
    if started:
        ray.shutdown()
