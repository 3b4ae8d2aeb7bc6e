"""The real Wikispeedia copy in ../shared (skipped when absent): ingested once per module, as a subset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openseeker.corpus import open_corpus
from openseeker.corpus.ingest import ingest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "wikispeedia"
SUBSET = 150

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not (SHARED / "articles.tsv").exists():
        pytest.skip(f"needs the Wikispeedia copy at {SHARED.resolve()} (not present)")
    out = tmp_path_factory.mktemp("ws")
    report = ingest([SHARED], out, limit=SUBSET)
    return report, open_corpus(out)


def test_real_pages_links_and_search(ws: Any) -> None:
    report, store = ws
    assert report.pages == SUBSET and not report.rejected
    page = store.get("https://en.wikipedia.org/wiki/%C3%85land")
    assert page is not None and page.title == "Åland" and "Mariehamn" in page.text
    assert not page.text.startswith("#copyright")
    out = store.out_links(page.id)
    assert len(out) == 19  # as in links.tsv
    assert any(ln.anchor and ln.context for ln in out)
    resolved = [ln for ln in out if ln.target is not None]
    assert all(store.get(ln.target).url == ln.target_url for ln in resolved)
    hits = store.search("autonomous Swedish-speaking islands Finland", 5)
    assert hits[0].title == "Åland"
    assert store.get("Åland") == page
