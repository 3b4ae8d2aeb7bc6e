"""The on-disk layout of a corpus directory and the SQLite schema of its page/link store.

::

    <dir>/corpus.sqlite      pages, links, redirects, meta (SQLite, WAL)
    <dir>/bm25/              the BM25 index (bm25s file format plus a sorted term table, mmap-loaded)
    <dir>/hits/              URL, title and opening text of each page, compressed, for search hits
    <dir>/rejects.jsonl      records that could not be ingested, with file, position and reason
    <dir>/ingest_report.json counts of the last ingest

Page ids are dense (0..N-1) in ingest order. ``links.target`` is NULL for dangling links (the target URL is
kept). Links are stored in source order, so a page's out-links are contiguous on disk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

DB_NAME = "corpus.sqlite"
REJECTS_NAME = "rejects.jsonl"
REPORT_NAME = "ingest_report.json"
SCHEMA_VERSION = "2"  # 2: redirects.title_key (redirect titles find their target)

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    metadata TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS pages_url ON pages(url);
CREATE TABLE IF NOT EXISTS redirects (
    url TEXT PRIMARY KEY, target_url TEXT NOT NULL, title_key TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (
    source INTEGER NOT NULL,
    target INTEGER,
    target_url TEXT NOT NULL,
    anchor TEXT NOT NULL DEFAULT '',
    context TEXT NOT NULL DEFAULT ''
);
"""

FINAL_INDEXES = """
CREATE INDEX IF NOT EXISTS pages_title ON pages(title_key);
CREATE INDEX IF NOT EXISTS redirects_title ON redirects(title_key) WHERE title_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS links_source ON links(source);
CREATE INDEX IF NOT EXISTS links_target ON links(target) WHERE target IS NOT NULL;
"""


def title_key(title: str) -> str:
    """The case- and underscore-insensitive form titles are looked up by."""
    return " ".join(title.replace("_", " ").split()).lower()


def connect_writer(path: Path) -> sqlite3.Connection:
    """A connection tuned for bulk loading: WAL, no fsync per commit, bounded page cache, temp data on disk."""
    con = sqlite3.connect(str(path), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    # A fixed 256 MB page cache (negative = KiB) keeps memory flat however large the corpus grows.
    con.execute("PRAGMA cache_size=-262144")
    con.execute("PRAGMA temp_store=FILE")
    con.executescript(DDL)
    return con


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection for the serving path.

    A WAL database needs its ``-shm`` file; on a read-only folder (a shared data mount) that cannot be
    created, so the store is then opened as immutable (safe: nothing writes to a finished corpus).
    """
    uri = f"file:{quote(str(Path(path).resolve()))}"
    try:
        con = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        con.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        con = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    # A small private cache per connection: the OS page cache, shared by every serving process, holds the rest.
    con.execute("PRAGMA cache_size=-8192")
    con.execute("PRAGMA query_only=ON")
    return con
