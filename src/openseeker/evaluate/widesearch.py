"""WideSearch table scoring: extract the Markdown table, apply per-column rules, row/item P/R/F1.

Follows the published procedure (BENCHMARKS.md §4): normalise column names, map mismatched column names
(LLM), drop duplicate keys, align key values to the gold vocabulary (LLM), preprocess each column,
inner-join on the unique columns, score each cell by the column's metric(s), ``row score = min`` over the
row's score cells, and success when the sorted tables are equal or every P/R/F1 is 1.

Three steps of the official scorer need an LLM (the ``llm`` argument, normally the judge role):

* column mapping (step 3): when the response lacks required columns, the LLM maps its headers onto the
  required names (:func:`map_columns`); still missing afterwards -> score 0 with a message;
* key alignment (step 5): key columns scored by ``exact_match``/``llm_judge`` get their response values
  aligned to the gold values (:func:`align_key_values`) before the join;
* ``llm_judge`` columns, judged in one call per column.

Without an LLM every step is exact and deterministic, and a result that one of them could have changed is
flagged ``lower_bound``. When an LLM step fails (unusable output after re-asks), the failure is recorded in
``TableScore.llm_errors``, that step falls back to the exact behaviour and the result is flagged
``lower_bound``; nothing is guessed. Transient transport errors (timeouts, rate limits, server errors) are
raised instead, so the evaluation stage retries the item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from openseeker.errors import LLMError
from openseeker.evaluate.benchmarks import widesearch as ws_data
from openseeker.evaluate.benchmarks.base import Benchmark, BenchmarkItem, Scored
from openseeker.evaluate.benchmarks.widesearch import norm_column
from openseeker.evaluate.widesearch_llm import (
    NameMapping,
    align_key_values,
    is_zh,
    map_columns,
)
from openseeker.judge.verdict import Verdict
from openseeker.llm.base import LLM
from openseeker.llm.structured import parse_json_lenient
from openseeker.llm.types import GenerateConfig
from openseeker.records import Record

Table = list[dict[str, str]]

__all__ = [
    "METRICS",
    "PREPROCESS",
    "NameMapping",
    "Table",
    "TableScore",
    "align_key_values",
    "date_near",
    "exact_match",
    "extract_number",
    "extract_table",
    "in_match",
    "llm_judge_column",
    "map_columns",
    "norm_date",
    "norm_str",
    "number_near",
    "parse_date",
    "score_table",
    "url_match",
]


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
    llm_errors: list[str] = field(default_factory=list)


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
    scores, _ = await _judge_column(llm, responses, targets, criterion)
    return scores


async def _judge_column(
    llm: LLM, responses: list[str], targets: list[str], criterion: str | None
) -> tuple[list[float], str | None]:
    """:func:`llm_judge_column` plus an error text when the reply held no usable JSON object."""
    if not responses:
        return [], None
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
    error = None
    try:
        data = parse_json_lenient(out.text)
    except ValueError as e:
        data, error = {}, f"llm_judge reply is not JSON ({e})"
    if not isinstance(data, dict):
        data, error = {}, error or "llm_judge reply is not a JSON object"
    scores = [
        1.0 if str(data.get(f"idx_{i}", 0)).strip() in ("1", "1.0", "True", "true") else 0.0
        for i in range(len(responses))
    ]
    return scores, error


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


def _preprocess(pipeline: dict[str, Any], col: str, value: str) -> str:
    for name in pipeline.get(col, {}).get("preprocess", []) or []:
        value = PREPROCESS[name](value)
    return value


async def _map_pred_columns(
    llm: LLM, pred: Table, cols: set[str], required: list[str], zh: bool, out: TableScore
) -> Table | None:
    """Step 3 with an LLM: the renamed table, or ``None`` (with ``out`` filled) when it failed."""
    try:
        mapping, rejected = await map_columns(llm, sorted(cols), required, zh=zh)
    except LLMError as e:
        if e.retryable:
            raise  # transport trouble says nothing about the answer: let the stage retry the item
        out.llm_errors.append(f"column mapping: {e}")
        out.lower_bound = True
        out.msg = f"column mapping failed ({type(e).__name__}); columns {sorted(cols)} != required {required}"
        return None
    out.details["column_mapping"] = {"mapping": mapping, "rejected": rejected}
    return [{mapping.get(c, c): v for c, v in row.items()} for row in pred]


async def _align_keys(
    llm: LLM,
    pred: Table,
    gold: Table,
    cols: list[str],
    pipeline: dict[str, Any],
    zh: bool,
    out: TableScore,
) -> None:
    """Step 5: rewrite ``pred``'s values in the key columns ``cols`` to the gold values they denote."""
    for col in cols:
        # Values that already meet after preprocessing need no model; ask only about the rest.
        gold_seen = {_preprocess(pipeline, col, r[col]) for r in gold}
        pred_seen = {_preprocess(pipeline, col, r[col]) for r in pred}
        open_pred = sorted({r[col] for r in pred if _preprocess(pipeline, col, r[col]) not in gold_seen})
        open_gold = sorted({r[col] for r in gold if _preprocess(pipeline, col, r[col]) not in pred_seen})
        if not open_pred or not open_gold:
            continue
        try:
            mapping, rejected = await align_key_values(llm, col, open_pred, open_gold, zh=zh)
        except LLMError as e:
            if e.retryable:
                raise
            out.llm_errors.append(f"key alignment of {col!r}: {e}")
            out.lower_bound = True  # unaligned keys may hide matches the official scorer would find
            continue
        out.details.setdefault("key_alignment", {})[col] = {"mapping": mapping, "rejected": rejected}
        for row in pred:
            row[col] = mapping.get(row[col], row[col])


async def score_table(
    response: str,
    gold: Table,
    evaluation: dict[str, Any],
    *,
    llm: LLM | None = None,
    lang: str | None = None,
) -> TableScore:
    """Score a response against a gold table with the task's ``evaluation`` spec.

    Args:
        response: the agent's final response (the table is extracted from it).
        gold: the gold rows, keyed by normalised column names.
        evaluation: the task's ``unique_columns``, ``required`` and ``eval_pipeline``.
        llm: the model for column mapping, key alignment and ``llm_judge`` columns; ``None`` scores every
            step exactly and flags results those steps could have changed as ``lower_bound``.
        lang: ``"zh"`` or ``"en"`` for the LLM prompts; detected from the column names and gold values when
            ``None``.

    Returns:
        The scores; LLM step outcomes are in ``details`` and their failures in ``llm_errors``.
    """
    required = [norm_column(c) for c in evaluation["required"]]
    keys = [norm_column(c) for c in evaluation["unique_columns"]]
    pipeline = {norm_column(k): v for k, v in (evaluation.get("eval_pipeline") or {}).items()}
    for spec in pipeline.values():
        for name in spec.get("preprocess", []) or []:
            if name not in PREPROCESS:
                return TableScore(msg=f"unknown preprocess {name!r}")
    pred = extract_table(response)
    if pred is None:
        return TableScore(msg="no table in the response")
    zh = is_zh(lang, [*required, *(r.get(k, "") for r in gold[:20] for k in keys)])
    result = TableScore()
    cols = set(pred[0]) if pred else set()
    if not set(required) <= cols:
        if llm is None or not cols:
            # The official scorer asks an LLM to map column names; without one we only match exactly.
            return TableScore(
                lower_bound=True, msg=f"columns {sorted(cols)} do not cover required {required}"
            )
        mapped = await _map_pred_columns(llm, pred, cols, required, zh, result)
        if mapped is None:
            return result
        pred, cols = mapped, set(mapped[0])
        if not set(required) <= cols:
            result.msg = f"columns {sorted(cols)} do not cover required {required} after LLM column mapping"
            return result
    pred = [{c: row[c] for c in required} for row in pred]
    gold = [{c: str(row.get(c, "")) for c in required} for row in gold]
    pred, gold = _dedupe(pred, keys), _dedupe(gold, keys)
    align_cols = [
        c for c in keys if set(pipeline.get(c, {}).get("metric", []) or []) & {"llm_judge", "exact_match"}
    ]
    if llm is not None and align_cols and pred and gold:
        await _align_keys(llm, pred, gold, align_cols, pipeline, zh, result)
        # Two response rows aligned onto one gold key would both join; keep the first, as the dedupe does.
        pred = _dedupe(pred, keys)
    for col in pipeline:
        for row in (*pred, *gold):
            if col in row:
                row[col] = _preprocess(pipeline, col, row[col])
    lower_bound = result.lower_bound
    success = 0.0
    if len(pred) == len(gold) and sorted(tuple(r[c] for c in required) for r in pred) == sorted(
        tuple(r[c] for c in required) for r in gold
    ):
        success = 1.0
    gold_by_key = {tuple(r[c] for c in keys): r for r in gold}
    joined = [(p, gold_by_key[k]) for p in pred if (k := tuple(p[c] for c in keys)) in gold_by_key]
    if llm is None and len(joined) < min(len(pred), len(gold)) and align_cols:
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
                    scores, err = await _judge_column(
                        llm, [p[col] for p, _ in joined], [g[col] for _, g in joined], spec.get("criterion")
                    )
                    if err is not None:
                        result.llm_errors.append(f"llm_judge of {col!r}: {err}")
                        lower_bound = True
                    score_cols.append(scores)
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
        details={
            **result.details,
            "pred_rows": len(pred),
            "gold_rows": len(gold),
            "matched_rows": len(joined),
        },
        llm_errors=result.llm_errors,
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


async def score_item(item: BenchmarkItem, response: str, llm: LLM | None) -> Scored:
    """WideSearch's own scoring of one response (its benchmark object's ``score``): success is a verdict."""
    before = llm.usage if llm is not None else None
    ts = await score_table(response, item.meta["gold"], item.meta["evaluation"], llm=llm, lang=item.lang)
    verdict = Verdict(
        ts.success == 1.0, judge=llm.name if llm else "rules", prompt_version="widesearch-rules/v1", method="table"
    )
    usage: dict[str, int] = {}
    if llm is not None and before is not None:
        usage = {
            "prompt_tokens": llm.usage.prompt_tokens - before.prompt_tokens,
            "completion_tokens": llm.usage.completion_tokens - before.completion_tokens,
        }
    return Scored(verdict, ts.to_dict(), usage)


WIDESEARCH = Benchmark(
    "widesearch",
    ws_data.read,
    "table",
    "en",
    ws_data.FILES,
    "widesearch.jsonl",
    score=score_item,
    blocklist=("huggingface.co/datasets/ByteDance-Seed/WideSearch*",),
)
"""WideSearch: table-filling tasks scored by their tables, not by a judge."""
