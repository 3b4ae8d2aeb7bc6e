"""Parallel, resumable ingest (issue 14, item 2): work units read by local processes or Ray tasks give the
corpus a single reader gives (same ids, pages, links, redirects); a killed ingest resumes without redoing
its finished units; two ingests into one folder cannot run at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.corpus.ingest import UNITS_DIR, UnitsFolder, ingest
from openseeker.corpus.sources.multistream import write_multistream
from openseeker.corpus.units import plan_units
from openseeker.errors import RunLockedError
from openseeker.worldgen import write_world

from .conftest import SITEINFO, page_xml

pytestmark = pytest.mark.timeout(300)


def _dump(corpus: Path) -> dict[str, Any]:
    con = sqlite3.connect(corpus / "corpus.sqlite")
    return {
        "pages": list(con.execute("SELECT * FROM pages ORDER BY id")),
        "links": list(con.execute("SELECT * FROM links ORDER BY rowid")),
        "redirects": sorted(con.execute("SELECT * FROM redirects")),
        "rejects": Counter(
            (r["reason"], r["position"]) for r in map(orjson.loads, (corpus / "rejects.jsonl").read_bytes().splitlines())
        ),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_world(tmp_path_factory.mktemp("world"), 1, 400, ("en", "zh"))["pages"]
    with path.open("ab") as fh:  # a duplicate URL and a broken line, in the last unit
        first = path.read_bytes().split(b"\n", 1)[0]
        fh.write(first + b"\n{not json\n")
    return path


@pytest.fixture(scope="module")
def single(world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("single") / "c"
    report = ingest([world], out, unit_mb=1024)  # one unit: what a single reader gives
    assert report.units == 1 and report.rejected == {"duplicate_url": 1, "invalid_json": 1}
    return _dump(out)


def test_local_workers_equal_single_reader(world: Path, single: dict[str, Any], tmp_path: Path) -> None:
    report = ingest([world], tmp_path / "c", workers=2, unit_mb=0.05)
    assert report.units >= 4 and report.workers == 2
    got = _dump(tmp_path / "c")
    # positions of rejects in a byte-range unit are byte offsets, not line numbers
    assert Counter(r for r, _ in got.pop("rejects").elements()) == Counter(r for r, _ in single["rejects"].elements())
    assert got == {k: v for k, v in single.items() if k != "rejects"}
    assert not (tmp_path / "c" / UNITS_DIR).exists()


def test_ray_ingest_equals_single_process(world: Path, single: dict[str, Any], tmp_path: Path, ray_cluster) -> None:
    report = ingest([world], tmp_path / "c", workers=2, unit_mb=0.05, executor="ray")
    assert report.executor == "ray" and report.units >= 4
    got = _dump(tmp_path / "c")
    got.pop("rejects")
    assert got["pages"] == single["pages"]  # ids, urls, titles, texts, languages
    assert Counter(got["links"]) == Counter(single["links"])  # the link multiset (and, here, its order)
    assert got == {k: v for k, v in single.items() if k != "rejects"}


def _multistream(tmp: Path, n: int = 300) -> Path:
    header = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="en" version="0.10">'
        + SITEINFO.format(db="enwiki", lang="en")
    ).encode()

    def pages():
        for i in range(n):
            title = f"Place {i}"
            if i % 10 == 9:
                xml = page_xml(title, "", redirect=f"Place {i - 3}")
            elif i % 25 == 4:
                xml = page_xml(f"Talk:{title}", "talk", ns=1)
            else:
                xml = page_xml(title, f"'''{title}''' is near [[Place {(i * 7) % n}]] and [[Place {i + 1}|the next]].")
            yield i + 1, title, xml.encode()

    path = tmp / "enwiki-pages-articles-multistream.xml.bz2"
    write_multistream(path, header, pages(), pages_per_stream=10)
    return path


def test_multistream_dump_splits_into_page_ranges(tmp_path: Path) -> None:
    dump = _multistream(tmp_path)
    units = plan_units([dump], unit_bytes=1000)
    assert len(units) >= 4 and all("stream_range" in u.options for u in units)
    assert [u.options["stream_range"][3] for u in units].count(True) == 1  # only the last reaches the end
    whole = ingest([dump], tmp_path / "one", unit_mb=1024)
    split = ingest([dump], tmp_path / "many", workers=2, unit_mb=1000 / 2**20)
    assert whole.units == 1 and split.units == len(units)
    assert _dump(tmp_path / "many") == _dump(tmp_path / "one")
    assert split.pages == whole.pages == 300 - 30 - 6 and split.redirects == 30  # redirects, talk pages
    assert split.source_stats == whole.source_stats


def test_killed_ingest_resumes_without_redoing_finished_units(world: Path, single: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "c"
    code = (
        "import sys; from openseeker.corpus.ingest import ingest; "
        f"ingest([{str(world)!r}], {str(out)!r}, unit_mb=0.01)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    units = out / UNITS_DIR
    deadline = time.monotonic() + 120
    while len(list(units.glob("u*/done.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, "the ingest ended before it could be killed"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p.parent.name: orjson.loads(p.read_bytes())["pid"] for p in units.glob("u*/done.json")}
    assert len(done) >= 3 and not (out / "corpus.sqlite").exists()

    report = ingest([world], out, unit_mb=0.01)
    assert report.units_reused >= len(done)
    assert report.units_reused < report.units  # the rest was read now, not before
    got = _dump(out)
    got.pop("rejects")
    assert got == {k: v for k, v in single.items() if k != "rejects"}
    assert not units.exists() and not list(out.glob(".ingest-*"))


def test_a_second_ingest_into_the_same_folder_is_refused(tmp_path: Path, world: Path) -> None:
    out = tmp_path / "c"
    out.mkdir()
    with UnitsFolder(out), pytest.raises(RunLockedError, match="is ingesting into it"):
        ingest([world], out)
