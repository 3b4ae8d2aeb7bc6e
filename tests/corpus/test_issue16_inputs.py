"""Issue 16 items 8 and 9: a per-record size cap, staged (all-or-nothing) ingest, real MediaWiki dumps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.corpus import open_corpus
from openseeker.corpus.ingest import ingest
from openseeker.corpus.schema import DB_NAME
from openseeker.corpus.sources import SourcePage, open_source
from openseeker.errors import DataError

from .conftest import EN_PAGES, page_xml  # type: ignore[import-not-found]


def _page(i: int, text: str = "a short page about rivers") -> bytes:
    return orjson.dumps({"url": f"https://a.test/{i}", "title": f"P{i}", "text": text}) + b"\n"


# -- item 8: a record size cap with a counted reject -------------------------------------------------------


def test_oversized_jsonl_record_is_rejected_and_counted(tmp_path: Path) -> None:
    p = tmp_path / "pages.jsonl"
    p.write_bytes(_page(1) + _page(2, "huge " * 300_000) + _page(3))
    report = ingest([p], tmp_path / "out", max_record_bytes=100_000)
    assert report.pages == 2
    assert report.rejected == {"too_large": 1}
    row = orjson.loads((tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()[0])
    assert row["position"] == "line 2" and row["reason"] == "too_large"
    assert [pg.title for pg in open_corpus(tmp_path / "out").iter_pages()] == ["P1", "P3"]


def test_oversized_mediawiki_page_is_rejected(tmp_path: Path) -> None:
    from .conftest import dump_xml  # type: ignore[import-not-found]

    p = tmp_path / "big.xml"
    p.write_text(dump_xml([*EN_PAGES[:2], page_xml("Big", "word " * 50_000)]), encoding="utf-8")
    items = list(open_source(p, max_record_bytes=100_000))
    assert [i.title for i in items if isinstance(i, SourcePage)] == ["Paris", "France"]
    assert [(r.position, r.reason) for r in items if not isinstance(r, SourcePage)] == [
        ("page 'Big'", "too_large")
    ]


def test_fifty_megabyte_line_stays_in_bounded_memory(tmp_path: Path) -> None:
    """The reported case: one 50 MB line used to peak at 1.44 GB; with the default cap it is skipped while
    being read, never held whole."""
    p = tmp_path / "pages.jsonl"
    with p.open("wb") as fh:
        fh.write(_page(1))
        fh.write(b'{"url": "https://a.test/big", "title": "Big", "text": "')
        chunk = b"word " * 200_000
        for _ in range(50):
            fh.write(chunk)
        fh.write(b'"}\n')
        fh.write(_page(3))
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork + exec, so it would report pytest's own peak.
    code = (
        "import json, re; from pathlib import Path; from openseeker.corpus.ingest import ingest; "
        f"r = ingest([{str(p)!r}], {str(tmp_path / 'out')!r}, build_search_index=False); "
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)); "
        "print(json.dumps([r.pages, r.rejected, hwm]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    pages, rejected, peak_kb = json.loads(out.stdout.strip().splitlines()[-1])
    assert pages == 2 and rejected == {"too_large": 1}
    assert peak_kb < 300 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"


# -- item 8: a failed ingest leaves nothing behind ----------------------------------------------------------


def test_failed_ingest_leaves_no_corpus_and_the_retry_works(tmp_path: Path, jsonl_file: Path) -> None:
    out = tmp_path / "c"
    with pytest.raises(DataError):
        ingest([jsonl_file, tmp_path / "missing.jsonl"], out)
    assert not (out / DB_NAME).exists()
    assert not out.exists() or not any(out.iterdir())
    report = ingest([jsonl_file], out)  # the corrected command, without --overwrite
    assert report.pages == 3


def test_failed_overwrite_keeps_the_old_corpus(tmp_path: Path, jsonl_file: Path) -> None:
    out = tmp_path / "c"
    ingest([jsonl_file], out)
    bad = tmp_path / "bad.xml"
    bad.write_text("<mediawiki><page><title>x</title>", encoding="utf-8")
    with pytest.raises(DataError):
        ingest([bad], out, overwrite=True)
    assert len(open_corpus(out)) == 3
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_cli_failed_ingest_then_corrected_command(tmp_path: Path, jsonl_file: Path) -> None:
    run = CliRunner()
    out = tmp_path / "c"
    r = run.invoke(cli, ["corpus", "ingest", str(tmp_path / "nope.jsonl"), "--out", str(out)])
    assert r.exit_code != 0
    r = run.invoke(cli, ["corpus", "ingest", str(jsonl_file), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.output)["pages"] == 3


# -- item 9: real MediaWiki dumps ------------------------------------------------------------------------


def _dump(pages: list[str], lang: str, siteinfo: str) -> str:
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="{lang}" version="0.10">'
        f"<siteinfo>{siteinfo}</siteinfo>" + "".join(pages) + "</mediawiki>"
    )


ZH = [page_xml("北京", "'''北京'''是[[中国]]的首都。"), page_xml("中国", "[[北京]]是首都。")]


def test_chinese_dump_without_base_uses_dbname(tmp_path: Path) -> None:
    p = tmp_path / "zh.xml"
    p.write_text(_dump(ZH, "zh", "<sitename>维基百科</sitename><dbname>zhwiki</dbname>"), encoding="utf-8")
    pages = [i for i in open_source(p) if isinstance(i, SourcePage)]
    assert all(pg.url.startswith("https://zh.wikipedia.org/wiki/") for pg in pages)
    assert pages[0].links[0].url == pages[1].url


def test_dump_without_base_or_dbname_uses_xml_lang(tmp_path: Path) -> None:
    p = tmp_path / "zh.xml"
    p.write_text(_dump(ZH, "zh", "<sitename>x</sitename>"), encoding="utf-8")
    pages = [i for i in open_source(p) if isinstance(i, SourcePage)]
    assert pages[0].url.startswith("https://zh.wikipedia.org/wiki/")


def test_non_wikipedia_base_and_site_override(tmp_path: Path) -> None:
    p = tmp_path / "w.xml"
    p.write_text(
        _dump(
            [page_xml("Alpha", "See [[Beta]].")],
            "en",
            "<dbname>mywiki</dbname><base>https://wiki.example.org/index.php/Main_Page</base>",
        ),
        encoding="utf-8",
    )
    (alpha,) = [i for i in open_source(p) if isinstance(i, SourcePage)]
    assert alpha.url == "https://wiki.example.org/index.php/Alpha"
    assert alpha.links[0].url == "https://wiki.example.org/index.php/Beta"
    (alpha,) = [i for i in open_source(p, site="https://mirror.test/wiki/") if isinstance(i, SourcePage)]
    assert alpha.url == "https://mirror.test/wiki/Alpha"
    r = CliRunner().invoke(
        cli, ["corpus", "ingest", str(p), "--out", str(tmp_path / "c"), "--site", "https://m.test", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert open_corpus(tmp_path / "c").get(0).url == "https://m.test/wiki/Alpha"  # type: ignore[union-attr]


def test_redirect_titles_resolve(tmp_path: Path, en_dump: Path) -> None:
    out = tmp_path / "c"
    ingest([en_dump], out)
    store = open_corpus(out)
    for key in ("Lutece", "lutece", "https://en.wikipedia.org/wiki/Lutece"):
        page = store.get(key)
        assert page is not None and page.title == "Paris", key
    r = CliRunner().invoke(cli, ["corpus", "page", str(out), "Lutece", "--json"])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.output)["page"]["title"] == "Paris"


def test_underscored_link_titles_are_normalized(tmp_path: Path) -> None:
    p = tmp_path / "u.xml"
    p.write_text(
        _dump(
            [page_xml("Mine", "The mine is near [[Copper_Field]] and [[copper_Field#History|the field]].")],
            "en",
            "<dbname>enwiki</dbname>",
        ),
        encoding="utf-8",
    )
    (mine,) = [i for i in open_source(p) if isinstance(i, SourcePage)]
    assert "Copper Field" in mine.text and "_" not in mine.text
    assert [(ln.anchor, ln.url) for ln in mine.links] == [
        ("Copper Field", "https://en.wikipedia.org/wiki/Copper_Field"),
        ("the field", "https://en.wikipedia.org/wiki/Copper_Field"),
    ]
    assert mine.links[0].context == "The mine is near Copper Field and the field."
