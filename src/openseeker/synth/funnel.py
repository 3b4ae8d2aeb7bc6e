"""The yield funnel of a QA synthesis run: how many seeds survive each step, and why the rest did not.

Written at the end of every run (and by ``openseeker synth qa --report RUN``) as
``<run>/qa/funnel.json``, ``funnel.md`` and ``funnel.png``. The counts come from the stage's checkpoints
(exact, exactly-once), the distributions from the records and the rejects files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import yaml

from openseeker.errors import StageError
from openseeker.io.jsonl import iter_jsonl
from openseeker.pipeline.stage import compute_stats, iter_checkpoints, read_rejects, read_stage
from openseeker.synth.check import BUILTIN, check_class, qa_checks

STEPS_BEFORE_CHECKS = ("seeds", "expanded", "extracted", "generated", "obfuscated")
STEPS = (*STEPS_BEFORE_CHECKS, *BUILTIN, "accepted")
"""The funnel's rows with the built-in checks; a run's own rows follow its configured checks (:func:`steps`).
A ``failed`` row (seeds whose last attempt raised an error) follows ``seeds`` in every report."""


def steps(run_dir: str | Path) -> list[str]:
    """The funnel's rows of a run: the synthesis steps, then the checks its config ran, in order."""
    names = list(BUILTIN)
    path = Path(run_dir) / "qa" / "config.yaml"
    if path.exists():
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("checks") or {}
        names += [k for k in section.get("plugins") or {} if k not in BUILTIN]
    return [*STEPS_BEFORE_CHECKS, *names, "accepted"]


def _label(step: str) -> str:
    if step == "failed":
        return "failed (error, retried next run)"
    return check_class(step).title() if step in qa_checks else step


def _hist(values: list[int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(values).items())}


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    s = sorted(values)
    return {
        "n": len(s),
        "min": s[0],
        "median": s[len(s) // 2],
        "mean": round(sum(s) / len(s), 2),
        "max": s[-1],
    }


def _failed_inputs(stage_dir: Path, done: set[str]) -> dict[str, str]:
    """The inputs whose last attempt failed (key -> error type): in ``errors.jsonl`` and not committed since."""
    path = stage_dir / "errors.jsonl"
    failed: dict[str, str] = {}
    if path.exists():
        for row in iter_jsonl(path):
            failed[str(row.get("key"))] = str(row.get("type") or "Error")
    return {k: t for k, t in failed.items() if k not in done}


def _done_keys(stage_dir: Path) -> set[str]:
    return {str(e.get("key")) for e in iter_checkpoints(stage_dir)}


def build_funnel(run_dir: str | Path) -> dict[str, Any]:
    """The funnel of ``<run_dir>/qa`` as a dict (counts, rejection reasons, failures, distributions by k).

    ``seeds`` counts every seed tried: those that finished (accepted or rejected) and those whose last attempt
    failed with an error (the ``failed`` row; the next run retries them).
    """
    stage_dir = Path(run_dir) / "qa"
    if not stage_dir.exists():
        raise StageError(f"No QA stage in {str(run_dir)!r}; run 'openseeker synth qa' first.")
    stats = compute_stats(stage_dir)
    counters = stats.get("counters", {})
    failed = _failed_inputs(stage_dir, _done_keys(stage_dir))
    rows = steps(run_dir)
    counts = {s: int(counters.get(f"funnel:{s}", 0)) for s in rows}
    counts["seeds"] += len(failed)  # a failed seed was tried too
    funnel: list[dict[str, Any]] = [{"step": s, "count": counts[s]} for s in rows]
    funnel.insert(1, {"step": "failed", "count": len(failed)})
    by_k: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in read_stage(run_dir, "qa"):
        d = by_k[int(r.get("k", 0))]
        d["hops"].append(int(r.get("hops", 0)))
        d["depth"].append(int(r.get("depth", 0)))
        d["question_chars"].append(len(r.get("question", "")))
        d["shortcut_rank"].append(r.get("shortcut_rank"))
    rejected_by_k: dict[int, Counter[str]] = defaultdict(Counter)
    for rej in read_rejects(run_dir, "qa"):
        detail = rej.get("detail") or {}
        k = int(detail.get("k", 0)) if isinstance(detail, dict) else 0
        rejected_by_k[k][rej["reason"]] += 1
        by_k[k]  # every k that was tried gets a section, even with no accepted question
        rec = rej.get("record") or {}
        if isinstance(rec, dict) and "shortcut_rank" in rec:
            by_k[k]["shortcut_rank_all"].append(rec["shortcut_rank"])
    for d in by_k.values():
        d["shortcut_rank_all"].extend(d["shortcut_rank"])
    dists = {}
    for k, d in sorted(by_k.items()):
        ranks = [x for x in d["shortcut_rank_all"] if x is not None]
        dists[str(k)] = {
            "accepted": len(d["hops"]),
            "hops": _hist(d["hops"]),
            "depth": _hist(d["depth"]),
            "question_chars": _summary(d["question_chars"]),
            "shortcut_rank": {"found": _hist(ranks), "not_found": len(d["shortcut_rank_all"]) - len(ranks)},
            "rejected": dict(rejected_by_k.get(k, Counter()).most_common()),
        }
    return {
        "run": str(run_dir),
        "funnel": funnel,
        "failed": dict(Counter(failed.values()).most_common()),
        "reject_reasons": stats.get("reject_reasons", {}),
        "counters": {k: v for k, v in counters.items() if not k.startswith("funnel:")},
        "by_k": dists,
        "inputs_done": stats.get("inputs_done", 0),
        "outputs": stats.get("outputs", 0),
        "usage": stats.get("usage", {}),
        "usage_by_model": stats.get("usage_by_model", {}),
    }


def to_markdown(f: dict[str, Any]) -> str:
    """The funnel as a Markdown report."""
    lines = [f"# QA synthesis funnel: `{f['run']}`", "", "| step | count | of seeds |", "|---|---:|---:|"]
    seeds = max(1, f["funnel"][0]["count"])
    for row in f["funnel"]:
        label = _label(row["step"])
        off = f["counters"].get(f"off:{row['step']}", 0)
        if off:  # the check did not run for these seeds: they pass it unchecked
            label += f" (off for {off})"
        lines.append(f"| {label} | {row['count']} | {100 * row['count'] / seeds:.0f}% |")
    lines += ["", "## Rejections", "", "| reason | count |", "|---|---:|"]
    lines += [f"| `{r}` | {n} |" for r, n in f["reject_reasons"].items()] or ["| (none) | 0 |"]
    if f.get("failed"):
        lines += ["", "## Failed seeds (errors; the next run retries them; details in `errors.jsonl`)", "",
                  "| error | seeds |", "|---|---:|"]
        lines += [f"| `{t}` | {n} |" for t, n in f["failed"].items()]
    usage = f.get("usage") or {}
    if usage.get("calls"):
        lines += ["", "## Token usage", "", "| model | calls | cached | prompt tokens | completion tokens |",
                  "|---|---:|---:|---:|---:|"]
        for model, u in {**f.get("usage_by_model", {}), "all": usage}.items():
            lines.append(
                f"| {model} | {u.get('calls', 0):,} | {u.get('cached_calls', 0):,} | "
                f"{u.get('prompt_tokens', 0):,} | {u.get('completion_tokens', 0):,} |"
            )
    if f["counters"]:
        lines += ["", "## Counters", ""] + [f"- `{k}`: {v}" for k, v in sorted(f["counters"].items())]
    for k, d in f["by_k"].items():
        lines += [
            "",
            f"## k = {k}",
            "",
            f"- accepted: {d['accepted']}",
            f"- hops (facts chained): {d['hops']}",
            f"- expansion depth: {d['depth']}",
            f"- question length (chars): {d['question_chars']}",
            f"- answer page's search rank: {d['shortcut_rank']['found']}, "
            f"not in results: {d['shortcut_rank']['not_found']}",
        ]
    return "\n".join(lines) + "\n"


def panels(f: dict[str, Any]) -> dict[str, Any]:
    """The PNG's panels that have something to show, in order, with their data: ``funnel`` (always),
    ``stopped`` (rejection reasons and errors by type), ``hops`` and ``ranks`` (by k, accepted questions)."""
    out: dict[str, Any] = {"funnel": f["funnel"]}
    stopped = {**{f"error: {t}": n for t, n in (f.get("failed") or {}).items()}, **f["reject_reasons"]}
    hops = {k: d["hops"] for k, d in f["by_k"].items() if d["hops"]}
    ranks = {k: d["shortcut_rank"]["found"] for k, d in f["by_k"].items() if d["shortcut_rank"]["found"]}
    for name, value in (("stopped", stopped), ("hops", hops), ("ranks", ranks)):
        if value:
            out[name] = value
    return out


def plot(f: dict[str, Any], path: Path) -> None:
    """A PNG of the funnel with its counts, why seeds stopped, and (when there is data) the hops and
    shortcut-rank distributions by k. A panel with nothing to show is left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    data = panels(f)
    stopped, hops, ranks = data.get("stopped", {}), data.get("hops", {}), data.get("ranks", {})
    fig, axes = plt.subplots(1, len(data), figsize=(5.5 * len(data), 4.8), squeeze=False)
    ax_of = dict(zip(data, axes[0], strict=True))

    ax = ax_of["funnel"]
    rows = f["funnel"][::-1]
    colors = ["#C44E52" if r["step"] == "failed" else "#4C72B0" for r in rows]
    bars = ax.barh([_label(r["step"]) for r in rows], [r["count"] for r in rows], color=colors)
    ax.bar_label(bars, padding=3)
    ax.set_title(f"Funnel: seeds surviving each step ({f['funnel'][0]['count']} tried)")
    _integer_axis(ax, MaxNLocator, "x", max(r["count"] for r in rows))

    if "stopped" in ax_of:
        ax = ax_of["stopped"]
        items = sorted(stopped.items(), key=lambda kv: kv[1])
        bars = ax.barh([r for r, _ in items], [n for _, n in items],
                       color=["#C44E52" if r.startswith("error: ") else "#DD8452" for r, _ in items])
        ax.bar_label(bars, padding=3)
        ax.set_title("Why seeds stopped (rejections, errors)")
        _integer_axis(ax, MaxNLocator, "x", max(stopped.values()))

    width = 0.8 / max(1, len(hops))
    for panel, by_k, title, xlabel in (
        ("hops", hops, "Facts chained per accepted question", "hops"),
        ("ranks", ranks, "Answer page rank in corpus search", "rank (1 = top)"),
    ):
        if panel not in ax_of:
            continue
        ax = ax_of[panel]
        for i, (k, hist) in enumerate(by_k.items()):
            offset = i * width if panel == "hops" else 0
            bars = ax.bar([int(x) + offset for x in hist], list(hist.values()), width=width if panel == "hops" else 0.8,
                          alpha=1.0 if panel == "hops" else 0.6, label=f"k={k}")
            ax.bar_label(bars, padding=2)
        ax.set_title(title if len(by_k) > 1 else f"{title} (k={next(iter(by_k))})")
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _integer_axis(ax, MaxNLocator, "y", max(max(h.values()) for h in by_k.values()))
        if len(by_k) > 1:  # one k: named in the title, no legend
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _integer_axis(ax: Any, locator: Any, axis: str, top: int) -> None:
    """Whole-number ticks from 0, with room for the bar labels (never the -0.04..0.04 of an empty axis)."""
    getattr(ax, f"{axis}axis").set_major_locator(locator(integer=True))
    getattr(ax, f"set_{axis}lim")(0, max(1, top) * 1.15)


def write_report(run_dir: str | Path) -> dict[str, Path]:
    """Write ``funnel.json``, ``funnel.md`` and ``funnel.png`` into ``<run_dir>/qa``; return their paths."""
    f = build_funnel(run_dir)
    stage_dir = Path(run_dir) / "qa"
    paths = {
        "json": stage_dir / "funnel.json",
        "md": stage_dir / "funnel.md",
        "png": stage_dir / "funnel.png",
    }
    paths["json"].write_bytes(orjson.dumps(f, option=orjson.OPT_INDENT_2))
    paths["md"].write_text(to_markdown(f), encoding="utf-8")
    plot(f, paths["png"])
    return paths
