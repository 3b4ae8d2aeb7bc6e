"""Search providers against a local server that imitates each API, including its failures."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.errors import ConfigError, ToolError
from openseeker.tools.base import SearchBackend, search_backends
from openseeker.web import search_many
from openseeker.web.serper import serper_locale

from .localserver import LocalServer, Request, Resp, make_cfg

SERPER_REPLY = {
    "organic": [
        {
            "title": "OpenSeeker",
            "link": "https://example.com/openseeker",
            "snippet": "Deep search agents.",
            "date": "Mar 1, 2026",
            "position": 1,
        },
        {"title": "Other", "link": "https://example.org/other", "snippet": "More.", "position": 2},
        {"title": "Bad scheme", "link": "javascript:alert(1)", "snippet": "dropped", "position": 3},
    ]
}


def build(name: str, server: LocalServer, **options: object) -> SearchBackend:
    cfg = make_cfg(server, options={name: options} if options else {})
    return search_backends.create(name, cfg)


def test_serper_request_and_result_format(server: LocalServer) -> None:
    server.route("/search", Resp(200, SERPER_REPLY))
    hits = asyncio.run(build("serper", server).search("  OpenSeeker   agent ", 10))
    assert [h.url for h in hits] == ["https://example.com/openseeker", "https://example.org/other"]
    assert (
        hits[0].title == "OpenSeeker"
        and hits[0].date == "Mar 1, 2026"
        and hits[0].snippet == "Deep search agents."
    )
    assert "secret" not in repr(build("serper", server))
    req = server.hits("/search")[0]
    assert req.method == "POST" and req.headers["x-api-key"] == "sk-serper_api_key-secret"
    assert req.json() == {"q": "OpenSeeker agent", "location": "United States", "gl": "us", "hl": "en"}


def test_serper_switches_to_the_chinese_locale() -> None:
    assert serper_locale("北京 大学") == {"location": "China", "gl": "cn", "hl": "zh-cn"}
    assert serper_locale("Beijing") == {"location": "United States", "gl": "us", "hl": "en"}


def test_tavily_brave_searxng_share_one_result_format(server: LocalServer) -> None:
    server.route(
        "/search",
        lambda req: Resp(
            200,
            {
                "results": [
                    {
                        "title": "T",
                        "url": "https://t.example/a",
                        "content": "tavily or searxng",
                        "score": 0.9,
                        "published_date": "2025-01-01",
                        "publishedDate": "2025-01-01",
                        "engine": "google",
                    }
                ]
            },
        ),
    )
    server.route(
        "/res/v1/web/search",
        Resp(
            200,
            {
                "web": {
                    "results": [
                        {
                            "title": "B",
                            "url": "https://b.example/a",
                            "description": "brave",
                            "page_age": "2025-02-02",
                            "profile": {"name": "B site"},
                        }
                    ]
                }
            },
        ),
    )
    tav = asyncio.run(build("tavily", server).search("q", 5))
    brave = asyncio.run(build("brave", server).search("中文 查询", 5))
    sx = asyncio.run(build("searxng", server).search("q", 5))
    assert (tav[0].url, tav[0].snippet, tav[0].score, tav[0].date) == (
        "https://t.example/a",
        "tavily or searxng",
        0.9,
        "2025-01-01",
    )
    assert (brave[0].title, brave[0].source, brave[0].date) == ("B", "B site", "2025-02-02")
    assert (sx[0].source, sx[0].date) == ("google", "2025-01-01")
    tav_req, sx_req = server.hits("/search")
    assert tav_req.headers["authorization"] == "Bearer sk-tavily_api_key-secret"
    assert tav_req.json()["max_results"] == 5
    brave_req = server.hits("/res/v1/web/search")[0]
    assert brave_req.headers["x-subscription-token"] == "sk-brave_api_key-secret"
    assert brave_req.query["count"] == ["5"] and brave_req.query["search_lang"] == ["zh-hans"]
    assert sx_req.query["format"] == ["json"] and "authorization" not in sx_req.headers


def test_searxng_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        search_backends.create("searxng", make_cfg())


def test_missing_key_fails_at_build_time(monkeypatch: pytest.MonkeyPatch, server: LocalServer) -> None:
    monkeypatch.delenv("SERPER_API_KEY")
    monkeypatch.delenv("SERPER_KEY_ID", raising=False)
    with pytest.raises(ConfigError, match="SERPER_API_KEY or SERPER_KEY_ID"):
        build("serper", server)
    monkeypatch.setenv("SERPER_KEY_ID", "official-name-key")  # the official tool's variable works too
    server.route("/search", Resp(200, SERPER_REPLY))
    asyncio.run(build("serper", server).search("q"))
    assert server.hits("/search")[0].headers["x-api-key"] == "official-name-key"


def test_429_and_5xx_are_retried(server: LocalServer) -> None:
    server.queue(
        "/search", Resp(429, "slow down", {"Retry-After": "0"}), Resp(503, "busy"), Resp(200, SERPER_REPLY)
    )
    hits = asyncio.run(build("serper", server).search("q"))
    assert len(hits) == 2 and len(server.hits("/search")) == 3


def test_persistent_failure_becomes_a_readable_tool_error(server: LocalServer) -> None:
    server.route("/search", Resp(500, "boom"))
    with pytest.raises(ToolError, match=r"serper service is unavailable: HTTP 500 \(3 attempts\)"):
        asyncio.run(build("serper", server, retries=2).search("q"))


def test_key_rotation_on_429_and_rejected_keys(monkeypatch: pytest.MonkeyPatch, server: LocalServer) -> None:
    monkeypatch.setenv("SERPER_API_KEY", "key-one,key-two")

    def route(req: Request) -> Resp:
        if req.headers["x-api-key"] == "key-one":
            return Resp(401, "Unauthorized: key-one is not valid")
        return Resp(200, SERPER_REPLY)

    server.route("/search", route)
    backend = build("serper", server, retries=3)
    asyncio.run(backend.search("a"))
    asyncio.run(backend.search("b"))
    used = [r.headers["x-api-key"] for r in server.hits("/search")]
    assert used == ["key-one", "key-two", "key-two"]  # the rejected key is dropped for good


def test_client_errors_do_not_leak_the_key(server: LocalServer) -> None:
    server.route("/search", Resp(400, "bad request for key sk-serper_api_key-secret"))
    with pytest.raises(ToolError) as e:
        asyncio.run(build("serper", server).search("q"))
    assert "HTTP 400" in str(e.value) and "secret" not in str(e.value) and "***" in str(e.value)


@pytest.mark.parametrize("body", [b"<html>not json</html>", b"\x00\xff\xfe garbage", b'{"organic": 5}'])
def test_garbage_bodies_are_tool_errors(server: LocalServer, body: bytes) -> None:
    server.route("/search", Resp(200, body))
    with pytest.raises(ToolError, match="serper service answered"):
        asyncio.run(build("serper", server).search("q"))


def test_timeouts_and_dropped_connections(server: LocalServer) -> None:
    server.queue("/search", Resp(delay=1.0, body=SERPER_REPLY), Resp(drop=True))
    with pytest.raises(ToolError, match=r"timed out|connection"):
        asyncio.run(build("serper", server, timeout=0.2, retries=1).search("q"))


def test_oversize_reply_is_refused(server: LocalServer) -> None:
    server.route("/search", Resp(200, b"x" * 5000))
    with pytest.raises(ToolError, match="larger than 1000 bytes"):
        asyncio.run(build("serper", server, max_bytes=1000).search("q"))


def test_empty_query_and_no_results(server: LocalServer) -> None:
    server.route("/search", Resp(200, {"organic": []}))
    backend = build("serper", server)
    with pytest.raises(ToolError, match="empty"):
        asyncio.run(backend.search("   "))
    assert asyncio.run(backend.search("nothing matches this")) == []


def test_batched_queries_keep_order_and_isolate_failures(server: LocalServer) -> None:
    def route(req: Request) -> Resp:
        q = req.json()["q"]
        if q == "fail":
            return Resp(400, "no")
        return Resp(200, {"organic": [{"title": q, "link": f"https://x.example/{q}", "snippet": ""}]})

    server.route("/search", route)
    out = asyncio.run(search_many(build("serper", server), ["one", "fail", "three"], 3))
    assert [h[0].title for h in out if isinstance(h, list)] == ["one", "three"]
    assert isinstance(out[1], ToolError)


@pytest.mark.timeout(20)
def test_a_rate_limited_key_is_held_back_while_the_other_serves(
    monkeypatch: pytest.MonkeyPatch, server: LocalServer
) -> None:
    monkeypatch.setenv("SERPER_API_KEY", "key-one,key-two")

    def route(req: Request) -> Resp:
        if req.headers["x-api-key"] == "key-one":
            return Resp(429, "quota", {"Retry-After": "30"})
        return Resp(200, SERPER_REPLY)

    server.route("/search", route)
    backend = build("serper", server)
    for q in ("a", "b", "c"):
        assert asyncio.run(backend.search(q))
    # key one was tried once, then held back for its 30 s; nothing waited for it
    assert [r.headers["x-api-key"] for r in server.hits("/search")] == [
        "key-one",
        "key-two",
        "key-two",
        "key-two",
    ]
