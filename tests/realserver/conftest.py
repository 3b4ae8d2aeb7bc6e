"""One real ``python -m llama_cpp.server`` (the embedded SmolLM2 model) for the whole session, a tiny
generated world ingested as a corpus, and one question. Everything here talks to the server users run.

The server runs with its default context window (2048, which it states only in the error for a too-long
prompt, and which openseeker probes that way), so these tests also check that nothing needs an option beyond
the URL.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _server_or_skip() -> Any:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        pytest.skip("needs llama-cpp-python[server] (the 'local' extra)")
    from openseeker.errors import PrerequisiteError
    from openseeker.testing.llama_server import LlamaServer

    try:
        return LlamaServer().start()
    except PrerequisiteError as e:
        pytest.skip(f"no llama.cpp server: {e}")


_SERVER_CPU: dict[str, float] = {}


@pytest.fixture(scope="session")
def llama_server() -> Iterator[Any]:
    """The running server (skips without the ``local`` extra or the embedded model)."""
    srv = _server_or_skip()
    try:
        yield srv
    finally:
        _SERVER_CPU["total"] = srv.cpu_seconds()
        srv.close()


@pytest.fixture(autouse=True)
def _server_cpu(request: pytest.FixtureRequest) -> Iterator[None]:
    # what each test costs the server in CPU seconds (its wall time depends on the machine's load)
    srv = request.getfixturevalue("llama_server") if "llama_server" in request.fixturenames else None
    t0 = srv.cpu_seconds() if srv is not None else 0.0
    yield
    if srv is not None:
        _SERVER_CPU[request.node.nodeid] = srv.cpu_seconds() - t0


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SERVER_CPU:
        per = sorted(((v, k) for k, v in _SERVER_CPU.items() if k != "total"), reverse=True)
        terminalreporter.write_line(
            "llama.cpp server CPU seconds: " + ", ".join(f"{k.split('::')[-1]} {v:.0f}" for v, k in per)
        )


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated English world, ingested: ``<dir>/world`` and ``<dir>/corpus``."""
    from openseeker.corpus.ingest import ingest
    from openseeker.worldgen import write_world

    d = tmp_path_factory.mktemp("rs-world")
    paths = write_world(d / "world", 0, 40, ["en"])
    ingest([paths["pages"]], d / "corpus", progress=False)
    return d


@pytest.fixture(scope="session")
def qa_item(world: Path) -> Path:
    """One question with its answer, from the world's known facts (a QA JSONL for traj and eval)."""
    from openseeker.worldgen.generate import load_world
    from openseeker.worldgen.questions import template_questions

    q = template_questions(load_world(world / "world"), 1, seed=0)[:1]
    path = world / "one_question.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in q), encoding="utf-8")
    return path
