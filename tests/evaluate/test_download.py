"""Downloader: pinned checksums, against a local HTTP server (no network)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from openseeker.errors import ConfigError, DataError
from openseeker.evaluate.benchmarks import get_benchmark
from openseeker.evaluate.benchmarks.base import DataFile
from openseeker.evaluate.download import download_benchmark, fetch


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_fetch_verifies_and_skips_present(server, tmp_path, xbench_csv):
    import httpx

    root, url = server
    (root / "DeepSearch-2505.csv").write_bytes(xbench_csv.read_bytes())
    f = DataFile(
        f"{url}/DeepSearch-2505.csv", "DeepSearch-2505.csv", _sha(xbench_csv), xbench_csv.stat().st_size
    )
    dest = tmp_path / "dest"
    with httpx.Client() as c:
        d = fetch(f, dest, client=c)
        assert d.status == "downloaded" and d.sha256 == f.sha256
        assert (dest / "DeepSearch-2505.csv").read_bytes() == xbench_csv.read_bytes()
        assert fetch(f, dest, client=c).status == "present"
        # an unpinned file is fetched and its checksum reported
        u = fetch(DataFile(f.url, "other.csv"), dest, client=c)
        assert u.status == "unpinned" and u.sha256 == f.sha256


def test_fetch_rejects_bad_checksum_and_404(server, tmp_path):
    import httpx

    root, url = server
    (root / "a.csv").write_text("tampered", encoding="utf-8")
    dest = tmp_path / "dest"
    with httpx.Client() as c:
        with pytest.raises(DataError, match="sha256 mismatch"):
            fetch(DataFile(f"{url}/a.csv", "a.csv", "0" * 64), dest, client=c)
        assert not (dest / "a.csv").exists() and not (dest / "a.csv.part").exists()
        with pytest.raises(DataError, match="HTTP 404"):
            fetch(DataFile(f"{url}/missing.csv", "missing.csv"), dest, client=c)


def test_download_benchmark_from_mirror(server, tmp_path, monkeypatch, bczh_xlsx):
    root, url = server
    bench = get_benchmark("browsecomp-zh")
    pinned = bench.files[0]
    # pin the fixture's checksum in place of the real release (the real file is not served here)
    monkeypatch.setattr(bench, "files", [DataFile(pinned.url, pinned.filename, _sha(bczh_xlsx))])
    (root / pinned.filename).write_bytes(bczh_xlsx.read_bytes())
    out = download_benchmark("browsecomp-zh", tmp_path / "data", mirror=url)
    assert [d.status for d in out] == ["downloaded"]
    assert len(bench.load(tmp_path / "data")) == 3


def test_no_public_download():
    with pytest.raises(ConfigError, match="gated"):
        download_benchmark("hle", "unused")


def test_pinned_urls():
    f = get_benchmark("browsecomp").files[0]
    assert f.url.startswith("https://openaipublic.blob.core.windows.net/") and f.sha256.startswith("7b24471c")
    assert get_benchmark("browsecomp-zh").files[0].sha256.startswith("49963cdc")
