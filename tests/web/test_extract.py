"""Content extraction without the optional 'web' extra, and charset handling."""

from __future__ import annotations

import sys

import pytest

from openseeker.errors import ToolError
from openseeker.web.extract import extract, sniff

from .pdfgen import make_pdf
from .test_fetchers import ARTICLE


def test_html_without_trafilatura_falls_back_to_resiliparse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # makes "import trafilatura" fail
    out = extract(ARTICLE.encode(), "text/html", "https://w.example/wiki/Ada")
    assert "first algorithm" in out.content and "Copyright" not in out.content
    assert "https://w.example/wiki/Analytical_Engine" in out.links


def test_pdf_without_pypdf_is_a_tool_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(ToolError, match=r"openseeker\[web\]"):
        extract(make_pdf("x"), "application/pdf", "https://w.example/a.pdf")


def test_declared_charsets_and_sniffing() -> None:
    text = "Zürich – 北京".encode("gb18030")
    assert extract(text, "text/plain; charset=gb18030", "https://w.example/").content == "Zürich – 北京"
    assert sniff(b"  <!DOCTYPE html><html>") == "text/html" and sniff(b'{"a": 1}') == "application/json"
    assert extract(b'{"a": 1}', None, "https://w.example/").content == '{"a": 1}'
