"""Parquet export and import of a corpus (pages, links, redirects), streamed in batches.

The export is for bulk analysis (DuckDB, pandas, Spark) and exchange; the import rebuilds a servable corpus
directory with the same page ids and links (and a fresh BM25 index).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from openseeker.corpus.schema import DB_NAME, REJECTS_NAME, SCHEMA_VERSION, connect_reader
from openseeker.errors import DataError

BATCH = 50_000


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "pages": pa.schema(
            [
                ("id", pa.int64()),
                ("url", pa.string()),
                ("title", pa.string()),
                ("text", pa.string()),
                ("language", pa.string()),
                ("metadata", pa.string()),
            ]
        ),
        "links": pa.schema(
            [
                ("source", pa.int64()),
                ("target", pa.int64()),
                ("target_url", pa.string()),
                ("anchor", pa.string()),
                ("context", pa.string()),
            ]
        ),
        "redirects": pa.schema(
            [("url", pa.string()), ("target_url", pa.string()), ("title_key", pa.string())]
        ),
    }


_QUERIES = {
    "pages": "SELECT id, url, title, text, language, metadata FROM pages ORDER BY id",
    "links": "SELECT source, target, target_url, anchor, context FROM links ORDER BY rowid",
    "redirects": "SELECT url, target_url, title_key FROM redirects",
}


def export_parquet(corpus_dir: str | Path, out_dir: str | Path, compression: str = "zstd") -> dict[str, int]:
    """Write ``pages.parquet``, ``links.parquet`` and ``redirects.parquet``; return row counts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    con = connect_reader(Path(corpus_dir) / DB_NAME)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, schema in _schemas().items():
        cur = con.execute(_QUERIES[name])
        n = 0
        with pq.ParquetWriter(out / f"{name}.parquet", schema, compression=compression) as w:
            while rows := cur.fetchmany(BATCH):
                cols = list(zip(*rows, strict=True))
                w.write_table(
                    pa.table(
                        [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)], schema=schema
                    )
                )
                n += len(rows)
        counts[name] = n
    con.close()
    return counts


def import_parquet(
    parquet_dir: str | Path, out_dir: str | Path, *, overwrite: bool = False, build_search_index: bool = True
) -> dict[str, Any]:
    """Rebuild a corpus directory from an export made by :func:`export_parquet` (ids are kept)."""
    from openseeker.corpus.ingest import staged_corpus_dir

    src = Path(parquet_dir)
    for name in ("pages", "links"):
        if not (src / f"{name}.parquet").exists():
            raise DataError(f"missing {name}.parquet", path=str(src))
    start = time.monotonic()
    with staged_corpus_dir(out_dir, overwrite) as out:
        summary = _import_into(src, out, build_search_index)
        summary["seconds"] = time.monotonic() - start
        (out / "import_report.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _import_into(src: Path, out: Path, build_search_index: bool) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from openseeker.corpus.ingest import StoreWriter, _Progress, build_index
    from openseeker.corpus.schema import title_key

    with (out / REJECTS_NAME).open("wb") as rej:
        w = StoreWriter(out, rej)
        con = w.con
        expected = 0
        langs: dict[str, int] = {}
        for batch in pq.ParquetFile(src / "pages.parquet").iter_batches(BATCH):
            rows = batch.to_pylist()
            for r in rows:
                if r["id"] != expected:
                    raise DataError(
                        f"page ids must be dense and ordered; expected {expected}, found {r['id']}",
                        path=str(src / "pages.parquet"),
                    )
                expected += 1
                langs[r["language"]] = langs.get(r["language"], 0) + 1
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO pages VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        r["id"],
                        r["url"],
                        r["title"],
                        title_key(r["title"]),
                        r["text"],
                        r["language"],
                        r["metadata"],
                    )
                    for r in rows
                ],
            )
            con.execute("COMMIT")
        for batch in pq.ParquetFile(src / "links.parquet").iter_batches(BATCH):
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO links VALUES (?,?,?,?,?)", [tuple(r.values()) for r in batch.to_pylist()]
            )
            con.execute("COMMIT")
        if (src / "redirects.parquet").exists():
            for batch in pq.ParquetFile(src / "redirects.parquet").iter_batches(BATCH):
                con.execute("BEGIN")
                con.executemany(
                    "INSERT OR IGNORE INTO redirects VALUES (?,?,?)",
                    [(r["url"], r["target_url"], r.get("title_key")) for r in batch.to_pylist()],
                )
                con.execute("COMMIT")
        con.execute("DROP TABLE raw_links")
        from openseeker.corpus.schema import FINAL_INDEXES

        con.executescript(FINAL_INDEXES)
        links = con.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        dangling = con.execute("SELECT COUNT(*) FROM links WHERE target IS NULL").fetchone()[0]
        w.set_meta(
            {
                "schema_version": SCHEMA_VERSION,
                "pages": expected,
                "links": links,
                "dangling_links": dangling,
                "languages": langs,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "sources": [f"parquet:{src}"],
            }
        )
        index = build_index(out, con, expected, _Progress(False)) if build_search_index else {}
        w.close()
    return {"pages": expected, "links": links, "dangling_links": dangling, "index": index}
