"""WideSearch table scoring: extract the Markdown table, apply per-column rules, row/item P/R/F1.

Follows the published procedure (BENCHMARKS.md §4): normalise column names, drop duplicate keys,
preprocess each column, inner-join on the unique columns, score each cell by the column's metric(s),
``row score = min`` over the row's score cells, and success when the sorted tables are equal or every
P/R/F1 is 1. Two steps of the official scorer need an LLM: ``llm_judge`` columns and the semantic
alignment of key values / column names. With a judge model configured, ``llm_judge`` columns are judged
(batched per column); without one they score 0 and the result is flagged ``lower_bound``. Key and column
alignment is always done by exact match after preprocessing here, so a result that needed semantic
alignment is also flagged ``lower_bound``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from openseeker.evaluate.benchmarks.widesearch import norm_column
from openseeker.llm.base import LLM
from openseeker.llm.structured import parse_json_lenient
from openseeker.llm.types import GenerateConfig
from openseeker.records import Record

Table = list[dict[str, str]]


@dataclass
class TableScore(Record):
    """The scores of one response table."""

    success: float = 0.0
    precision_by_row: float = 0.0
    recall_by_row: float = 0.0
    f1_by_row: float = 0.0
    precision_by_item: float = 0.0
    recall_by_item: float = 0.0
    f1_by_item: float = 0.0
    lower_bound: bool = False
    msg: str = ""
    details: dict[str, Any] = field(default_factory=dict)


# --- table extraction ------------------------------------------------------------------------------
_MD_BLOCK = re.compile(r"```markdown\s*\n(.*?)```", re.S | re.I)
_SEP_CELL = re.compile(r"^:?-{2,}:?$")


def _split_row(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def extract_table(response: str) -> Table | None:
    """The first ```` ```markdown ```` block's table, else the lines containing ``|``; ``None`` if none."""
    m = _MD_BLOCK.search(response or "")
    text = m.group(1) if m else "\n".join(ln for ln in (response or "").splitlines() if "|" in ln)
    lines = [ln for ln in text.splitlines() if "|" in ln]
    rows = [_split_row(ln) for ln in lines]
    rows = [r for r in rows if not all(_SEP_CELL.match(c) for c in r if c)]
    if len(rows) < 1:
        return None
    header = [norm_column(h) for h in rows[0]]
    return [{h: (r[i] if i < len(r) else "") for i, h in enumerate(header)} for r in rows[1:]]


# --- preprocess ------------------------------------------------------------------------------------
_NUM = re.compile(r"-?\d+(?:\.\d+)?%?")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d %B %Y",
    "%B %d, %Y",
    "%B %d %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%Y年%m月%d日",
    "%Y-%m",
    "%B %Y",
    "%Y",
)


def norm_str(x: str) -> str:
    return str(x).lower().strip().replace(" ", "").replace("*", "")


def extract_number(x: str) -> str:
    m = _NUM.search(str(x).replace(",", ""))
    return m.group(0) if m else str(x)


def parse_date(x: str) -> date | None:
    s = str(x).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def norm_date(x: str) -> str:
    d = parse_date(x)
    return d.isoformat() if d else str(x)


PREPROCESS = {"norm_str": norm_str, "extract_number": extract_number, "norm_date": norm_date}


# --- metrics (response, target, criterion) -> 0/1 -------------------------------------------------
def _to_float(x: str) -> float | None:
    s = str(x).strip().replace(",", "")
    pct = s.endswith("%")
    try:
        v = float(s.rstrip("%"))
    except ValueError:
        return None
    return v / 100 if pct else v


def exact_match(r: str, t: str, criterion: Any = None) -> float:
    return float(str(r).strip().lower() == str(t).strip().lower())


def in_match(r: str, t: str, criterion: Any = None) -> float:
    return float(bool(str(r).strip()) and str(r).strip().lower() in str(t).lower())


def _netlocs(x: str) -> set[str]:
    out = set()
    for part in re.split(r"[\s,;]+", str(x)):
        if not part:
            continue
        p = urlparse(part if "://" in part else f"http://{part}")
        if p.netloc:
            out.add(p.netloc.lower().removeprefix("www."))
    return out


def url_match(r: str, t: str, criterion: Any = None) -> float:
    a, b = _netlocs(r), _netlocs(t)
    return float(bool(a) and a == b)


def number_near(r: str, t: str, criterion: Any = None) -> float:
    a, b = _to_float(r), _to_float(t)
    if a is None or b is None:
        return 0.0
    tol = float(criterion) if criterion not in (None, "") else 0.0
    return float(abs(a - b) <= abs(b) * tol)


def date_near(r: str, t: str, criterion: Any = None) -> float:
    a, b = parse_date(r), parse_date(t)
    return float(a is not None and b is not None and abs((a - b).days) <= 31)


METRICS = {
    "exact_match": exact_match,
    "in_match": in_match,
    "url_match": url_match,
    "number_near": number_near,
    "date_near": date_near,
}

_COLUMN_JUDGE = """For each numbered pair below, decide whether the response cell agrees with the reference cell.
Criterion: {criterion}

{pairs}

Reply with only a JSON object mapping each id to 1 (agrees) or 0 (does not), e.g. {{"idx_0": 1, "idx_1": 0}}."""


async def llm_judge_column(
    llm: LLM, responses: list[str], targets: list[str], criterion: str | None
) -> list[float]:
    """Judge one column's cells in a single call; a cell missing from the reply scores 0."""
    if not responses:
        return []
    pairs = "\n".join(
        f"idx_{i}: response={r!r} reference={t!r}"
        for i, (r, t) in enumerate(zip(responses, targets, strict=True))
    )
    prompt = _COLUMN_JUDGE.format(criterion=criterion or "same meaning", pairs=pairs)
    out = await llm.generate(
        [{"role": "user", "content": prompt}],
        config=GenerateConfig(temperature=0.0),
        scope="widesearch-column",
    )
    try:
        data = parse_json_lenient(out.text)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return [
        1.0 if str(data.get(f"idx_{i}", 0)).strip() in ("1", "1.0", "True", "true") else 0.0
        for i in range(len(responses))
    ]


# --- scoring ---------------------------------------------------------------------------------------
def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 1e-9 else 0.0


def _dedupe(table: Table, keys: list[str]) -> Table:
    seen: set[tuple[str, ...]] = set()
    out = []
    for row in table:
        k = tuple(row.get(c, "") for c in keys)
        if k not in seen:
            seen.add(k)
            out.append(row)
    return out


async def score_table(
    response: str, gold: Table, evaluation: dict[str, Any], *, llm: LLM | None = None
) -> TableScore:
    """Score a response against a gold table with the task's ``evaluation`` spec."""
    required = [norm_column(c) for c in evaluation["required"]]
    keys = [norm_column(c) for c in evaluation["unique_columns"]]
    pipeline = {norm_column(k): v for k, v in (evaluation.get("eval_pipeline") or {}).items()}
    pred = extract_table(response)
    if pred is None:
        return TableScore(msg="no table in the response")
    cols = set(pred[0]) if pred else set()
    if set(required) != cols:
        if not set(required) <= cols:
            # The official scorer asks an LLM to map column names; we only match exactly.
            return TableScore(
                lower_bound=True, msg=f"columns {sorted(cols)} do not cover required {required}"
            )
        pred = [{c: row[c] for c in required} for row in pred]
    gold = [{c: str(row.get(c, "")) for c in required} for row in gold]
    pred, gold = _dedupe(pred, keys), _dedupe(gold, keys)
    for col, spec in pipeline.items():
        for name in spec.get("preprocess", []) or []:
            fn = PREPROCESS.get(name)
            if fn is None:
                return TableScore(msg=f"unknown preprocess {name!r}")
            for row in (*pred, *gold):
                if col in row:
                    row[col] = fn(row[col])
    lower_bound = False
    success = 0.0
    if len(pred) == len(gold) and sorted(tuple(r[c] for c in required) for r in pred) == sorted(
        tuple(r[c] for c in required) for r in gold
    ):
        success = 1.0
    gold_by_key = {tuple(r[c] for c in keys): r for r in gold}
    joined = [(p, gold_by_key[k]) for p in pred if (k := tuple(p[c] for c in keys)) in gold_by_key]
    if len(joined) < min(len(pred), len(gold)) and any(
        set(pipeline.get(c, {}).get("metric", [])) & {"llm_judge", "exact_match"} for c in keys
    ):
        lower_bound = True  # unmatched keys the official LLM key alignment might have matched
    # score columns: one per (column, metric); key columns score 1
    score_cols: list[list[float]] = []
    for col in required:
        if col in keys:
            score_cols.append([1.0] * len(joined))
            continue
        spec = pipeline.get(col, {})
        for metric in spec.get("metric", []) or ["exact_match"]:
            if metric == "llm_judge":
                if llm is None:
                    lower_bound = True
                    score_cols.append([0.0] * len(joined))
                else:
                    score_cols.append(
                        await llm_judge_column(
                            llm,
                            [p[col] for p, _ in joined],
                            [g[col] for _, g in joined],
                            spec.get("criterion"),
                        )
                    )
                continue
            mfn = METRICS.get(metric)
            if mfn is None:
                return TableScore(msg=f"unknown metric {metric!r}")
            score_cols.append([mfn(p[col], g[col], spec.get("criterion")) for p, g in joined])
    row_scores = [min(c[i] for c in score_cols) if score_cols else 0.0 for i in range(len(joined))]
    tp_row = sum(row_scores)
    tp_item = sum(sum(c) for c in score_cols)
    n_pred_items, n_gold_items = len(pred) * len(required), len(gold) * len(required)
    p_row = tp_row / len(pred) if pred else 0.0
    r_row = tp_row / len(gold) if gold else 0.0
    p_item = tp_item / n_pred_items if n_pred_items else 0.0
    r_item = tp_item / n_gold_items if n_gold_items else 0.0
    s = TableScore(
        success,
        p_row,
        r_row,
        _f1(p_row, r_row),
        p_item,
        r_item,
        _f1(p_item, r_item),
        lower_bound,
        details={"pred_rows": len(pred), "gold_rows": len(gold), "matched_rows": len(joined)},
    )
    if all(
        v == 1.0
        for v in (
            s.precision_by_row,
            s.recall_by_row,
            s.f1_by_row,
            s.precision_by_item,
            s.recall_by_item,
            s.f1_by_item,
        )
    ):
        s.success = 1.0
    return s
