"""Broken inputs end in a DataError naming file and position, or in counted, written rejections."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.corpus.ingest import ingest
from openseeker.corpus.sources import SourceReject, open_source
from openseeker.errors import DataError

from .conftest import EN_PAGES, dump_xml, write_warc  # type: ignore[import-not-found]


def test_truncated_bz2_dump(tmp_path: Path) -> None:
    data = bz2.compress(dump_xml(EN_PAGES * 20).encode())
    p = tmp_path / "cut.xml.bz2"
    p.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match=r"cut\.xml\.bz2 at byte \d+ \(reading .*truncated"):
        list(open_source(p))


def test_corrupt_bz2_dump(tmp_path: Path) -> None:
    p = tmp_path / "bad.xml.bz2"
    p.write_bytes(b"BZh9" + b"\x00garbage" * 50)
    with pytest.raises(DataError, match=r"bad\.xml\.bz2"):
        list(open_source(p))


def test_malformed_xml_names_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.xml"
    p.write_text(dump_xml(EN_PAGES).replace("</page><page>", "</page><page><oops>", 1))
    with pytest.raises(DataError, match=r"bad\.xml at line \d+, column \d+"):
        list(open_source(p))


def test_jsonl_bad_lines_are_rejected_and_written(tmp_path: Path) -> None:
    p = tmp_path / "pages.jsonl"
    good = orjson.dumps({"url": "https://a.test/1", "title": "A", "text": "alpha"})
    p.write_bytes(
        good
        + b"\n{not json\n"
        + orjson.dumps({"url": "https://a.test/2"})
        + b"\n"
        + b'{"url": "https://a.test/3", "title": "\xff", "text": "x"}\n'
        + good
        + b"\n"
    )
    report = ingest([p], tmp_path / "out")
    assert report.pages == 1
    assert report.rejected == {"invalid_json": 2, "invalid_record": 1, "duplicate_url": 1}
    rows = [orjson.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()]
    positions = {r["position"] for r in rows if r["source"] == "jsonl"}
    assert positions == {"line 2", "line 3", "line 4"}
    assert all(r["path"].endswith("pages.jsonl") for r in rows if r["source"] == "jsonl")


def test_truncated_gzip_jsonl(tmp_path: Path) -> None:
    body = b"".join(
        orjson.dumps({"url": f"https://a.test/{i}", "title": str(i), "text": "word " * 50}) + b"\n"
        for i in range(200)
    )
    data = gzip.compress(body)
    p = tmp_path / "pages.jsonl.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"pages\.jsonl\.gz at line \d+: corrupt or truncated"):
        list(open_source(p))


def test_truncated_warc(tmp_path: Path, warc_records: list[Any]) -> None:
    full = write_warc(tmp_path / "full.warc.gz", warc_records * 3)
    data = full.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match=r"cut\.warc\.gz at record at byte \d+"):
        list(open_source(cut))


def test_corrupt_warc_gzip(tmp_path: Path, warc_records: list[Any]) -> None:
    full = write_warc(tmp_path / "full.warc.gz", warc_records * 3)
    data = bytearray(full.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 64] = b"\x00" * 64
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"bad\.warc\.gz"):
        list(open_source(bad))


def test_non_utf8_html_without_charset_is_rejected(tmp_path: Path) -> None:
    d = tmp_path / "site"
    d.mkdir()
    (d / "ok.html").write_text(
        "<html><head><title>Ok</title></head><body><p>Fine text here.</p></body></html>"
    )
    (d / "bad.html").write_bytes(b"<html><body><p>caf\xe9 \xff\xfe broken</p></body></html>")
    (d / "latin.html").write_bytes(
        b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head>'
        b"<body><p>Un caf\xe9.</p></body></html>"
    )
    items = list(open_source(d))
    rejects = [i for i in items if isinstance(i, SourceReject)]
    assert [(Path(r.path).name, r.position, r.reason) for r in rejects] == [
        ("bad.html", "byte 18", "undecodable")
    ]
    report = ingest([d], tmp_path / "out")
    assert report.pages == 2 and report.rejected == {"undecodable": 1}
    assert b"bad.html" in (tmp_path / "out" / "rejects.jsonl").read_bytes()


def test_truncated_wikispeedia_archive(make_wikispeedia: Any) -> None:
    d = make_wikispeedia(truncate=True)
    with pytest.raises(DataError, match=r"plaintext_articles\.tar\.gz at after \d+ articles"):
        list(open_source(d))


def test_truncated_plain_xml(tmp_path: Path) -> None:
    xml = dump_xml(EN_PAGES)
    p = tmp_path / "cut.xml"
    p.write_text(xml[: len(xml) - 40])
    with pytest.raises(
        DataError, match=r"cut\.xml at line \d+, column \d+ \(reading the page after 'Lutece'\)"
    ):
        list(open_source(p))
