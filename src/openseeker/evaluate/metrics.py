"""Evaluation metrics: accuracy (both conventions), avg@k / pass@k, calibration, table scores, usage, cost.

All functions take plain values (``True``/``False``/``None`` verdicts, floats) so they can be checked by
hand; :func:`summarize` applies them to a run's per-item records.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def accuracy(verdicts: Iterable[bool | None]) -> dict[str, Any]:
    """Accuracy two ways: ``acc`` counts unparsed (``None``) as wrong (N = all items, as HLE and the
    official graders do); ``acc_parsed`` excludes them (correct / (correct + wrong), as OpenSeeker did).
    ``ci95`` is HLE's Wald interval half-width on ``acc`` (in the same 0-1 units)."""
    v = list(verdicts)
    correct = sum(1 for x in v if x is True)
    wrong = sum(1 for x in v if x is False)
    unparsed = sum(1 for x in v if x is None)
    n = len(v)
    acc = correct / n if n else 0.0
    return {
        "n": n,
        "correct": correct,
        "wrong": wrong,
        "unparsed": unparsed,
        "acc": acc,
        "acc_parsed": correct / (correct + wrong) if correct + wrong else 0.0,
        "ci95": 1.96 * math.sqrt(acc * (1 - acc) / n) if n else 0.0,
    }


def official_accuracy(labels: Iterable[str | None]) -> dict[str, Any]:
    """Accuracy as the official OpenSeeker ``eval.py`` counts it, from each verdict's ``official`` label:
    ``A`` correct, ``B`` wrong, ``unknown`` left out of the denominator; ``acc`` = correct / (correct +
    wrong). Verdicts the convention does not cover (``None``: exact-match or rules verdicts, other judge
    styles) are counted as ``not_applicable``; when there is any, ``acc`` is ``None`` rather than a number
    the official script would never have produced."""
    c = Counter("n/a" if x is None else x for x in labels)
    correct, wrong, unknown, na = c["A"], c["B"], c["unknown"], c["n/a"]
    acc = correct / (correct + wrong) if correct + wrong and not na else None
    return {"correct": correct, "wrong": wrong, "unknown": unknown, "not_applicable": na, "acc": acc}


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples of which ``c`` are correct: 1 - C(n-c, k) / C(n, k)."""
    if k > n:
        raise ValueError(f"k={k} exceeds the {n} samples")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def sample_metrics(per_item: Mapping[str, Sequence[bool | None]]) -> dict[str, Any]:
    """avg@k, pass@k (any of the k samples correct) and majority-correct over items with k samples each
    (unparsed counts as wrong). ``k`` is the smallest sample count among items."""
    if not per_item:
        return {"k": 0, "avg_at_k": 0.0, "pass_at_k": 0.0, "items": 0}
    k = min(len(s) for s in per_item.values())
    avg = [sum(1 for x in s if x is True) / len(s) for s in per_item.values()]
    out: dict[str, Any] = {
        "k": k,
        "items": len(per_item),
        "avg_at_k": sum(avg) / len(avg),
        "pass_at_k": sum(1 for s in per_item.values() if any(x is True for x in s)) / len(per_item),
    }
    if k > 1:
        out["pass_at_1_unbiased"] = statistics.fmean(
            pass_at_k(len(s), sum(1 for x in s if x is True), 1) for s in per_item.values()
        )
    return out


def hle_calib_err(
    confidence: Sequence[float],
    correct: Sequence[bool],
    *,
    beta: int = 100,
    p: str = "2",
    include_last_bin: bool = False,
) -> dict[str, Any]:
    """HLE's calibration error (adaptive bins of ``beta`` items sorted by confidence).

    ``confidence`` is in [0, 1]. There are ``len // beta`` bins; the last absorbs the remainder. The
    upstream loop skips the last bin: that is reproduced by default for comparable numbers, and
    ``include_last_bin=True`` scores every bin. ``p`` is ``"2"`` (RMS), ``"1"`` or ``"infty"``. Returns the
    error in % (rounded to 2 decimals) and ``insufficient`` when there are fewer than ``beta`` items
    (error 0, as BrowseComp-Plus reports).
    """
    n = len(confidence)
    if n != len(correct):
        raise ValueError("confidence and correct differ in length")
    base = {"beta": beta, "p": p, "include_last_bin": include_last_bin, "n": n}
    if n < beta:
        return {**base, "calib_err": 0.0, "insufficient": True}
    order = sorted(range(n), key=lambda i: confidence[i])
    conf = [float(confidence[i]) for i in order]
    corr = [float(bool(correct[i])) for i in order]
    bins = [[i * beta, (i + 1) * beta] for i in range(n // beta)]
    bins[-1][1] = n
    used = bins if include_last_bin else bins[:-1]
    err = 0.0
    for lo, hi in used:
        d = abs(statistics.fmean(conf[lo:hi]) - statistics.fmean(corr[lo:hi]))
        if p == "2":
            err += (hi - lo) / n * d * d
        elif p == "1":
            err += (hi - lo) / n * d
        else:
            err = max(err, d)
    if p == "2":
        err = math.sqrt(err)
    return {**base, "calib_err": round(100 * err, 2), "insufficient": False}


def bczh_calib_err(confidence: Sequence[float | None], correct: Sequence[bool]) -> dict[str, Any]:
    """BrowseComp-ZH's calibration error: 5 fixed bins on the 0-100 confidence ([0,20) ... [80,101)),
    Σ (n_bin / N) · |accuracy_bin − mean_confidence_bin|, in %. A missing confidence counts as 0."""
    n = len(confidence)
    if n != len(correct):
        raise ValueError("confidence and correct differ in length")
    if n == 0:
        return {"calib_err": 0.0, "bins": []}
    edges = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]
    err = 0.0
    bins = []
    for lo, hi in edges:
        idx = [i for i in range(n) if lo <= (confidence[i] or 0) < hi]
        if not idx:
            bins.append({"range": [lo, hi], "n": 0})
            continue
        acc = sum(1 for i in idx if correct[i]) / len(idx)
        mc = statistics.fmean((confidence[i] or 0) / 100 for i in idx)
        err += len(idx) / n * abs(acc - mc)
        bins.append({"range": [lo, hi], "n": len(idx), "acc": acc, "mean_conf": mc})
    return {"calib_err": round(100 * err, 2), "bins": bins}


def describe(values: Sequence[float]) -> dict[str, float]:
    """Mean, median, min, max of a list (zeros when empty)."""
    if not values:
        return {"mean": 0.0, "median": 0.0, "min": 0.0, "max": 0.0}
    return {
        "mean": statistics.fmean(values),
        "median": float(statistics.median(values)),
        "min": float(min(values)),
        "max": float(max(values)),
    }


def cost(
    usage_by_model: Mapping[str, Mapping[str, int]], prices: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """Spend from token usage and a price table ``{model: {"prompt": $/1M tokens, "completion": $/1M}}``.

    Models missing from the table are listed under ``unpriced`` (their cost is not guessed)."""
    total = 0.0
    by_model: dict[str, float] = {}
    unpriced = []
    for model, u in usage_by_model.items():
        price = prices.get(model)
        if price is None:
            unpriced.append(model)
            continue
        c = (
            u.get("prompt_tokens", 0) * price.get("prompt", 0.0)
            + u.get("completion_tokens", 0) * price.get("completion", 0.0)
        ) / 1e6
        by_model[model] = c
        total += c
    return {"total_usd": round(total, 6), "by_model": by_model, "unpriced": unpriced}


def summarize(
    records: Sequence[Mapping[str, Any]],
    *,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    include_last_bin: bool = False,
    caveat: str | None = None,
) -> dict[str, Any]:
    """All metrics of one run from its per-item records (see :class:`openseeker.evaluate.runner.EvalRecord`).

    Three accuracy conventions sit side by side in ``accuracy``: ``acc`` (unparsed counted wrong),
    ``acc_parsed`` (unparsed left out) and ``acc_official`` (the official OpenSeeker ``eval.py`` count, see
    :func:`official_accuracy`). ``caveat`` (a weak judge) is attached to every accuracy figure.
    """
    verdicts = [r.get("correct") for r in records]
    official = official_accuracy((r.get("verdict") or {}).get("official") for r in records)
    out: dict[str, Any] = {"accuracy": {**accuracy(verdicts), "acc_official": official["acc"]}}
    out["official"] = official
    per_item: dict[str, list[bool | None]] = defaultdict(list)
    for r in records:
        per_item[r["question_id"]].append(r.get("correct"))
    out["samples"] = sample_metrics(per_item)
    # by topic
    topics: dict[str, list[bool | None]] = defaultdict(list)
    for r in records:
        topics[r.get("topic") or "(none)"].append(r.get("correct"))
    out["by_topic"] = {t: accuracy(v) for t, v in sorted(topics.items())}
    if caveat:
        out["caveats"] = [caveat]
        for block in (out["accuracy"], out["official"], out["samples"], *out["by_topic"].values()):
            block["caveat"] = caveat
    # calibration (only over items whose verdict carried a confidence)
    conf = [(r["confidence"], bool(r.get("correct"))) for r in records if r.get("confidence") is not None]
    if conf:
        out["calibration"] = {
            "hle": hle_calib_err(
                [c / 100 for c, _ in conf], [k for _, k in conf], include_last_bin=include_last_bin
            ),
            "bczh": bczh_calib_err([c for c, _ in conf], [k for _, k in conf]),
        }
    # tables
    tables = [r["table"] for r in records if r.get("table")]
    if tables:
        keys = (
            "success",
            "precision_by_row",
            "recall_by_row",
            "f1_by_row",
            "precision_by_item",
            "recall_by_item",
            "f1_by_item",
        )
        by_item: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for r in records:
            if r.get("table"):
                by_item[r["question_id"]].append(r["table"])
        out["table"] = {
            "avg": {
                k: statistics.fmean(statistics.fmean(t[k] for t in ts) for ts in by_item.values())
                for k in keys
            },
            "max": {k: statistics.fmean(max(t[k] for t in ts) for ts in by_item.values()) for k in keys},
            "lower_bound": any(t.get("lower_bound") for t in tables),
        }
    tool_calls = [int(r.get("tool_calls", 0)) for r in records]
    correct_calls = [int(r.get("tool_calls", 0)) for r in records if r.get("correct") is True]
    hist = Counter(tool_calls)
    out["tool_calls"] = {
        **describe(tool_calls),
        "correct_mean": describe(correct_calls)["mean"],
        "histogram": {str(k): hist[k] for k in sorted(hist)},
    }
    out["tokens"] = {
        "prompt": sum(int(r.get("usage", {}).get("prompt_tokens", 0)) for r in records),
        "completion": sum(int(r.get("usage", {}).get("completion_tokens", 0)) for r in records),
        "per_item": describe(
            [
                float(
                    r.get("usage", {}).get("prompt_tokens", 0)
                    + r.get("usage", {}).get("completion_tokens", 0)
                )
                for r in records
            ]
        ),
    }
    out["seconds"] = describe([float(r.get("seconds", 0.0)) for r in records])
    out["finish_reasons"] = dict(Counter(r.get("finish_reason") or "unknown" for r in records).most_common())
    out["judge_methods"] = dict(
        Counter(r.get("verdict", {}).get("method", "none") for r in records).most_common()
    )
    usage_by_model: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        for role in ("usage", "judge_usage"):
            model = r.get("agent_model" if role == "usage" else "judge_model") or "unknown"
            for k, v in (r.get(role) or {}).items():
                if isinstance(v, int):
                    usage_by_model[model][k] += v
    out["cost"] = cost(usage_by_model, prices or {})
    return out
