"""URL safety rules and the benchmark-answer blocklist."""

from __future__ import annotations

import asyncio
import socket

import pytest

from openseeker.errors import ConfigError, ToolError
from openseeker.web.safety import Blocklist, SafetyPolicy


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/datasets/smolagents/browse_comp",
        "https://huggingface.co/datasets/PALIN2018/BrowseComp-ZH/viewer",
        "https://huggingface.co/datasets/xbench/DeepSearch",
        "https://www.kaggle.com/datasets/openai/browsecomp-a-benchmark-for-browsing-agents",
        "https://openaipublic.blob.core.windows.net/simple-evals/browse_comp_test_set.csv",
        "https://github.com/PALIN2018/BrowseComp-ZH/blob/main/data/browsecomp-zh-encrypted.xlsx",
        "https://github.com/xbench-ai/xbench-evals",
        "HTTPS://RAW.GITHUBUSERCONTENT.COM/xbench-ai/xbench-evals/main/data/DeepSearch-2505.csv",
    ],
)
def test_default_blocklist_blocks_benchmark_answer_hosts(url: str) -> None:
    assert Blocklist.build().match(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
        "https://en.wikipedia.org/wiki/Kaggle",
        "https://github.com/encode/httpx",
        "https://www.kaggle.com/competitions/titanic",
    ],
)
def test_default_blocklist_lets_ordinary_pages_through(url: str) -> None:
    assert Blocklist.build().match(url) is None


def test_user_entries_block_host_subdomains_and_path_prefixes() -> None:
    bl = Blocklist.build(["example.org", "news.site.com/answers", "*.leak.io/*key*"], defaults=False)
    assert bl.match("https://example.org/x") == "example.org"
    assert bl.match("https://deep.sub.example.org/") == "example.org"
    assert bl.match("https://notexample.org/") is None
    assert bl.match("https://news.site.com/answers/42") == "news.site.com/answers"
    assert bl.match("https://news.site.com/other") is None
    assert bl.match("https://a.leak.io/the-key.txt") is not None


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/x",
        "data:text/html,hi",
        "javascript:alert(1)",
        "http:///nohost",
        "http://localhost:8080/",
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(ToolError):
        SafetyPolicy().check_url(url)


def test_public_literal_addresses_and_names_pass_static_checks() -> None:
    policy = SafetyPolicy()
    assert policy.check_url("https://93.184.216.34/page") == "93.184.216.34"
    assert policy.check_url("https://en.wikipedia.org/wiki/X") == "en.wikipedia.org"


def test_host_names_resolving_to_private_addresses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_getaddrinfo(host: str, port: object, *args: object, **kw: object) -> list[tuple]:
        ip = {"evil.example": "10.0.0.5", "mixed.example": "93.184.216.34", "good.example": "93.184.216.34"}[
            host
        ]
        infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 80))]
        if host == "mixed.example":  # one public and one private address: still refused
            infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 80, 0, 0)))
        return infos

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    policy = SafetyPolicy()
    with pytest.raises(ToolError, match=r"resolves to 10\.0\.0\.5"):
        asyncio.run(policy.check_target("http://evil.example/x"))
    with pytest.raises(ToolError, match="::1"):
        asyncio.run(policy.check_target("http://mixed.example/x"))
    asyncio.run(policy.check_target("https://good.example/x"))


def test_allow_private_opt_in_is_narrow() -> None:
    policy = SafetyPolicy(allow_private=["127.0.0.1"])
    policy.check_url("http://127.0.0.1:8000/")
    with pytest.raises(ToolError):
        policy.check_url("http://169.254.169.254/")
    SafetyPolicy(allow_private=True).check_url("http://10.0.0.1/")


def test_disabled_safety_still_applies_the_blocklist() -> None:
    policy = SafetyPolicy.from_options([], {"safety": {"enabled": False}})
    policy.check_url("http://10.0.0.1/")
    with pytest.raises(ToolError, match="benchmark"):
        policy.check_url("https://huggingface.co/datasets/openai/browsecomp")


def test_safety_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="allow_privat"):
        SafetyPolicy.from_options([], {"safety": {"allow_privat": True}})


# Targets as a remote fetcher (Jina Reader) or a browser would read them: before, every one of these passed
# the static check (only literal dotted quads and bracketed IPv6 were recognised as addresses).
HIDDEN_PRIVATE = [
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f.1/",  # hex, short form
    "http://0x7f000001/",
    "http://0177.0.0.1/",  # octal
    "http://017700000001/",
    "http://127.1/",  # short form
    "http://167772161/admin",  # 10.0.0.1
    "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",  # 169.254.169.254
    "http://１２７.０.０.１/",  # full-width digits
    "http://127。0。0。1/",  # ideographic full stops
    "http://%31%32%37.0.0.1/",  # percent-escaped
    "http://ｌｏｃａｌｈｏｓｔ/",
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1 (obfuscated)
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[64:ff9b:1::a00:1]/",  # NAT64 local-use prefix
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[::ffff:0:7f00:1]/",  # IPv4-translated
    "http://999.1.1.1/",  # ends in a number but is no address: a browser refuses it too
]


@pytest.mark.parametrize("url", HIDDEN_PRIVATE)
def test_numeric_forms_and_ipv6_embeddings_of_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(ToolError, match=r"not a public address|local addresses|not a valid address"):
        SafetyPolicy().check_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://134744072/", "8.8.8.8"),
        ("http://0x8.0x8.0x8.0x8/", "8.8.8.8"),
        ("http://[2002:808:808::1]/", "2002:808:808::1"),  # 6to4 of a public address
        ("http://[64:ff9b::808:808]/", "64:ff9b::808:808"),  # NAT64 of a public address
        ("https://ＥＮ.wikipedia.org/wiki/X", "en.wikipedia.org"),
        ("https://1password.com/", "1password.com"),
    ],
)
def test_numeric_forms_of_public_addresses_pass(url: str, host: str) -> None:
    assert SafetyPolicy().check_url(url) == host


def test_jina_refuses_hidden_private_targets_before_any_request() -> None:
    from openseeker.tools.base import fetchers
    from openseeker.tools.config import ToolsConfig

    from .localserver import LocalServer, Resp

    server = LocalServer()
    server.thread.start()
    try:
        server.route("*", Resp(200, "Title: x\nURL Source: http://127.0.0.1/\nMarkdown Content:\nsecret admin page"))
        cfg = ToolsConfig(options={"jina": {"base_url": server.url, "fallback": None, "retries": 0}})
        jina = fetchers.create("jina", cfg)
        for url in HIDDEN_PRIVATE:
            with pytest.raises(ToolError):
                asyncio.run(jina.fetch(url))
        assert server.requests == []  # nothing was sent to Jina for any of them
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
