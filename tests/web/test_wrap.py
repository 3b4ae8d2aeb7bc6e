"""The layers around the backends: persistent cache, budgets, record/replay, result filtering."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.errors import BudgetExceededError, ConfigError, DataError, ToolError
from openseeker.tools.base import FetchedPage, SearchHit, fetchers, search_backends
from openseeker.tools.config import ToolsConfig
from openseeker.web import wrap_backends
from openseeker.web.budget import BudgetStore
from openseeker.web.cache import ToolCache
from openseeker.web.replay import ReplayMissError

from .localserver import LocalServer, Request, Resp, make_cfg


def serper_route(req: Request) -> Resp:
    q = req.json()["q"]
    return Resp(
        200,
        {
            "organic": [
                {
                    "title": f"About {q}",
                    "link": f"https://site.example/{q.replace(' ', '_')}",
                    "snippet": f"{q} facts",
                },
                {
                    "title": "Leak",
                    "link": "https://huggingface.co/datasets/someone/BrowseComp-answers",
                    "snippet": "x",
                },
            ]
        },
    )


def build(server: LocalServer, tmp_path: Path, **options: Any) -> tuple[Any, Any, ToolsConfig]:
    server.route("/search", serper_route)
    server.route("/page", Resp(200, "page text", {"Content-Type": "text/plain"}))
    cfg = make_cfg(server, search="serper", fetch="http", cache=str(tmp_path / "web.sqlite"), options=options)
    search, fetch = wrap_backends(search_backends.create("serper", cfg), fetchers.create("http", cfg), cfg)
    return search, fetch, cfg


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_blocklisted_results_are_dropped(server: LocalServer, tmp_path: Path) -> None:
    search, _, _ = build(server, tmp_path)
    hits = run(search.search("alan turing"))
    assert [h.url for h in hits] == ["https://site.example/alan_turing"]
    assert search.blocked == 1


def test_cache_is_persistent_and_shared(server: LocalServer, tmp_path: Path) -> None:
    search, fetch, cfg = build(server, tmp_path)
    first = run(search.search("alan  turing"))
    page = run(fetch.fetch(f"{server.url}/page"))
    # a second toolset (another stage, another process) on the same file
    search2, fetch2 = wrap_backends(search_backends.create("serper", cfg), fetchers.create("http", cfg), cfg)
    assert run(search2.search("alan turing")) == first
    assert run(fetch2.fetch(f"{server.url}/page")) == page
    assert len(server.hits("/search")) == 1 and len(server.hits("/page")) == 1
    info = ToolCache(cfg.cache or "").info()
    assert {(e["backend"], e["op"], e["count"]) for e in info["entries"]} == {
        ("serper", "search", 1),
        ("http", "fetch", 1),
    }
    raw = (tmp_path / "web.sqlite").read_bytes()
    assert b"secret" not in raw
    assert ToolCache(cfg.cache or "").clear("serper") == 1


def test_failures_are_not_cached(server: LocalServer, tmp_path: Path) -> None:
    search, _, _ = build(server, tmp_path, serper={"retries": 0})
    server.queue("/search", Resp(500, "down"))
    with pytest.raises(ToolError):
        run(search.search("q"))
    assert run(search.search("q"))[0].title == "About q"


def test_budget_stops_cleanly_and_resumes_counting(server: LocalServer, tmp_path: Path) -> None:
    budget = {"run": "r1", "max_calls": 2}
    search, _, cfg = build(server, tmp_path, budget=budget)
    run(search.search("a"))
    run(search.search("a"))  # cache hit: free
    run(search.search("b"))
    with pytest.raises(BudgetExceededError, match=r"r1.*2 of its 2"):
        run(search.search("c"))
    assert len(server.hits("/search")) == 2
    # a resumed run keeps counting; a larger budget lets it go on
    search2, _, _ = build(server, tmp_path, budget=budget)
    with pytest.raises(BudgetExceededError):
        run(search2.search("c"))
    search3, _, _ = build(server, tmp_path, budget={"run": "r1", "max_calls": 3})
    run(search3.search("c"))
    usage = BudgetStore(cfg.cache or "").usage("r1")
    assert usage.calls == {"serper": 3} and usage.total_spend == pytest.approx(0.003)


def test_spend_budget(server: LocalServer, tmp_path: Path) -> None:
    search, _, _ = build(
        server, tmp_path, budget={"run": "r2", "max_spend": 0.25}, serper={"cost_per_call": 0.1}
    )
    run(search.search("a"))
    run(search.search("b"))
    with pytest.raises(BudgetExceededError, match=r"spent 0.2000"):
        run(search.search("c"))


def test_record_then_replay_offline(server: LocalServer, tmp_path: Path) -> None:
    cassette = tmp_path / "cassette.jsonl"
    search, fetch, _ = build(server, tmp_path, record=str(cassette))
    hits = run(search.search("ada lovelace", 5))
    page = run(fetch.fetch(f"{server.url}/page"))
    with pytest.raises(ToolError):
        run(fetch.fetch(f"{server.url}/missing"))
    run(search.search("ada lovelace", 5))  # a repeat is recorded once
    lines = [orjson.loads(x) for x in cassette.read_bytes().splitlines()]
    assert [(e["op"], "error" in e) for e in lines] == [("search", False), ("fetch", False), ("fetch", True)]
    assert b"secret" not in cassette.read_bytes()
    server.httpd.shutdown()  # offline from here on

    cfg = ToolsConfig(
        search="replay",
        fetch="replay",
        options={"replay": {"cassette": str(cassette)}, "safety": {"allow_private": ["127.0.0.1"]}},
    )
    rs, rf = wrap_backends(search_backends.create("replay", cfg), fetchers.create("replay", cfg), cfg)
    assert run(rs.search("ada   lovelace", 5)) == hits
    assert run(rs.search("ada lovelace", 1)) == hits[:1]
    assert run(rf.fetch(f"{server.url}/page")) == page
    with pytest.raises(ToolError, match="HTTP 404"):
        run(rf.fetch(f"{server.url}/missing"))
    with pytest.raises(ToolError, match="was not recorded"):
        run(rs.search("never asked"))
    strict = ToolsConfig(search="replay", options={"replay": {"cassette": str(cassette), "strict": True}})
    with pytest.raises(ReplayMissError):
        run(search_backends.create("replay", strict).search("never asked"))


def test_replay_still_applies_the_blocklist(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    hits = [SearchHit("ok", "https://ok.example/"), SearchHit("leak", "https://www.kaggle.com/x/browsecomp")]
    page = FetchedPage("https://github.com/xbench-ai/xbench-evals", "answers")
    cassette.write_bytes(
        orjson.dumps(
            {
                "op": "search",
                "backend": "serper",
                "args": {"query": "q", "top_k": 10},
                "result": [h.to_dict() for h in hits],
            }
        )
        + b"\n"
        + orjson.dumps(
            {
                "op": "fetch",
                "backend": "jina",
                "args": {"url": "https://s.example/x"},
                "result": page.to_dict(),
            }
        )
        + b"\n"
    )
    cfg = ToolsConfig(search="replay", fetch="replay", options={"replay": str(cassette)})
    rs, rf = wrap_backends(search_backends.create("replay", cfg), fetchers.create("replay", cfg), cfg)
    assert [h.title for h in run(rs.search("q"))] == ["ok"]
    with pytest.raises(ToolError, match="benchmark answers"):
        run(rf.fetch("https://s.example/x"))


def test_bad_cassettes_and_options(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"op": "search", "args": {"query": "q"}, "result": []}\nnot json\n')
    with pytest.raises(DataError, match=r"bad.jsonl at line 2"):
        search_backends.create("replay", ToolsConfig(options={"replay": {"cassette": str(bad)}}))
    with pytest.raises(ConfigError, match="cassette"):
        search_backends.create("replay", ToolsConfig())
    with pytest.raises(ConfigError, match=r"Unknown keys in tools.options.serper: retrys"):
        search_backends.create("serper", ToolsConfig(options={"serper": {"retrys": 3}}))
    with pytest.raises(ConfigError, match="budget"):
        wrap_backends(_Corpus(), _Corpus(), ToolsConfig(options={"budget": {"max_call": 3}}))


class _Corpus:
    name = "corpus"

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        return [SearchHit("local", "wikispeedia://Ada")]

    async def fetch(self, url: str) -> FetchedPage:
        return FetchedPage(url, "local page")


def test_corpus_backends_are_left_alone(tmp_path: Path) -> None:
    corpus = _Corpus()
    cfg = ToolsConfig(cache=str(tmp_path / "c.sqlite"), options={"budget": {"max_calls": 0}})
    s, f = wrap_backends(corpus, corpus, cfg)
    assert s is corpus and f is corpus
    assert run(f.fetch("Ada")).content == "local page"


def test_budget_without_a_file_is_shared_in_the_process(server: LocalServer, tmp_path: Path) -> None:
    server.route("/search", serper_route)
    run_name = f"mem-{tmp_path.name}"
    cfg = make_cfg(server, search="serper", options={"budget": {"run": run_name, "max_calls": 1}})
    s1, _ = wrap_backends(search_backends.create("serper", cfg), _Corpus(), cfg)
    s2, _ = wrap_backends(search_backends.create("serper", cfg), _Corpus(), cfg)
    run(s1.search("a"))
    with pytest.raises(BudgetExceededError):
        run(s2.search("b"))
