"""Small real-format fixtures, generated per test: a MediaWiki dump (with a redirect, a template, File and
Category links, and a Chinese dump), an HTML folder, a WARC written with warcio, JSONL pages and a tiny
Wikispeedia folder."""

from __future__ import annotations

import bz2
import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import orjson
import pytest

SITEINFO = """<siteinfo><sitename>Wikipedia</sitename><dbname>{db}</dbname>
<base>https://{lang}.wikipedia.org/wiki/Main_Page</base>
<namespaces><namespace key="0" /><namespace key="6">File</namespace><namespace key="14">Category</namespace>
<namespace key="10">Template</namespace></namespaces></siteinfo>"""


def page_xml(title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    red = f'<redirect title="{escape(redirect)}" />' if redirect else ""
    return (
        f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>1</id>{red}<revision><id>2</id>"
        f'<timestamp>2024-01-01T00:00:00Z</timestamp><text xml:space="preserve">{escape(text)}</text>'
        "</revision></page>"
    )


def dump_xml(pages: list[str], lang: str = "en") -> str:
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="{lang}" version="0.10">'
        + SITEINFO.format(db=f"{lang}wiki", lang=lang)
        + "".join(pages)
        + "</mediawiki>"
    )


EN_PAGES = [
    page_xml(
        "Paris",
        "'''Paris''' is the capital of [[France]]. {{Infobox city|pop=2M}}It lies on the "
        "[[Seine|river Seine]].<ref>A source.</ref> [[File:Paris.jpg|thumb|A view]] See also [[Lutece]] and "
        "[[Missing page]]. [[Category:Cities]] [[fr:Paris]]",
    ),
    page_xml(
        "France", "'''France''' is a country in Europe. Its capital is [[Paris]]. It borders [[Germany]]."
    ),
    page_xml("Seine", "The '''Seine''' is a river that flows through [[Paris]]."),
    page_xml("Lutece", "", redirect="Paris"),
    page_xml("Talk:Paris", "discussion", ns=1),
]


@pytest.fixture
def en_dump(tmp_path: Path) -> Path:
    p = tmp_path / "enwiki.xml.bz2"
    p.write_bytes(bz2.compress(dump_xml(EN_PAGES).encode()))
    return p


@pytest.fixture
def zh_dump(tmp_path: Path) -> Path:
    pages = [
        page_xml("北京", "'''北京'''是[[中华人民共和国]]的首都，位于华北平原。[[分类:城市]]"),
        page_xml("中华人民共和国", "'''中华人民共和国'''的首都是[[北京|北京市]]。"),
    ]
    p = tmp_path / "zhwiki.xml"
    p.write_text(dump_xml(pages, "zh"), encoding="utf-8")
    return p


HTML_A = """<html><head><title>Alpha page</title></head><body><nav><a href="index.html">Home</a></nav>
<main><h1>Alpha</h1><p>Alpha is the first letter. It links to <a href="b.html#part">the Beta page</a> for more.</p>
<p>An external <a href="https://example.org/x">example site</a> is here. Alpha has a long history of use.</p></main>
<footer>copyright</footer></body></html>"""
HTML_B = """<html><head><title>Beta page</title></head><body><main><h1>Beta</h1>
<p>Beta is the second letter of the Greek alphabet. Back to <a href="sub/../a.html">Alpha</a>.</p></main></body></html>"""


@pytest.fixture
def html_dir(tmp_path: Path) -> Path:
    d = tmp_path / "site"
    d.mkdir()
    (d / "a.html").write_text(HTML_A, encoding="utf-8")
    (d / "b.html").write_text(HTML_B, encoding="utf-8")
    (d / "notes.txt").write_text("not html", encoding="utf-8")
    return d


def write_warc(path: Path, records: list[tuple[str, str, bytes]], gzip: bool = True) -> Path:
    """``records``: (url, content type, body); plus a request record and a warcinfo record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gzip)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        for url, ctype, body in records:
            req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
            w.write_record(w.create_warc_record(url, "request", http_headers=req))
            hdr = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=hdr))
    return path


@pytest.fixture
def warc_records() -> list[tuple[str, str, bytes]]:
    return [
        ("https://example.com/a", "text/html; charset=utf-8", HTML_A.replace("b.html", "/b").encode()),
        (
            "https://example.com/b",
            "text/html",
            HTML_B.replace("sub/../a.html", "https://example.com/a").encode(),
        ),
        ("https://example.com/logo.png", "image/png", b"\x89PNG...."),
        (
            "https://example.com/latin",
            "text/html; charset=iso-8859-1",
            "<html><head><title>Caf\xe9</title></head><body><p>Un caf\xe9 tr\xe8s bon et chaud.</p></body></html>".encode(
                "latin-1"
            ),
        ),
    ]


@pytest.fixture
def warc_file(tmp_path: Path, warc_records: list[tuple[str, str, bytes]]) -> Path:
    return write_warc(tmp_path / "crawl.warc.gz", warc_records)


JSONL_PAGES = [
    {
        "url": "https://site.test/one",
        "title": "One",
        "text": "One is a number before two. See Two for more.",
        "links": [{"url": "/two", "anchor": "Two"}, "https://elsewhere.test/z"],
    },
    {
        "url": "https://site.test/two",
        "title": "Two",
        "text": "Two follows one.",
        "links": ["https://site.test/one"],
        "language": "en",
    },
    {"url": "https://site.test/san", "title": "三", "text": "三是二之后的数字，也是一个奇数。", "links": []},
]


@pytest.fixture
def jsonl_file(tmp_path: Path) -> Path:
    p = tmp_path / "pages.jsonl"
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in JSONL_PAGES))
    return p


@pytest.fixture
def make_wikispeedia(tmp_path: Path) -> Callable[..., Path]:
    """Build a Wikispeedia-layout folder; ``truncate`` cuts the tar.gz to simulate a broken download."""

    def make(truncate: bool = False) -> Path:
        d = tmp_path / ("wikispeedia_trunc" if truncate else "wikispeedia")
        d.mkdir()
        names = ["%C3%85land", "Finland", "Sweden"]
        texts = {
            "%C3%85land": "Åland is an autonomous region of Finland. Its people speak the language of Sweden.",
            "Finland": "Finland is a Nordic country. Åland belongs to it.",
            "Sweden": "Sweden is a Nordic country west of Finland. " + "Filler sentence about Sweden. " * 400,
        }
        (d / "articles.tsv").write_text("# comment\n\n" + "\n".join(names) + "\n", encoding="utf-8")
        (d / "links.tsv").write_text(
            "# links\n%C3%85land\tFinland\n%C3%85land\tSweden\nFinland\t%C3%85land\nSweden\tNorway\n",
            encoding="utf-8",
        )
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for n in names:
                title = n.replace("%C3%85", "Å")
                body = (
                    f"   #copyright\n\n{title}\n\n2007 Schools Wikipedia Selection. Related subjects: "
                    f"Countries\n\n{texts[n]}\n"
                ).encode()
                info = tarfile.TarInfo(f"plaintext_articles/{n}.txt")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        data = buf.getvalue()
        (d / "plaintext_articles.tar.gz").write_bytes(data[: len(data) // 2] if truncate else data)
        return d

    return make
