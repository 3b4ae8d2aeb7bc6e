"""xbench-DeepSearch (2505, 2510): CSV ``id,prompt,answer,reference_steps,canary``; XOR with the canary bytes."""

from __future__ import annotations

from pathlib import Path

from openseeker.errors import DataError
from openseeker.evaluate.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    DataFile,
    check_plausible,
    iter_csv_rows,
    pinned,
)
from openseeker.evaluate.benchmarks.crypto import decrypt_xbench

COMMIT = "17c562192cc7e62215bfb98b65e9f8806fb95504"
_RAW = f"https://raw.githubusercontent.com/xbench-ai/xbench-evals/{COMMIT}/data"
FILE_2505 = DataFile(
    f"{_RAW}/DeepSearch-2505.csv",
    "DeepSearch-2505.csv",
    "10bdb81321e3d919c052c2c9a7095868d8bc9036f719fb25d9223043aa28c118",
    84_004,
)
# Not checked by us yet: the download is accepted unpinned and its sha256 is printed.
FILE_2510 = DataFile(f"{_RAW}/DeepSearch-2510.csv", "DeepSearch-2510.csv", None)
ROWS_2505 = 100


def read(path: Path) -> list[BenchmarkItem]:
    """Read and decrypt (in memory). ``reference_steps`` are kept in ``meta`` for analysis only; the
    runner never shows them to the agent nor writes them out."""
    items: list[BenchmarkItem] = []
    for n, row in iter_csv_rows(path, ("id", "prompt", "answer", "canary")):
        canary = row["canary"] or ""
        try:
            prompt = decrypt_xbench(row["prompt"], canary)
            answer = decrypt_xbench(row["answer"], canary)
            steps = decrypt_xbench(row["reference_steps"], canary) if row.get("reference_steps") else ""
        except ValueError as e:
            raise DataError(
                f"cannot decrypt with the row's canary: {e}", path=str(path), position=f"data row {n}"
            ) from None
        items.append(
            BenchmarkItem(
                str(row["id"]).strip() or str(n),
                prompt,
                answer,
                lang="zh",
                meta={"reference_steps": steps},
            )
        )
    check_plausible([it.question for it in items], others=[it.answer for it in items], path=path, lang="zh")
    return items


_HINTS = ("github.com/xbench-ai/xbench-evals*", "huggingface.co/datasets/*xbench*")
XBENCH = Benchmark(
    "xbench-deepsearch", pinned(read, ROWS_2505, FILE_2505), "xbench", "zh", [FILE_2505], FILE_2505.filename,
    blocklist=_HINTS,
)
XBENCH_2505 = Benchmark(
    "xbench-deepsearch-2505", pinned(read, ROWS_2505, FILE_2505), "xbench", "zh", [FILE_2505], FILE_2505.filename,
    blocklist=_HINTS,
)
XBENCH_2510 = Benchmark(
    "xbench-deepsearch-2510", read, "xbench", "zh", [FILE_2510], FILE_2510.filename, blocklist=_HINTS
)
