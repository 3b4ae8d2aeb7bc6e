"""BrowseComp-ZH: the original release (an xlsx sheet ``Topic | Question | Answer | canary``) and the
revised release (a CSV; AGI-Eval-Official/BrowseComp-ZH-revised), both in the BrowseComp scheme with the
password in each row's ``canary``.

The revised CSV's header is ``"Unnamed: 0",raw_problem,raw_answer,tag,reason,answer,answer_diff,canary``;
every column but ``canary`` is encrypted (the pandas index and ``answer_diff`` too), and an empty cell is
empty. Items are graded against ``answer`` (the corrected answer); ``raw_answer``, ``answer_diff`` (24 of
289 rows changed), ``tag`` and ``reason`` are kept in ``meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openseeker.errors import DataError, PrerequisiteError
from openseeker.evaluate.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    DataFile,
    check_plausible,
    iter_csv_rows,
    pinned,
)
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

REVISED_COMMIT = "46ea5b74a335e03a85b228104dc7338460a98be8"
REVISED_FILE = DataFile(
    f"https://raw.githubusercontent.com/AGI-Eval-Official/BrowseComp-ZH-revised/{REVISED_COMMIT}/data/"
    "browsecomp-zh-encrypted.csv",
    "browsecomp-zh-encrypted.csv",
    "77c4f04abfafac30780e49bbb36f434287eeb4d4000ed0323c9a30eec1e97e3c",
    135_580,
)
REVISED_ROWS = 289
REVISED_COLUMNS = ("raw_problem", "raw_answer", "tag", "reason", "answer", "answer_diff", "canary")


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


def read(path: Path) -> list[BenchmarkItem]:
    """The original release: Topic, Question and Answer encrypted; ids are the 1-based row numbers."""
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
        for name in ("topic", "question", "answer"):
            i = col.get(name)
            cell = "" if i is None or i >= len(row) or row[i] is None else str(row[i])
            try:
                values[name] = decrypt_browsecomp(cell, password) if cell else ""
            except ValueError as e:
                raise DataError(
                    f"cannot decrypt column {name!r} with the row's canary: {e}",
                    path=str(path),
                    position=f"sheet row {n + 1}",
                ) from None
        items.append(
            BenchmarkItem(str(n), values["question"], values["answer"], topic=values["topic"], lang="zh")
        )
    check_plausible([it.question for it in items], others=[it.answer for it in items], path=path, lang="zh")
    return items


def read_revised(path: Path) -> list[BenchmarkItem]:
    """The revised release (a CSV, see the module docstring); ids are the decrypted pandas index."""
    if path.suffix.lower() != ".csv":
        raise DataError(
            "the revised BrowseComp-ZH release is a CSV (data/browsecomp-zh-encrypted.csv of "
            "AGI-Eval-Official/BrowseComp-ZH-revised); for the original xlsx use -b browsecomp-zh",
            path=str(path),
        )
    items: list[BenchmarkItem] = []
    for n, row in iter_csv_rows(path, REVISED_COLUMNS):
        password = row.get("canary") or ""
        if not password:
            raise DataError("the row has no canary (the password)", path=str(path), position=f"data row {n}")
        values: dict[str, str] = {}
        for name, cell in row.items():
            if name in (None, "canary"):
                continue
            try:
                values[name] = decrypt_browsecomp(cell, password) if cell else ""
            except ValueError as e:
                raise DataError(
                    f"cannot decrypt column {name!r} with the row's canary {password!r}: {e}",
                    path=str(path),
                    position=f"data row {n}",
                ) from None
        diff = values.get("answer_diff", "")
        if diff not in ("True", "False", ""):
            raise DataError(
                f"answer_diff decrypts to {diff[:20]!r}, not True/False: the canary is wrong for this file",
                path=str(path),
                position=f"data row {n}",
            )
        items.append(
            BenchmarkItem(
                values.get("Unnamed: 0") or str(n - 1),
                values["raw_problem"],
                values["answer"],
                lang="zh",
                meta={
                    "raw_answer": values["raw_answer"],
                    "answer_diff": diff == "True",
                    "tag": values["tag"],
                    "reason": values["reason"],
                },
            )
        )
    check_plausible(
        [it.question for it in items],
        others=[t for it in items for t in (it.answer, it.meta["raw_answer"], it.meta["reason"])],
        path=path,
        lang="zh",
    )
    return items


_HINTS = ("github.com/palin2018/browsecomp-zh*", "huggingface.co/datasets/*browsecomp*")
BROWSECOMP_ZH = Benchmark(
    "browsecomp-zh", pinned(read, ROWS, FILE), "browsecomp", "zh", [FILE], FILE.filename, blocklist=_HINTS
)
BROWSECOMP_ZH_REVISED = Benchmark(
    "browsecomp-zh-revised",
    pinned(read_revised, REVISED_ROWS, REVISED_FILE),
    "browsecomp",
    "zh",
    [REVISED_FILE],
    REVISED_FILE.filename,
    blocklist=_HINTS,
)
