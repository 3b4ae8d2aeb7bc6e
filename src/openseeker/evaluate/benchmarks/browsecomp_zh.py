"""BrowseComp-ZH: an xlsx sheet ``Topic | Question | Answer | canary`` (BrowseComp scheme, password per row).

The *revised* release encrypts every column; :func:`read_revised` decrypts each cell of every column but
the canary (an ``id`` column too, when there is one). Header names are matched case-insensitively.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openseeker.errors import DataError, PrerequisiteError
from openseeker.evaluate.benchmarks.base import BenchmarkItem, DataFile
from openseeker.evaluate.benchmarks.crypto import decrypt_browsecomp

COMMIT = "86abe635e7deef89ec00c68ff1c2588f0e2f2099"
FILE = DataFile(
    f"https://raw.githubusercontent.com/PALIN2018/BrowseComp-ZH/{COMMIT}/data/browsecomp-zh-encrypted.xlsx",
    "browsecomp-zh-encrypted.xlsx",
    "49963cdc8b4a16f4656bbac89ed5f3495f7b3bec4cf310990f567e7893c6a531",
    87_878,
)
ROWS = 289
PASSWORD = "BrowseComp-ZH"


def _rows(path: Path) -> list[tuple[Any, ...]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a core dependency
        raise PrerequisiteError("reading BrowseComp-ZH needs openpyxl: pip install openpyxl") from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several unrelated types for a damaged file
        raise DataError(f"not a readable xlsx workbook ({e})", path=str(path)) from None
    try:
        ws = wb[wb.sheetnames[0]]
        return [r for r in ws.iter_rows(values_only=True) if any(c not in (None, "") for c in r)]
    finally:
        wb.close()


def _read(path: Path, encrypted: set[str] | None) -> list[BenchmarkItem]:
    rows = _rows(path)
    if not rows:
        raise DataError("empty sheet", path=str(path))
    header = [str(h or "").strip().lower() for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}
    for need in ("question", "answer"):
        if need not in col:
            raise DataError(f"missing column {need!r} (have {rows[0]})", path=str(path))
    items: list[BenchmarkItem] = []
    for n, row in enumerate(rows[1:], 1):
        password = str(row[col["canary"]]) if "canary" in col and row[col["canary"]] else PASSWORD
        values: dict[str, str] = {}
        for name, i in col.items():
            if name == "canary" or i >= len(row):
                continue
            cell = "" if row[i] is None else str(row[i])
            if cell and (encrypted is None or name in encrypted):
                try:
                    cell = decrypt_browsecomp(cell, password)
                except ValueError as e:
                    raise DataError(
                        f"cannot decrypt column {name!r}: {e}", path=str(path), position=f"sheet row {n + 1}"
                    ) from None
            values[name] = cell
        items.append(
            BenchmarkItem(
                values.get("id") or str(n),
                values["question"],
                values["answer"],
                topic=values.get("topic", ""),
                lang="zh",
            )
        )
    return items


def read(path: Path) -> list[BenchmarkItem]:
    """The original release: Topic, Question and Answer encrypted; ids are the 1-based row numbers."""
    return _read(path, {"topic", "question", "answer"})


def read_revised(path: Path) -> list[BenchmarkItem]:
    """The revised release: every column except ``canary`` encrypted."""
    return _read(path, None)
