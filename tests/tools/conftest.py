"""A small corpus directory for the tool tests (JSONL pages ingested into a real store and index)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from openseeker.corpus.ingest import ingest

LONG = " ".join(f"Paragraph {i} talks about unrelated filler topics at length." for i in range(400))
PAGES = [
    {
        "url": "https://w.test/Paris",
        "title": "Paris",
        "text": "Paris is the capital of France. The Eiffel Tower was completed in 1889.\n\n" + LONG,
        "links": [{"url": "https://w.test/France", "anchor": "France"}, "https://w.test/Nowhere"],
    },
    {
        "url": "https://w.test/France",
        "title": "France",
        "text": "France is a country in Western Europe.",
        "links": ["https://w.test/Paris"],
    },
    {"url": "https://w.test/Beijing", "title": "北京", "text": "北京是中华人民共和国的首都。故宫位于北京。"},
]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    src = tmp_path / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in PAGES))
    ingest([src], tmp_path / "corpus")
    return tmp_path / "corpus"
