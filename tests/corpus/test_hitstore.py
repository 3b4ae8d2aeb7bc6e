"""The hit store: written by ingest and reindex, read by search, equal to reading SQLite, safe to rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.corpus import open_corpus
from openseeker.corpus.hitstore import HITS_DIR, MAX_CHARS, HitStore, HitStoreWriter
from openseeker.corpus.ingest import ingest, reindex

QUERIES = ["capital of France", "首都北京", "number one", "river", "zzzqqq unknown", "long tail words"]


def _pages(tmp_path: Path) -> Path:
    long_text = "filler " * 3000 + "a long tail of words near the end " + "more " * 3000  # cut at 30,000
    rows = [
        {"url": "https://x.test/long", "title": "Long", "text": long_text},
        {"url": "https://x.test/nul", "title": "Nul\0title", "text": "text with a \0 NUL inside, river bank"},
        {
            "url": "https://x.test/zh",
            "title": "北京",
            "text": "北京是中华人民共和国的首都，位于华北平原。",
            "language": "zh",
        },
    ]
    p = tmp_path / "extra.jsonl"
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return p


def _hits(store: object, queries: list[str]) -> list[list[tuple[int, str, str, str]]]:
    return [[(h.page_id, h.url, h.title, h.snippet) for h in store.search(q, 5)] for q in queries]  # type: ignore[attr-defined]


def test_ingest_writes_it_and_search_equals_sqlite(
    tmp_path: Path, en_dump: Path, zh_dump: Path, jsonl_file: Path
) -> None:
    out = tmp_path / "c"
    report = ingest([en_dump, zh_dump, jsonl_file, _pages(tmp_path)], out)
    store = open_corpus(out)
    assert store.hit_store is not None and len(store.hit_store) == report.pages
    with_store = _hits(store, QUERIES)
    assert any(with_store) and with_store[-1] and "tail" in with_store[-1][0][3]
    # Each hit store record carries what the pages table holds, the text cut where snippets always were.
    for pid in store.page_ids():
        page = store.get(pid)
        url, title, text = store.hit_store.get(pid)
        assert (url, text) == (page.url, page.text[:MAX_CHARS])
        assert title == page.title.replace("\0", "")
    # Without it (a corpus indexed by an older version) search reads SQLite and answers the same.
    shutil.rmtree(out / HITS_DIR)
    fallback = open_corpus(out)
    assert fallback.hit_store is None
    old = _hits(fallback, QUERIES)
    nul = [h for hs in with_store for h in hs if h[1] == "https://x.test/nul"]
    assert nul and nul[0][3] == "text with a \0 NUL inside, river bank"  # SQLite's substr stops at the NUL

    def without_nul(runs: list[list[tuple[int, str, str, str]]]) -> list[list[tuple[int, str, str, str]]]:
        return [[h for h in hs if h[1] != "https://x.test/nul"] for hs in runs]

    assert without_nul(old) == without_nul(with_store)
    assert [[h[0] for h in hs] for hs in old] == [[h[0] for h in hs] for hs in with_store]


def test_reindex_builds_it_and_stale_or_broken_ones_are_ignored(tmp_path: Path, jsonl_file: Path) -> None:
    out = tmp_path / "c"
    run = CliRunner()
    assert (
        run.invoke(cli, ["corpus", "ingest", str(jsonl_file), "--out", str(out), "--no-index"]).exit_code == 0
    )
    assert not (out / HITS_DIR).exists()
    assert run.invoke(cli, ["corpus", "reindex", str(out)]).exit_code == 0
    assert HitStore.open(out, 3) is not None
    assert "One" in run.invoke(cli, ["corpus", "search", str(out), "number"]).output
    info = run.invoke(cli, ["corpus", "info", str(out), "--json"])
    assert info.exit_code == 0 and '"hit_store"' in info.output and '"pages": 3' in info.output, info.output
    assert "hit store" in run.invoke(cli, ["corpus", "info", str(out)]).output
    assert HitStore.open(out, 4) is None  # made for another page count: not used
    (out / HITS_DIR / "meta.json").write_text("{not json")
    assert HitStore.open(out, 3) is None
    assert open_corpus(out).search("number", 3)[0].title == "One"  # served from SQLite instead
    reindex(out)
    assert HitStore.open(out, 3) is not None


def test_failed_build_keeps_the_previous_store(tmp_path: Path) -> None:
    path = tmp_path / "hits"
    with HitStoreWriter(path, 2) as w:
        w.add(0, "u0", "t0", "zero")
        w.add(1, "u1", "t1", "one")
    with pytest.raises(RuntimeError), HitStoreWriter(path, 2) as w:
        w.add(0, "v0", "s0", "changed")
        raise RuntimeError("killed")
    with pytest.raises(ValueError, match="expected 2 pages, got 1"), HitStoreWriter(path, 2) as w:
        w.add(0, "v0", "s0", "short")
    with pytest.raises(ValueError, match="id order"), HitStoreWriter(path, 2) as w:
        w.add(1, "v1", "s1", "skipped one")
    store = HitStore(path)
    assert [store.get(i) for i in range(2)] == [("u0", "t0", "zero"), ("u1", "t1", "one")]
    assert [p.name for p in tmp_path.iterdir()] == ["hits"]  # no building folders left behind


def test_empty_corpus_store(tmp_path: Path) -> None:
    with HitStoreWriter(tmp_path / "hits", 0):
        pass
    assert len(HitStore(tmp_path / "hits")) == 0
