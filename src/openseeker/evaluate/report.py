"""Reports over one or more eval runs: Markdown plus a self-contained HTML page.

The HTML embeds its plots as base64 PNGs (matplotlib, Agg backend) and has no external resources, so it
can be mailed or archived as one file. Only aggregate numbers appear: no questions or answers.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openseeker.evaluate.runner import load_results


def _label(run: Path, res: dict[str, Any], taken: set[str]) -> str:
    base = f"{run.name} ({res.get('run', {}).get('benchmark', '?')})"
    label, n = base, 2
    while label in taken:
        label, n = f"{base} #{n}", n + 1
    taken.add(label)
    return label


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(runs: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    labels = [lbl for lbl, _ in runs]
    # runs side by side
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(runs)), 3.5))
    xs = range(len(runs))
    ax.bar(
        [x - 0.2 for x in xs],
        [100 * r["accuracy"]["acc"] for _, r in runs],
        0.4,
        label="accuracy (unparsed = wrong)",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [100 * r["accuracy"]["acc_parsed"] for _, r in runs],
        0.4,
        label="accuracy (unparsed excluded)",
    )
    ax.set_xticks(list(xs), labels, rotation=15, ha="right")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title("Runs side by side")
    out["runs"] = _png(fig)
    # accuracy by topic
    topics = sorted({t for _, r in runs for t in r.get("by_topic", {})})
    if topics:
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(topics) * len(runs)), 3.8))
        w = 0.8 / len(runs)
        for i, (lbl, r) in enumerate(runs):
            vals = [100 * r["by_topic"].get(t, {}).get("acc", 0.0) for t in topics]
            ax.bar([k + i * w for k in range(len(topics))], vals, w, label=lbl)
        ax.set_xticks([k + 0.4 - w / 2 for k in range(len(topics))], topics, rotation=30, ha="right")
        ax.set_ylabel("accuracy %")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=8)
        ax.set_title("Accuracy by topic")
        out["topics"] = _png(fig)
    # tool-call histogram
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for lbl, r in runs:
        hist = {int(k): v for k, v in r.get("tool_calls", {}).get("histogram", {}).items()}
        if hist:
            ks = sorted(hist)
            ax.step(ks, [hist[k] for k in ks], where="mid", label=lbl)
    ax.set_xlabel("tool calls per item")
    ax.set_ylabel("items")
    ax.legend(fontsize=8)
    ax.set_title("Tool-call histogram")
    out["tools"] = _png(fig)
    return out


def _rows(runs: list[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    rows = []
    for lbl, r in runs:
        a, meta = r["accuracy"], r.get("run", {})
        calib = r.get("calibration", {})
        table = r.get("table", {})
        rows.append(
            [
                lbl,
                str(a["n"]),
                _pct(a["acc"]),
                _pct(a["acc_parsed"]),
                str(a["unparsed"]),
                f"{r.get('samples', {}).get('k', 1)}: {_pct(r.get('samples', {}).get('avg_at_k'))} / "
                f"{_pct(r.get('samples', {}).get('pass_at_k'))}",
                f"{calib['hle']['calib_err']:.2f}" if calib.get("hle") else "-",
                _pct(table.get("avg", {}).get("f1_by_item"))
                + (" (lower bound)" if table.get("lower_bound") else "")
                if table
                else "-",
                f"{r.get('tool_calls', {}).get('mean', 0):.1f}",
                f"{r.get('tokens', {}).get('prompt', 0) + r.get('tokens', {}).get('completion', 0):,}",
                f"${r.get('cost', {}).get('total_usd', 0):.2f}",
                f"{meta.get('judge_model', '?')} / {meta.get('prompt_version', '?')}",
            ]
        )
    return rows


HEADER = [
    "run",
    "N",
    "acc %",
    "acc % (parsed only)",
    "unparsed",
    "k: avg@k / pass@k",
    "calib err (HLE)",
    "item F1 %",
    "tool calls (mean)",
    "tokens",
    "cost",
    "judge / prompt",
]


def build_report(runs: Sequence[str | Path], out: str | Path) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` (self-contained) for the given run folders."""
    taken: set[str] = set()
    loaded = [(_label(Path(p), res := load_results(p), taken), res) for p in runs]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(loaded)
    md = ["# Evaluation report", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md.append("")
    for lbl, r in loaded:
        meta = r.get("run", {})
        md += [
            f"## {lbl}",
            "",
            f"- subset: {meta.get('subset', {}).get('selected', '?')} of "
            f"{meta.get('subset', {}).get('total', '?')} questions, samples {meta.get('samples', 1)}",
            f"- finish reasons: {r.get('finish_reasons', {})}",
            f"- judge methods: {r.get('judge_methods', {})}",
            f"- complete: {meta.get('complete', False)} (errors left: {meta.get('errors', 0)})",
            "",
        ]
        if r.get("by_topic"):
            md += ["| topic | n | acc % |", "|---|---|---|"]
            md += [f"| {t} | {a['n']} | {_pct(a['acc'])} |" for t, a in r["by_topic"].items()]
            md.append("")
    md_path = out / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")

    plots = _plots(loaded)
    esc = html.escape
    table = "<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADER) + "</tr></thead><tbody>"
    table += (
        "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
        + "</tbody></table>"
    )
    imgs = "".join(
        f'<figure><img id="plot-{k}" alt="{esc(k)}" src="data:image/png;base64,{v}"/></figure>'
        for k, v in plots.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>openseeker evaluation report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}th{{background:#f0f0f0}}
img{{max-width:100%}}figure{{margin:1em 0}}</style></head>
<body><h1>Evaluation report</h1>{table}{imgs}
<script>window.addEventListener("load", () => {{
  const ok = Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0);
  document.body.setAttribute("data-images-ok", String(ok));
}});</script></body></html>"""
    html_path = out / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return {"markdown": md_path, "html": html_path}
