"""Reports over one or more eval runs: Markdown plus a self-contained HTML page.

Each run is shown with its agent model, the three accuracy conventions (``acc`` with its 95 % interval,
``acc_parsed``, ``acc_official``), the judge (style, model, prompt version), the judge's calibration
(agreement, false-accept, false-reject) and how many verdicts each method decided. A run judged by a
judge that failed calibration carries its caveat next to every number.

The HTML embeds its plots as base64 PNGs (matplotlib, Agg backend) and has no external resources, so it
can be mailed or archived as one file. A plot with nothing to show is left out; bars are drawn with a
visible width even when a histogram has a single value; legends sit outside the axes, never on the bars.
Only aggregate numbers appear: no questions or answers.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openseeker.evaluate.runner import load_results

Run = tuple[str, dict[str, Any]]


def _label(run: Path, res: dict[str, Any], taken: set[str]) -> str:
    base = f"{run.name} ({res.get('run', {}).get('benchmark', '?')})"
    label, n = base, 2
    while label in taken:
        label, n = f"{base} #{n}", n + 1
    taken.add(label)
    return label


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _caveat(r: dict[str, Any]) -> str:
    c = r.get("accuracy", {}).get("caveat")
    return f" [{c}]" if c else ""


def _legend_outside(ax: Any) -> None:
    # right of the axes: a legend can never cover a bar
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)


def figures(runs: list[Run]) -> dict[str, Any]:
    """The report's matplotlib figures by name (``runs``, ``topics``, ``tools``); empty ones are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out: dict[str, Any] = {}
    labels = [lbl for lbl, _ in runs]
    xs = list(range(len(runs)))
    # the three accuracy conventions, runs side by side
    series = [
        ("acc (unparsed = wrong), ±ci95", [r["accuracy"].get("acc") for _, r in runs]),
        ("acc_parsed (unparsed left out)", [r["accuracy"].get("acc_parsed") for _, r in runs]),
        ("acc_official (OpenSeeker eval.py)", [r["accuracy"].get("acc_official") for _, r in runs]),
    ]
    series = [(name, vals) for name, vals in series if any(v is not None for v in vals)]
    if runs and series:
        fig, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(runs)) + 2.5, 3.6))
        w = 0.8 / len(series)
        for i, (name, vals) in enumerate(series):
            pos = [x - 0.4 + w * (i + 0.5) for x in xs]
            heights = [100 * (v or 0.0) for v in vals]
            err = [100 * r["accuracy"].get("ci95", 0.0) for _, r in runs] if i == 0 else None
            ax.bar(pos, heights, w, yerr=err, capsize=3 if err else 0, label=name)
        ax.set_xticks(xs, labels, rotation=15, ha="right")
        ax.set_ylabel("accuracy %")
        ax.set_ylim(0, 105)
        ax.set_xlim(-0.6, len(runs) - 0.4)
        weak = [lbl for lbl, r in runs if _caveat(r)]
        ax.set_title("Accuracy, three conventions" + (" (weak judge: " + ", ".join(weak) + ")" if weak else ""))
        _legend_outside(ax)
        out["runs"] = fig
    # accuracy by topic: only when some run has more than one named topic
    topics = sorted({t for _, r in runs for t in r.get("by_topic", {}) if t != "(none)"})
    if len(topics) > 1:
        fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(topics) * len(runs)) + 2.5, 3.8))
        w = 0.8 / len(runs)
        for i, (lbl, r) in enumerate(runs):
            vals = [100 * r["by_topic"].get(t, {}).get("acc", 0.0) for t in topics]
            ax.bar([k - 0.4 + w * (i + 0.5) for k in range(len(topics))], vals, w, label=lbl)
        ax.set_xticks(list(range(len(topics))), topics, rotation=30, ha="right")
        ax.set_xlim(-0.6, len(topics) - 0.4)
        ax.set_ylabel("accuracy %")
        ax.set_ylim(0, 105)
        ax.set_title("Accuracy by topic")
        _legend_outside(ax)
        out["topics"] = fig
    # tool calls per item: grouped bars at each count, so that a single value is still a readable bar
    hists = [(lbl, {int(k): v for k, v in r.get("tool_calls", {}).get("histogram", {}).items()}) for lbl, r in runs]
    hists = [(lbl, h) for lbl, h in hists if h]
    if hists:
        counts = sorted({k for _, h in hists for k in h})
        fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(counts) * len(hists)) + 2.5, 3.5))
        w = 0.8 / len(hists)
        for i, (lbl, h) in enumerate(hists):
            ax.bar([j - 0.4 + w * (i + 0.5) for j in range(len(counts))], [h.get(c, 0) for c in counts], w, label=lbl)
        ax.set_xticks(list(range(len(counts))), [str(c) for c in counts])
        ax.set_xlim(-0.6, len(counts) - 0.4)
        ax.set_xlabel("tool calls per item")
        ax.set_ylabel("items")
        ax.set_ylim(0, max(v for _, h in hists for v in h.values()) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Tool calls per item")
        _legend_outside(ax)
        out["tools"] = fig
    return out


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _calibration(r: dict[str, Any]) -> str:
    cal = r.get("judge_calibration") or {}
    if "agreement" not in cal:
        return str(cal.get("skipped", "-"))
    state = "passed" if cal.get("passed") else "FAILED (allowed)"
    return (
        f"{state}: agreement {_pct(cal['agreement'])} %, false-accept {_pct(cal['false_accept'])} %, "
        f"false-reject {_pct(cal['false_reject'])} % on {cal['n']} items"
    )


def _rows(runs: list[Run]) -> list[list[str]]:
    rows = []
    for lbl, r in runs:
        a, meta = r["accuracy"], r.get("run", {})
        calib = r.get("calibration", {})
        table = r.get("table", {})
        mark = _caveat(r)
        rows.append(
            [
                lbl,
                str(meta.get("agent_model", "?")),
                str(a["n"]),
                f"{_pct(a['acc'])} ± {_pct(a.get('ci95'))}{mark}",
                _pct(a["acc_parsed"]) + mark,
                (_pct(a.get("acc_official")) if a.get("acc_official") is not None else "n/a") + mark,
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
                f"{meta.get('judge_style', '?')} on {meta.get('judge_model', '?')} / {meta.get('prompt_version', '?')}",
                _calibration(r),
                ", ".join(f"{k} {v}" for k, v in r.get("judge_methods", {}).items()) or "-",
            ]
        )
    return rows


HEADER = [
    "run",
    "agent model",
    "N",
    "acc % ± ci95",
    "acc_parsed %",
    "acc_official %",
    "unparsed",
    "k: avg@k / pass@k",
    "calib err (HLE)",
    "item F1 %",
    "tool calls (mean)",
    "tokens",
    "cost",
    "judge / prompt",
    "judge calibration",
    "verdicts by method",
]

CONVENTIONS = (
    "acc: correct / all items (an unparsed verdict counts as wrong). acc_parsed: correct / (correct + wrong). "
    "acc_official: as the official OpenSeeker eval.py counts, reading only a leading A/B from the judge's "
    "first reply and leaving unknown replies out (n/a when some verdicts were not A/B judge verdicts)."
)


def build_report(runs: Sequence[str | Path], out: str | Path) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` (self-contained) for the given run folders."""
    taken: set[str] = set()
    loaded = [(_label(Path(p), res := load_results(p), taken), res) for p in runs]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(loaded)
    md = ["# Evaluation report", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", CONVENTIONS, ""]
    for lbl, r in loaded:
        meta = r.get("run", {})
        md += [
            f"## {lbl}",
            "",
            f"- agent model: {meta.get('agent_model', '?')}",
            f"- subset: {meta.get('subset', {}).get('selected', '?')} of "
            f"{meta.get('subset', {}).get('total', '?')} questions, samples {meta.get('samples', 1)}",
            f"- judge: {meta.get('judge_style', '?')} on {meta.get('judge_model', '?')} "
            f"({meta.get('prompt_version', '?')}); calibration: {_calibration(r)}",
            f"- verdicts decided by: {r.get('judge_methods', {})}",
            f"- finish reasons: {r.get('finish_reasons', {})}",
            f"- complete: {meta.get('complete', False)} (errors left: {meta.get('errors', 0)})",
        ]
        if _caveat(r):
            md.append(f"- **every number of this run rests on a {r['accuracy']['caveat']}**")
        md.append("")
        if r.get("by_topic"):
            md += ["| topic | n | acc % |", "|---|---|---|"]
            md += [f"| {t} | {a['n']} | {_pct(a['acc'])}{_caveat(r)} |" for t, a in r["by_topic"].items()]
            md.append("")
    md_path = out / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")

    plots = {k: _png(f) for k, f in figures(loaded).items()}
    esc = html.escape
    table = "<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADER) + "</tr></thead><tbody>"
    table += (
        "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
        + "</tbody></table>"
    )
    warnings = "".join(
        f'<p class="weak">{esc(lbl)}: every number rests on a {esc(r["accuracy"]["caveat"])}.</p>'
        for lbl, r in loaded
        if _caveat(r)
    )
    imgs = "".join(
        f'<figure><img id="plot-{k}" alt="{esc(k)}" src="data:image/png;base64,{v}"/></figure>'
        for k, v in plots.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>openseeker evaluation report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}th{{background:#f0f0f0}}
img{{max-width:100%}}figure{{margin:1em 0}}.weak{{color:#b00;font-weight:bold}}
.note{{font-size:12px;color:#444;max-width:60em}}</style></head>
<body><h1>Evaluation report</h1>{warnings}{table}<p class="note">{esc(CONVENTIONS)}</p>{imgs}
<script>window.addEventListener("load", () => {{
  const ok = Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0);
  document.body.setAttribute("data-images-ok", String(ok));
}});</script></body></html>"""
    html_path = out / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return {"markdown": md_path, "html": html_path}
