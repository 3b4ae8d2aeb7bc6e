"""Download a benchmark's public files with pinned checksums.

Files are streamed to ``<name>.part``, hashed while they arrive, and renamed into place only when the
SHA-256 (and size, where pinned) match; a mismatch removes the partial file and raises
:class:`~openseeker.errors.DataError`. A file already present with the right checksum is not fetched
again. The files stay encrypted on disk: loaders decrypt in memory.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx

from openseeker.errors import ConfigError, DataError
from openseeker.evaluate.benchmarks.base import DataFile, get_benchmark, sha256_file

log = logging.getLogger(__name__)


@dataclass
class Downloaded:
    """The outcome for one file: ``status`` is ``downloaded``, ``present`` or ``unpinned`` (fetched, no
    checksum to compare with; the computed one is in ``sha256``)."""

    path: Path
    status: str
    sha256: str
    size: int


def fetch(file: DataFile, dest: Path, *, client: httpx.Client, force: bool = False) -> Downloaded:
    """Fetch one file into ``dest`` and verify it."""
    target = dest / file.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not force and file.sha256 is not None:
        digest = sha256_file(target)
        if digest == file.sha256:
            return Downloaded(target, "present", digest, target.stat().st_size)
        log.warning("%s: checksum differs from the pinned one; downloading again", target)
    part = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    size = 0
    try:
        with client.stream("GET", file.url) as resp:
            if resp.status_code != 200:
                raise DataError(f"HTTP {resp.status_code} from {file.url}", path=str(target))
            with open(part, "wb") as fh:
                for chunk in resp.iter_bytes():
                    fh.write(chunk)
                    h.update(chunk)
                    size += len(chunk)
    except httpx.HTTPError as e:
        part.unlink(missing_ok=True)
        raise DataError(f"download of {file.url} failed ({e})", path=str(target)) from None
    except DataError:
        part.unlink(missing_ok=True)
        raise
    digest = h.hexdigest()
    if file.sha256 is not None and digest != file.sha256:
        part.unlink(missing_ok=True)
        raise DataError(
            f"sha256 mismatch for {file.url}: expected {file.sha256}, got {digest}", path=str(target)
        )
    if file.size is not None and size != file.size:
        part.unlink(missing_ok=True)
        raise DataError(
            f"size mismatch for {file.url}: expected {file.size} bytes, got {size}", path=str(target)
        )
    part.replace(target)
    return Downloaded(target, "downloaded" if file.sha256 else "unpinned", digest, size)


def download_benchmark(
    name: str,
    dest: str | Path,
    *,
    mirror: str | None = None,
    force: bool = False,
    timeout: float = 120.0,
    client: httpx.Client | None = None,
) -> list[Downloaded]:
    """Download every public file of benchmark ``name`` into ``dest``.

    Args:
        name: a registered benchmark with public files (``browsecomp``, ``browsecomp-zh``,
            ``xbench-deepsearch``, ``xbench-deepsearch-2510``, ``widesearch``).
        dest: the folder (pass it later as ``--data``).
        mirror: a base URL replacing the origin; files are fetched from ``<mirror>/<filename>``
            (checksums still apply).
        force: fetch even when a verified copy is present.
        timeout: per-request timeout in seconds.
        client: an ``httpx.Client`` to use (tests).
    """
    bench = get_benchmark(name)
    files = list(getattr(bench, "files", []))
    if not files:
        raise ConfigError(
            f"Benchmark {name!r} has no public download (HLE is gated: download it from Hugging Face "
            f"yourself and pass --data FILE)."
        )
    if mirror:
        files = [DataFile(f"{mirror.rstrip('/')}/{f.filename}", f.filename, f.sha256, f.size) for f in files]
    own = client is None
    cl = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        return [fetch(f, Path(dest), client=cl, force=force) for f in files]
    finally:
        if own:
            cl.close()
