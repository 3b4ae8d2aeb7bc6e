"""Ingest into the SQLite store: link resolution (URL, redirect, dangling), lookups, graph, Parquet."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from openseeker.corpus import Corpus, open_corpus
from openseeker.corpus.ingest import ingest
from openseeker.corpus.parquet import export_parquet, import_parquet
from openseeker.corpus.sources import Source, SourceLink, SourcePage
from openseeker.errors import ConfigError, PrerequisiteError

WIKI = "https://en.wikipedia.org/wiki/"


@pytest.fixture
def mixed(tmp_path: Path, en_dump: Path, zh_dump: Path, jsonl_file: Path) -> Any:
    report = ingest([en_dump, zh_dump, jsonl_file], tmp_path / "corpus")
    return report, open_corpus(tmp_path / "corpus")


def test_report_and_protocol(mixed: Any) -> None:
    report, store = mixed
    assert isinstance(store, Corpus)
    assert report.pages == len(store) == 8
    assert list(store.page_ids()) == list(range(8))
    assert report.redirects == 1
    assert report.languages == {"en": 5, "zh": 3}
    assert report.links == report.resolved_links + report.dangling_links
    assert report.index["num_docs"] == 8
    assert (Path(report.out_dir) / "ingest_report.json").exists()


def test_lookups(mixed: Any) -> None:
    _, store = mixed
    paris = store.get(WIKI + "Paris")
    assert paris is not None and paris.title == "Paris" and paris.id == 0
    assert store.get(0) == paris
    assert store.get("paris") == paris  # title, case-insensitive
    assert store.get(WIKI + "Lutece") == paris  # redirect URL
    assert store.get("北京") is not None and store.get("北京").language == "zh"
    assert store.get("nope") is None and store.get(999) is None


def test_links_resolved_through_redirects_and_dangling_kept(mixed: Any) -> None:
    _, store = mixed
    paris = store.get("Paris")
    out = {ln.target_url: ln for ln in store.out_links(paris.id)}
    assert out[WIKI + "France"].target == store.get("France").id
    assert out[WIKI + "Lutece"].target == paris.id  # self-link via redirect
    assert out[WIKI + "Missing_page"].target is None  # dangling, URL kept
    assert out[WIKI + "Seine"].anchor == "river Seine"
    assert out[WIKI + "Seine"].context.startswith("It lies on the river Seine")
    ins = store.in_links(paris.id)
    assert {store.get(ln.source).title for ln in ins} >= {"France", "Seine", "Paris"}
    one = store.get("https://site.test/one")
    assert [ln.target for ln in store.out_links(one.id)] == [store.get("Two").id, None]


def test_neighbourhood_and_info(mixed: Any) -> None:
    _, store = mixed
    france = store.get("France").id
    hood = store.neighbourhood(france, hops=2)
    assert hood[france] == 0 and hood[store.get("Paris").id] == 1 and hood[store.get("Seine").id] == 2
    assert len(store.neighbourhood(france, hops=2, limit=2)) == 2
    info = store.info()
    assert info["pages"] == 8 and info["redirects"] == 1
    assert info["dangling_links"] > 0 and info["languages"] == {"en": 5, "zh": 3}
    assert info["out_degree"]["max"] >= 2 and info["in_degree"]["zero"] >= 1


def test_search_mixed_languages(mixed: Any) -> None:
    _, store = mixed
    hits = store.search("capital of France", 3)
    assert hits[0].title in ("France", "Paris")
    assert {h.title for h in hits[:2]} == {"France", "Paris"}
    zh = store.search("首都北京", 3)
    assert zh and zh[0].title in ("北京", "中华人民共和国")
    assert store.search("zzzqqq unknown", 5) == []


def test_existing_corpus_needs_overwrite(tmp_path: Path, jsonl_file: Path) -> None:
    ingest([jsonl_file], tmp_path / "c")
    with pytest.raises(ConfigError, match="overwrite"):
        ingest([jsonl_file], tmp_path / "c")
    assert ingest([jsonl_file], tmp_path / "c", overwrite=True).pages == 3
    with pytest.raises(PrerequisiteError, match="not a corpus directory"):
        open_corpus(tmp_path / "missing")


def test_parquet_round_trip(mixed: Any, tmp_path: Path) -> None:
    report, store = mixed
    counts = export_parquet(report.out_dir, tmp_path / "pq")
    assert counts == {"pages": 8, "links": report.links, "redirects": 1}
    import_parquet(tmp_path / "pq", tmp_path / "copy")
    copy = open_corpus(tmp_path / "copy")
    assert len(copy) == len(store)
    for pid in store.page_ids():
        assert copy.get(pid) == store.get(pid)
        assert copy.out_links(pid) == store.out_links(pid)
    assert copy.get(WIKI + "Lutece").title == "Paris"
    assert [h.page_id for h in copy.search("river Seine")] == [h.page_id for h in store.search("river Seine")]


class _Generated(Source):
    """Pages from memory: enough to exercise batching across many insert transactions."""

    kind = "generated"

    def __iter__(self) -> Any:
        for i in range(120):
            yield SourcePage(
                f"https://g.test/{i}",
                f"Page {i}",
                f"Page {i} mentions page {i + 1}.",
                "en",
                [SourceLink(f"https://g.test/{(i + 1) % 130}", f"page {i + 1}")],
            )


def test_small_batches_and_link_order(tmp_path: Path) -> None:
    report = ingest([_Generated(tmp_path)], tmp_path / "g", batch_size=7)
    assert report.pages == 120 and report.links == 120 and report.dangling_links == 1
    store = open_corpus(tmp_path / "g")
    assert store.out_links(5)[0].target == 6
    assert store.out_links(119)[0].target is None
    con = sqlite3.connect(tmp_path / "g" / "corpus.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    sources = [r[0] for r in con.execute("SELECT source FROM links ORDER BY rowid")]
    assert sources == sorted(sources)  # out-links are stored contiguously


def test_odd_characters_in_corpus_path(tmp_path: Path, jsonl_file: Path) -> None:
    out = tmp_path / "a dir#1?x"
    ingest([jsonl_file], out)
    assert open_corpus(out).get("One") is not None


def test_single_path_is_accepted(tmp_path: Path, jsonl_file: Path) -> None:
    assert ingest(str(jsonl_file), tmp_path / "c").pages == 3
