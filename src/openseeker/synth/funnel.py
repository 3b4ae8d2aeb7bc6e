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
from openseeker.pipeline.stage import compute_stats, read_rejects, read_stage
from openseeker.synth.check import BUILTIN, check_class, qa_checks

STEPS_BEFORE_CHECKS = ("seeds", "expanded", "extracted", "generated", "obfuscated")
STEPS = (*STEPS_BEFORE_CHECKS, *BUILTIN, "accepted")
"""The funnel's rows with the built-in checks; a run's own rows follow its configured checks (:func:`steps`)."""


def steps(run_dir: str | Path) -> list[str]:
    """The funnel's rows of a run: the synthesis steps, then the checks its config ran, in order."""
    names = list(BUILTIN)
    path = Path(run_dir) / "qa" / "config.yaml"
    if path.exists():
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("checks") or {}
        names += [k for k in section.get("plugins") or {} if k not in BUILTIN]
    return [*STEPS_BEFORE_CHECKS, *names, "accepted"]


def _label(step: str) -> str:
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


def build_funnel(run_dir: str | Path) -> dict[str, Any]:
    """The funnel of ``<run_dir>/qa`` as a dict (counts, rejection reasons, distributions by k)."""
    stage_dir = Path(run_dir) / "qa"
    if not stage_dir.exists():
        raise StageError(f"No QA stage in {str(run_dir)!r}; run 'openseeker synth qa' first.")
    stats = compute_stats(stage_dir)
    counters = stats.get("counters", {})
    funnel = [{"step": s, "count": int(counters.get(f"funnel:{s}", 0))} for s in steps(run_dir)]
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
        "reject_reasons": stats.get("reject_reasons", {}),
        "counters": {k: v for k, v in counters.items() if not k.startswith("funnel:")},
        "by_k": dists,
        "inputs_done": stats.get("inputs_done", 0),
        "outputs": stats.get("outputs", 0),
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


def plot(f: dict[str, Any], path: Path) -> None:
    """A PNG with the funnel bars, and the hops and shortcut-rank distributions by k."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    steps = [_label(r["step"]) for r in f["funnel"]]
    axes[0].barh(steps[::-1], [r["count"] for r in f["funnel"]][::-1], color="#4C72B0")
    axes[0].set_title("Funnel (seeds surviving each step)")
    width = 0.8 / max(1, len(f["by_k"]))
    for i, (k, d) in enumerate(f["by_k"].items()):
        hops = d["hops"]
        axes[1].bar([int(h) + i * width for h in hops], list(hops.values()), width=width, label=f"k={k}")
        ranks = d["shortcut_rank"]["found"]
        axes[2].bar([int(r) for r in ranks], list(ranks.values()), alpha=0.6, label=f"k={k}")
    axes[1].set_title("Facts chained per accepted question")
    axes[1].set_xlabel("hops")
    axes[2].set_title("Answer page rank in corpus search")
    axes[2].set_xlabel("rank (1 = top)")
    from matplotlib.ticker import MaxNLocator

    for ax in axes[1:]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if f["by_k"]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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
