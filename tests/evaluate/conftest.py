"""Shared fixtures: encrypted benchmark files generated on the fly (never plaintext on disk)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from openseeker.evaluate.benchmarks.crypto import encrypt_browsecomp, encrypt_xbench

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "benchmarks"
BC_CANARY = "BENCHMARK DATA SHOULD NEVER APPEAR AS PLAIN TEXT ONLINE. canary GUID test:0000"
XB_CANARY = "BENCHMARK DATA SHOULD NEVER APPEAR AS PLAIN TEXT ONLINE. canary GUID xbench-test:1111"

QA = [
    ("Which city hosted the 1992 Summer Olympics?", "Barcelona", "Sports"),
    ("Who wrote 'Dream of the Red Chamber'?", "曹雪芹", "Art"),
    ("In which year did the Berlin Wall fall?", "1989", "History"),
]


@pytest.fixture
def bc_csv(tmp_path: Path) -> Path:
    p = tmp_path / "browse_comp_test_set.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["problem", "answer", "problem_topic", "canary"])
        for q, a, t in QA:
            w.writerow([encrypt_browsecomp(q, BC_CANARY), encrypt_browsecomp(a, BC_CANARY), t, BC_CANARY])
    return p


@pytest.fixture
def bczh_xlsx(tmp_path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Topic", "Question", "Answer", "canary"])
    for q, a, t in QA:
        ws.append(
            [
                encrypt_browsecomp(t, "BrowseComp-ZH"),
                encrypt_browsecomp(q, "BrowseComp-ZH"),
                encrypt_browsecomp(a, "BrowseComp-ZH"),
                "BrowseComp-ZH",
            ]
        )
    p = tmp_path / "browsecomp-zh-encrypted.xlsx"
    wb.save(p)
    return p


@pytest.fixture
def xbench_csv(tmp_path: Path) -> Path:
    p = tmp_path / "DeepSearch-2505.csv"
    with open(p, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "prompt", "answer", "reference_steps", "canary"])
        for i, (q, a, _t) in enumerate(QA, 1):
            w.writerow(
                [
                    i,
                    encrypt_xbench(q, XB_CANARY),
                    encrypt_xbench(a, XB_CANARY),
                    encrypt_xbench("1. search", XB_CANARY),
                    XB_CANARY,
                ]
            )
    return p


@pytest.fixture
def qa_jsonl(tmp_path: Path) -> Path:
    p = tmp_path / "qa.jsonl"
    with open(p, "w", encoding="utf-8") as fh:
        for i, (q, a, t) in enumerate(QA):
            fh.write(
                json.dumps({"id": f"q{i}", "question": q, "answer": a, "topic": t}, ensure_ascii=False) + "\n"
            )
    return p


@pytest.fixture
def qa_rows() -> list[tuple[str, str, str]]:
    return list(QA)


@pytest.fixture
def bench_dir() -> Path:
    """``../shared/data/benchmarks``; skips the test when absent."""
    if not SHARED.exists():
        pytest.skip(reason="../shared/data/benchmarks not present")
    return SHARED


def eval_requests(llm) -> list:
    """The requests a scripted judge got for evaluation proper, without those of its calibration (which
    every run makes first, on the built-in labelled set)."""
    from openseeker.judge.calibration import load_set

    triples = [(it.question, it.gold, it.response) for it in load_set()[1]]

    def calibration(text: str) -> bool:
        return any(q in text and g in text and r in text for q, g, r in triples)

    return [r for r in llm.requests if not calibration(str(r.messages[-1].get("content", "")))]
