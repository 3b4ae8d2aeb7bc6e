"""The visit tool: raw pages with links, goal-conditioned extraction with chunking, EN/ZH prompts, and
every failure as an observation. The summarizer is a ScriptedLLM (the only test double)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.corpus.backends import CorpusFetcher, shared_corpus
from openseeker.errors import ConfigError, LLMError
from openseeker.llm import ScriptedLLM
from openseeker.llm.types import ToolCall
from openseeker.toolbox import build_toolset
from openseeker.tools.config import ToolsConfig
from openseeker.tools.visit import VISIT_SPEC, VisitTool, split_chunks


def _fetcher(corpus_dir: Path) -> CorpusFetcher:
    return CorpusFetcher(shared_corpus(corpus_dir))


def _reply(evidence: str, summary: str) -> str:
    return orjson.dumps({"rational": "r", "evidence": evidence, "summary": summary}).decode()


def test_schema() -> None:
    props = VISIT_SPEC.parameters["properties"]
    assert props["url"]["type"] == ["string", "array"] and props["url"]["minItems"] == 1
    assert props["goal"]["type"] == "string" and VISIT_SPEC.parameters["required"] == ["url", "goal"]


def test_raw_mode_truncates_and_lists_links(corpus_dir: Path) -> None:
    tool = VisitTool(_fetcher(corpus_dir), None, mode="auto", max_page_chars=200)
    text = asyncio.run(tool({"url": "https://w.test/Paris", "goal": "when was the tower built"}))
    assert text.startswith("Content of https://w.test/Paris (Paris):\n\nParis is the capital")
    assert "[... page truncated: showing the first 200 of" in text
    assert "Links on this page (2):\n- [France](https://w.test/France)\n- https://w.test/Nowhere" in text


def test_unknown_url_and_title_lookup(corpus_dir: Path) -> None:
    tool = VisitTool(_fetcher(corpus_dir), mode="raw")
    text = asyncio.run(tool({"url": ["https://w.test/Missing", "France"], "goal": "x"}))
    missing, france = text.split("\n---\n")
    assert missing.startswith("The page https://w.test/Missing could not be visited:")
    assert "not in the local corpus" in missing
    assert france.startswith("Content of https://w.test/France (France):")


def test_extract_splits_long_pages_and_merges(corpus_dir: Path) -> None:
    def answer(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
        prompt = messages[-1]["content"]
        assert "## Goal\nWhen was the Eiffel Tower completed?" in prompt
        if "1889" in prompt:
            return _reply("The Eiffel Tower was completed in 1889.", "It was completed in 1889.")
        return _reply("", "Nothing relevant here.")

    llm = ScriptedLLM(fn=answer)
    tool = VisitTool(_fetcher(corpus_dir), llm, mode="auto", chunk_chars=5000)
    text = asyncio.run(tool({"url": "https://w.test/Paris", "goal": "When was the Eiffel Tower completed?"}))
    assert len(llm.requests) > 3  # the long page was split
    assert text == (
        'The useful information in https://w.test/Paris for the goal "When was the Eiffel Tower '
        'completed?":\n\nEvidence in page:\nThe Eiffel Tower was completed in 1889.\n\n'
        "Summary:\nIt was completed in 1889."
    )
    assert llm.requests[0].config.json_schema is not None  # structured output was requested


def test_extract_uses_chinese_prompt_for_chinese_goal(corpus_dir: Path) -> None:
    llm = ScriptedLLM(default=_reply("北京是中华人民共和国的首都。", "北京是首都。"))
    tool = VisitTool(_fetcher(corpus_dir), llm, mode="extract")
    text = asyncio.run(tool({"url": "https://w.test/Beijing", "goal": "中国的首都是哪里？"}))
    assert "## 目标" in llm.requests[0].messages[-1]["content"]
    assert "Evidence in page:\n北京是中华人民共和国的首都。" in text
    asyncio.run(tool({"url": "https://w.test/France", "goal": "Where is France?"}))
    assert "## Goal" in llm.requests[-1].messages[-1]["content"]


def test_summarizer_failure_falls_back_to_raw_excerpt(corpus_dir: Path) -> None:
    def broken(messages: Any, tools: Any, config: Any) -> str:
        raise LLMError("endpoint unreachable")

    tool = VisitTool(_fetcher(corpus_dir), ScriptedLLM(fn=broken), mode="extract")
    text = asyncio.run(tool({"url": "https://w.test/France", "goal": "Where is France?"}))
    assert text.startswith(
        "The extractor could not process https://w.test/France (LLMError: endpoint unreachable)"
    )
    assert "Content of https://w.test/France (France):\n\nFrance is a country in Western Europe." in text


def test_unparseable_summary_falls_back(corpus_dir: Path) -> None:
    tool = VisitTool(_fetcher(corpus_dir), ScriptedLLM(default="no json at all"), mode="extract")
    text = asyncio.run(tool({"url": "France", "goal": "Where?"}))
    assert "StructuredOutputError" in text and "France is a country" in text


def test_extract_without_summarizer_is_a_config_error(corpus_dir: Path) -> None:
    with pytest.raises(ConfigError, match="summarizer"):
        VisitTool(_fetcher(corpus_dir), None, mode="extract")


def test_split_chunks_prefers_paragraphs() -> None:
    text = ("a" * 60 + "\n\n") * 10
    chunks = split_chunks(text, 150)
    assert "".join(chunks) == text and all(len(c) <= 150 for c in chunks)
    assert all(c.endswith("\n\n") for c in chunks[:-1])


def test_build_toolset_over_corpus(corpus_dir: Path) -> None:
    ts = build_toolset(ToolsConfig(corpus=str(corpus_dir), top_k=1))
    assert [s.name for s in ts.specs] == ["search", "visit"]
    r = asyncio.run(ts.call(ToolCall("search", {"query": ["capital of France"]})))
    assert not r.error and "found 1 result:" in r.content
    r = asyncio.run(ts.call(ToolCall("visit", {"url": "https://w.test/France", "goal": "where"})))
    assert not r.error and r.content.startswith("Content of https://w.test/France")
    r = asyncio.run(ts.call(ToolCall("visit", {"url": "https://w.test/France"})))
    assert r.error and "goal" in r.content
    llm = ScriptedLLM(default=_reply("France is a country in Western Europe.", "Western Europe."))
    ts = build_toolset(ToolsConfig(corpus=str(corpus_dir)), summarizer=llm)
    r = asyncio.run(ts.call(ToolCall("visit", {"url": "France", "goal": "where"})))
    assert "Evidence in page:" in r.content


def test_corpus_backend_needs_a_directory() -> None:
    with pytest.raises(ConfigError, match=r"tools\.corpus"):
        build_toolset(ToolsConfig(corpus=None))


def test_v1_visit_texts(corpus_dir: Path) -> None:
    from openseeker.tools.layout import OPENSEEKER_V1

    tool = VisitTool(_fetcher(corpus_dir), ScriptedLLM(default="not json"), mode="extract", layout=OPENSEEKER_V1)
    out = asyncio.run(tool({"url": ["https://w.test/Paris", "https://w.test/Nowhere"], "goal": "g"}))
    failed, missing = out.split("\n---\n")
    assert failed == (
        "The useful information in https://w.test/Paris for user goal g as follows: \n\nEvidence in page: \n"
        "The provided webpage content could not be accessed. Please check the URL or file format.\n\n"
        "Summary: \nThe webpage content could not be processed, and therefore, no information is available.\n\n"
    )
    assert missing == "[visit] Failed to visit the url: https://w.test/Nowhere"
