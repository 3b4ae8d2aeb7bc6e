"""Page fetchers against local servers: content types, redirects, size limits, retries, Jina, fallbacks."""

from __future__ import annotations

import asyncio

import pytest

from openseeker.errors import ToolError
from openseeker.tools.base import FetchedPage, PageFetcher, fetchers
from openseeker.tools.config import ToolsConfig
from openseeker.web.fetchers import FallbackFetcher, parse_jina

from .localserver import LocalServer, Request, Resp, make_cfg
from .pdfgen import make_pdf

ARTICLE = """<!doctype html><html><head><title>Ada Lovelace - Test Wiki</title></head><body>
<nav><a href="/">Home</a> | <a href="/random">Random</a></nav>
<div class="cookie">We use cookies. Accept?</div>
<article><h1>Ada Lovelace</h1>
<p>Ada Lovelace was an English mathematician and writer, chiefly known for her work on Charles Babbage's
proposed mechanical general-purpose computer, the <a href="/wiki/Analytical_Engine">Analytical Engine</a>.</p>
<p>She was the first to recognise that the machine had applications beyond pure calculation, and she published
the first algorithm intended to be carried out by such a machine. See <a href="https://example.org/notes#n1">notes</a>.</p>
</article><footer>Copyright Test Wiki. All rights reserved.</footer></body></html>"""


def http(server: LocalServer, **options: object) -> PageFetcher:
    return fetchers.create("http", make_cfg(server, options={"http": options} if options else {}))


def fetch(fetcher: PageFetcher, url: str) -> FetchedPage:
    return asyncio.run(fetcher.fetch(url))


def test_html_main_content_becomes_markdown_with_links(server: LocalServer) -> None:
    server.route("/wiki/Ada", Resp(200, ARTICLE, {"Content-Type": "text/html; charset=utf-8"}))
    page = fetch(http(server), f"{server.url}/wiki/Ada")
    assert page.title == "Ada Lovelace - Test Wiki" and page.content_type == "text/markdown"
    assert "[Analytical Engine](" in page.content and "first algorithm" in page.content
    assert "Copyright" not in page.content and "Random" not in page.content
    assert f"{server.url}/wiki/Analytical_Engine" in page.links and "https://example.org/notes" in page.links


def test_plain_text_pdf_and_sniffed_types(server: LocalServer) -> None:
    server.route("/a.txt", Resp(200, "Just some plain text, 100% readable.", {"Content-Type": "text/plain"}))
    server.route("/a.pdf", Resp(200, make_pdf("Quarterly report 2024"), {"Content-Type": "application/pdf"}))
    server.route("/blob", Resp(200, make_pdf("Sniffed PDF"), {"Content-Type": "application/octet-stream"}))
    f = http(server)
    assert fetch(f, f"{server.url}/a.txt").content == "Just some plain text, 100% readable."
    pdf = fetch(f, f"{server.url}/a.pdf")
    assert (pdf.content, pdf.title, pdf.content_type) == (
        "Quarterly report 2024",
        "Test PDF",
        "application/pdf",
    )
    assert fetch(f, f"{server.url}/blob").content == "Sniffed PDF"


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png", "cannot be read as text"),
        (bytes(range(256)) * 8, "text/html", "not readable text"),
        (b"%PDF-1.4 this is not really a pdf", "application/pdf", "could not be read"),
        (b"<html><body><script>var x=1;</script></body></html>", "text/html", "no readable content"),
    ],
)
def test_unreadable_bodies_are_tool_errors(
    server: LocalServer, body: bytes, ctype: str, message: str
) -> None:
    server.route("/x", Resp(200, body, {"Content-Type": ctype}))
    with pytest.raises(ToolError, match=message):
        fetch(http(server), f"{server.url}/x")


def test_redirects_are_followed_and_every_hop_is_checked(server: LocalServer) -> None:
    server.route("/old", Resp(301, "", {"Location": "/new"}))
    server.route("/new", Resp(200, "moved here", {"Content-Type": "text/plain"}))
    server.route("/to-metadata", Resp(302, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    server.route("/to-file", Resp(302, "", {"Location": "file:///etc/passwd"}))
    server.route(
        "/to-answers", Resp(302, "", {"Location": "https://huggingface.co/datasets/openai/browsecomp"})
    )
    server.route("/loop", Resp(302, "", {"Location": "/loop"}))
    f = http(server, max_redirects=3)
    page = fetch(f, f"{server.url}/old")
    assert page.url == f"{server.url}/new" and page.content == "moved here"
    with pytest.raises(ToolError, match=r"169\.254\.169\.254 is not a public address"):
        fetch(f, f"{server.url}/to-metadata")
    with pytest.raises(ToolError, match="only http and https"):
        fetch(f, f"{server.url}/to-file")
    with pytest.raises(ToolError, match="benchmark answers"):
        fetch(f, f"{server.url}/to-answers")
    with pytest.raises(ToolError, match="more than 3 redirects"):
        fetch(f, f"{server.url}/loop")
    assert not server.hits("/latest/meta-data/")


def test_local_targets_need_the_explicit_opt_in(server: LocalServer) -> None:
    server.route("/x", Resp(200, "secret admin page", {"Content-Type": "text/plain"}))
    f = fetchers.create("http", ToolsConfig(options={"http": {"timeout": 2}}))
    with pytest.raises(ToolError, match="not a public address"):
        fetch(f, f"{server.url}/x")
    assert not server.requests


def test_size_limit_with_and_without_content_length(server: LocalServer) -> None:
    server.route("/big", Resp(200, "a" * 50_000, {"Content-Type": "text/plain"}))
    server.route("/big-stream", Resp(200, "b" * 50_000, {"Content-Type": "text/plain"}, length=False))
    f = http(server, max_bytes=10_000)
    for path in ("/big", "/big-stream"):
        with pytest.raises(ToolError, match="larger than 10000 bytes"):
            fetch(f, f"{server.url}{path}")


def test_429_and_5xx_are_retried_then_reported(server: LocalServer) -> None:
    server.queue("/flaky", Resp(429, "", {"Retry-After": "0"}), Resp(502, ""))
    server.route("/flaky", Resp(200, "finally", {"Content-Type": "text/plain"}))
    server.route("/down", Resp(503, "down"))
    server.route("/gone", Resp(404, "nope"))
    f = http(server, retries=2)
    assert fetch(f, f"{server.url}/flaky").content == "finally"
    with pytest.raises(ToolError, match=r"HTTP 503 \(3 attempts\)"):
        fetch(f, f"{server.url}/down")
    with pytest.raises(ToolError, match="HTTP 404"):
        fetch(f, f"{server.url}/gone")
    assert len(server.hits("/gone")) == 1


def test_timeout_is_a_tool_error(server: LocalServer) -> None:
    server.route("/slow", Resp(200, "late", {"Content-Type": "text/plain"}, delay=1.0))
    with pytest.raises(ToolError, match="timed out"):
        fetch(http(server, timeout=0.2, retries=0), f"{server.url}/slow")


JINA_REPLY = """Title: Ada Lovelace
URL Source: https://en.wikipedia.org/wiki/Ada_Lovelace

Markdown Content:
Ada Lovelace was a mathematician. See [Analytical Engine](https://en.wikipedia.org/wiki/Analytical_Engine)."""


def test_parse_jina() -> None:
    assert parse_jina(JINA_REPLY)[:2] == ("Ada Lovelace", "https://en.wikipedia.org/wiki/Ada_Lovelace")
    assert parse_jina("bare text") == ("", "", "bare text")


def test_jina_reader_request_and_page(server: LocalServer) -> None:
    server.route("*", Resp(200, JINA_REPLY, {"Content-Type": "text/plain"}))
    f = fetchers.create("jina", make_cfg(server))
    page = fetch(f, "https://en.wikipedia.org/wiki/Ada_Lovelace")
    assert page.title == "Ada Lovelace" and page.url == "https://en.wikipedia.org/wiki/Ada_Lovelace"
    assert page.links == ["https://en.wikipedia.org/wiki/Analytical_Engine"]
    req = server.requests[0]
    assert req.path == "/https://en.wikipedia.org/wiki/Ada_Lovelace"
    assert req.headers["authorization"] == "Bearer sk-jina_api_key-secret"


def test_jina_failure_falls_back_to_direct_http(server: LocalServer) -> None:
    def route(req: Request) -> Resp:
        if req.path == "/page":
            return Resp(200, "direct copy", {"Content-Type": "text/plain"})
        return Resp(422, '{"code":422,"readableMessage":"target unreachable"}')

    server.route("*", route)
    f = fetchers.create("jina", make_cfg(server))
    assert isinstance(f, FallbackFetcher)
    page = fetch(f, f"{server.url}/page")
    assert page.content == "direct copy" and page.metadata["fallback_from"] == ["jina"]
    only_jina = fetchers.create("jina", make_cfg(server, options={"jina": {"fallback": None}}))
    with pytest.raises(ToolError, match=r"HTTP 422.*target unreachable"):
        fetch(only_jina, f"{server.url}/page")


def test_jina_reporting_a_blocked_final_url_is_refused(server: LocalServer) -> None:
    server.route(
        "*",
        Resp(
            200,
            "Title: x\nURL Source: https://huggingface.co/datasets/a/browsecomp\n\n"
            "Markdown Content:\nanswers",
            {"Content-Type": "text/plain"},
        ),
    )
    f = fetchers.create("jina", make_cfg(server, options={"jina": {"fallback": None}}))
    with pytest.raises(ToolError, match="benchmark answers"):
        fetch(f, "https://short.example/abc")


def test_plain_http_is_pinned_to_the_checked_address(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first lookup says 127.0.0.1 (allowed here), later ones a private address."""
    import socket

    calls: list[str] = []

    def rebinding_getaddrinfo(host: str, port: object, *args: object, **kw: object) -> list[tuple]:
        calls.append(host)
        ip = "127.0.0.1" if len(calls) == 1 else "10.66.66.66"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port)))]  # type: ignore[call-overload]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    server.route(
        "/pinned", lambda req: Resp(200, f"host={req.headers['host']}", {"Content-Type": "text/plain"})
    )
    port = server.url.rsplit(":", 1)[1]
    page = fetch(http(server, timeout=1.0, retries=0), f"http://rebind.example:{port}/pinned")
    assert (
        page.content == f"host=rebind.example:{port}" and page.url == f"http://rebind.example:{port}/pinned"
    )
    assert calls == ["rebind.example"]
