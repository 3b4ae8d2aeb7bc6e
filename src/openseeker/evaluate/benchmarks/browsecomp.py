"""BrowseComp (openai/simple-evals): CSV ``problem,answer,problem_topic,canary``; SHA-256-key XOR per row."""

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
from openseeker.evaluate.benchmarks.crypto import decrypt_browsecomp

URL = "https://openaipublic.blob.core.windows.net/simple-evals/browse_comp_test_set.csv"
FILE = DataFile(
    URL,
    "browse_comp_test_set.csv",
    "7b24471cd5b3eb2a46830a14802b5c029ea62f488ff75a0f88af7923d1454abf",
    1_196_283,
)
ROWS = 1266
REQUIRED = ("problem", "answer", "canary")


def read(path: Path) -> list[BenchmarkItem]:
    """Read and decrypt (in memory) a BrowseComp CSV. Ids are the 1-based row numbers."""
    items: list[BenchmarkItem] = []
    for n, row in iter_csv_rows(path, REQUIRED):
        canary = row["canary"] or ""
        try:
            question = decrypt_browsecomp(row["problem"], canary)
            answer = decrypt_browsecomp(row["answer"], canary)
        except ValueError as e:
            raise DataError(
                f"cannot decrypt with the row's canary: {e}", path=str(path), position=f"data row {n}"
            ) from None
        items.append(BenchmarkItem(str(n), question, answer, topic=row.get("problem_topic") or "", lang="en"))
    check_plausible([it.question for it in items], others=[it.answer for it in items], path=path, lang="en")
    return items


BROWSECOMP = Benchmark(
    "browsecomp",
    pinned(read, ROWS, FILE),
    "browsecomp",
    "en",
    [FILE],
    FILE.filename,
    blocklist=("github.com/openai/simple-evals*", "kaggle.com/*browsecomp*", "huggingface.co/datasets/*browsecomp*"),
)
