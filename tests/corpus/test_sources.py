"""Each source reader on a small real-format fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openseeker.corpus.sources import SourcePage, SourceRedirect, SourceReject, detect_kind, open_source
from openseeker.corpus.text import detect_language, sentence_around
from openseeker.errors import DataError


def _items(path: Any, **kw: Any) -> tuple[list[SourcePage], list[SourceRedirect], list[SourceReject], Any]:
    src = open_source(path, **kw)
    items = list(src)
    return (
        [i for i in items if isinstance(i, SourcePage)],
        [i for i in items if isinstance(i, SourceRedirect)],
        [i for i in items if isinstance(i, SourceReject)],
        src,
    )


def test_detect_kind(
    en_dump: Path, zh_dump: Path, html_dir: Path, warc_file: Path, jsonl_file: Path, make_wikispeedia: Any
) -> None:
    assert detect_kind(en_dump) == "mediawiki"
    assert detect_kind(zh_dump) == "mediawiki"
    assert detect_kind(html_dir) == "html"
    assert detect_kind(warc_file) == "warc"
    assert detect_kind(jsonl_file) == "jsonl"
    assert detect_kind(make_wikispeedia()) == "wikispeedia"
    with pytest.raises(DataError, match="cannot tell the source format"):
        detect_kind(jsonl_file.with_suffix(".csv").write_text("x") and jsonl_file.with_suffix(".csv"))


def test_mediawiki_links_redirects_and_markup(en_dump: Path) -> None:
    pages, redirects, rejects, src = _items(en_dump)
    assert [p.title for p in pages] == ["Paris", "France", "Seine"]
    assert not rejects
    paris = pages[0]
    assert paris.url == "https://en.wikipedia.org/wiki/Paris"
    assert paris.language == "en"
    # Templates, references, files, categories and interwiki links are gone; link text stays.
    assert "Infobox" not in paris.text and "A source" not in paris.text and "thumb" not in paris.text
    assert "Category" not in paris.text and "fr:" not in paris.text
    assert "river Seine" in paris.text
    targets = {ln.url: ln for ln in paris.links}
    assert set(targets) == {
        "https://en.wikipedia.org/wiki/France",
        "https://en.wikipedia.org/wiki/Seine",
        "https://en.wikipedia.org/wiki/Lutece",
        "https://en.wikipedia.org/wiki/Missing_page",
    }
    seine = targets["https://en.wikipedia.org/wiki/Seine"]
    assert seine.anchor == "river Seine"
    assert seine.context.startswith("It lies on the river Seine")
    assert redirects == [
        SourceRedirect(
            "https://en.wikipedia.org/wiki/Lutece", "https://en.wikipedia.org/wiki/Paris", "Lutece"
        )
    ]
    assert src.stats["skipped_namespace"] == 1


def test_mediawiki_chinese(zh_dump: Path) -> None:
    pages, _, _, _ = _items(zh_dump)
    bj = pages[0]
    assert bj.language == "zh"
    assert bj.url.startswith("https://zh.wikipedia.org/wiki/%E5%8C%97")
    assert "分类" not in bj.text and "首都" in bj.text
    assert [ln.anchor for ln in bj.links] == ["中华人民共和国"]
    assert pages[1].links[0].anchor == "北京市"
    assert pages[1].links[0].url == bj.url


def test_html_folder(html_dir: Path) -> None:
    pages, _, rejects, src = _items(html_dir)
    assert [p.title for p in pages] == ["Alpha page", "Beta page"]
    a = pages[0]
    assert "Home" not in a.text and "copyright" not in a.text  # navigation and footer dropped
    links = {ln.url: ln for ln in a.links}
    assert (html_dir / "b.html").resolve().as_uri() in links  # fragment removed, resolved against the page
    assert links["https://example.org/x"].anchor == "example site"
    b_link = links[(html_dir / "b.html").resolve().as_uri()]
    assert b_link.anchor == "the Beta page" and "first letter" not in b_link.context
    assert pages[1].links[0].url == a.url
    assert src.stats["files"] == 2 and not rejects


def test_html_folder_base_url(html_dir: Path) -> None:
    pages, _, _, _ = _items(html_dir, base_url="https://docs.test/site")
    assert pages[0].url == "https://docs.test/site/a.html"
    assert "https://docs.test/site/b.html" in [ln.url for ln in pages[0].links]


def test_warc_skips_and_counts(warc_file: Path) -> None:
    pages, _, rejects, src = _items(warc_file)
    assert [p.url for p in pages] == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/latin",
    ]
    assert "https://example.com/b" in [ln.url for ln in pages[0].links]
    assert pages[2].title == "Café"  # decoded with the charset from the HTTP header
    assert src.stats["skipped_non_html"] == 1
    assert src.stats["skipped_request"] == 4
    assert src.stats["skipped_warcinfo"] == 1
    assert not rejects


def test_jsonl(jsonl_file: Path) -> None:
    pages, _, rejects, _ = _items(jsonl_file)
    assert len(pages) == 3 and not rejects
    one = pages[0]
    assert [ln.url for ln in one.links] == ["https://site.test/two", "https://elsewhere.test/z"]
    assert one.links[0].context == "See Two for more."
    assert pages[2].language == "zh"


def test_wikispeedia_layout(make_wikispeedia: Any) -> None:
    pages, _, rejects, src = _items(make_wikispeedia())
    assert [p.title for p in pages] == ["Åland", "Finland", "Sweden"]
    aland = pages[0]
    assert aland.url == "https://en.wikipedia.org/wiki/%C3%85land"
    assert aland.text.startswith("Åland is an autonomous region")  # preamble stripped
    assert aland.metadata["subjects"] == "Countries"
    assert [(ln.url.rsplit("/", 1)[-1], ln.anchor) for ln in aland.links] == [
        ("Finland", "Finland"),
        ("Sweden", "Sweden"),
    ]
    assert aland.links[0].context == "Åland is an autonomous region of Finland."
    assert not rejects and src.stats["anchor_not_found"] == 1  # "Norway" is not in Sweden's text


def test_limit(en_dump: Path) -> None:
    pages, _, _, _ = _items(en_dump, limit=2)
    assert len(pages) == 2


def test_text_helpers() -> None:
    assert detect_language("北京是中国的首都，有很多 museums。") == "zh"
    assert detect_language("Paris is the capital of France.") == "en"
    text = "First one. The link is here! Last one."
    i = text.index("link")
    assert sentence_around(text, i, i + 4) == "The link is here!"


def test_uncompressed_warc(tmp_path: Path, warc_records: list[Any]) -> None:
    from .conftest import write_warc  # type: ignore[import-not-found]

    path = write_warc(tmp_path / "plain.warc", warc_records, gzip=False)
    pages, _, _, src = _items(path)
    assert len(pages) == 3 and src.stats["skipped_non_html"] == 1
