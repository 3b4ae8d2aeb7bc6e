"""A small corpus directory for the tool tests (JSONL pages ingested into a real store and index)."""

from __future__ import annotations

from collections.abc import Iterator
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


def _bwrap_problem() -> str | None:
    """Why the local sandbox cannot run here (``None`` when it can)."""
    import shutil
    import subprocess

    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; scripts/install.sh installs it when run as root"
    try:
        subprocess.run(
            ["bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
             "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--", "/bin/true"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as e:
        return f"bubblewrap cannot create namespaces here (user namespaces disabled?): {e}"
    return None


@pytest.fixture(scope="session")
def bwrap_ok() -> None:
    """Skips the test when bubblewrap cannot run on this machine; fails instead in CI, where
    scripts/install.sh must have installed it (a skip there would hide a broken install)."""
    import os

    problem = _bwrap_problem()
    if problem and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must run the sandbox security tests: {problem}")
    if problem:
        pytest.skip(problem)


@pytest.fixture
def sandbox_cfg(bwrap_ok: None) -> Iterator[object]:
    """Small limits, and sandboxes in a folder of the test's own (sandbox uids must be able to traverse to it,
    which pytest's private tmp folders do not allow)."""
    import shutil
    import tempfile

    from openseeker.tools.config import SandboxConfig

    root = Path(tempfile.mkdtemp(prefix="openseeker-test-sandboxes-"))
    root.chmod(0o711)
    yield SandboxConfig(
        root=str(root),
        timeout_seconds=20,
        cpu_seconds=2,
        memory_mb=256,
        max_processes=16,
        max_output_bytes=50_000,
        max_file_mb=8,
        disk_mb=32,
    )
    shutil.rmtree(root, ignore_errors=True)
