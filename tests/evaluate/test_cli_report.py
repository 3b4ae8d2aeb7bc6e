"""CLI (run, list, download errors) and the report, opened in headless Chromium when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from openseeker.cli.eval import eval_group
from openseeker.evaluate import runner as runner_mod


class _Traj:
    def __init__(self, ans: str, calls: int):
        self.final_response = f"<answer>{ans}</answer>"
        self.final_answer = ans
        self.finish_reason = "answer"
        self.tool_calls = calls
        self.usage = {"agent": {"prompt_tokens": 50, "completion_tokens": 5}}
        self.seconds = 0.5
        self.steps = calls + 1
        self.model = "scripted/agent"


class _Agent:
    def __init__(self, answers):
        self.answers = answers

    async def run(self, question, *, id="", scope=None):
        return _Traj(self.answers.get(question, "unknown"), len(question) % 5)


def _write_agent_yaml(tmp_path):
    p = tmp_path / "agent.yaml"
    p.write_text("roles:\n  judge: scripted/echo\neval:\n  concurrency: 2\n  judge: rules\n", encoding="utf-8")
    return p


@pytest.fixture
def two_runs(tmp_path, qa_jsonl, monkeypatch, qa_rows):
    answers = {q: a for q, a, _ in qa_rows}
    monkeypatch.setattr(runner_mod, "build_eval_agent", lambda cfg, roles, bench=None: _Agent(answers))
    cli = CliRunner()
    agent = _write_agent_yaml(tmp_path)
    runs = []
    for name, limit in (("r1", "3"), ("r2", "2")):
        out = tmp_path / name
        res = cli.invoke(
            eval_group,
            [
                "run",
                "-b",
                "custom",
                "--data",
                str(qa_jsonl),
                "--agent",
                str(agent),
                "--out",
                str(out),
                "--limit",
                limit,
            ],
        )
        assert res.exit_code == 0, res.output
        runs.append(out)
    return runs


def test_cli_run_writes_results(two_runs):
    res = json.loads((two_runs[0] / "results.json").read_text(encoding="utf-8"))
    assert res["accuracy"]["acc"] == 1.0 and res["judge_methods"] == {"rules": 3}
    assert res["run"]["subset"]["limit"] == 3 and res["run"]["complete"]
    assert res["run"]["judge_model"] == "rules" and res["judge_calibration"]["passed"]


def test_cli_list_and_errors():
    cli = CliRunner()
    assert "xbench-deepsearch" in cli.invoke(eval_group, ["list"]).output
    r = cli.invoke(eval_group, ["download", "hle", "--dir", "x"])
    assert r.exit_code != 0


def test_report_markdown_html_and_chromium(two_runs, tmp_path):
    cli = CliRunner()
    out = tmp_path / "report"
    r = cli.invoke(eval_group, ["report", *map(str, two_runs), "--out", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "r1 (custom)" in md and "r2 (custom)" in md and "| Sports |" in md
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3
    # the agent model, the interval, the judge and its calibration, and who decided the verdicts
    for text in ("scripted/agent", "100.0 ± 0.0", "rules on rules / rules/v1", "passed: agreement", "rules 3"):
        assert text in page, text
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "Barcelona" not in page  # aggregates only, never answers

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(reason="chromium is not installed (Debian package: chromium)")
    flags = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'prof'}",
    ]
    url = (out / "report.html").resolve().as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Evaluation report" in dom.stdout and dom.stdout.count('id="plot-') == 3
    assert "judge calibration" in dom.stdout and "acc_official" in dom.stdout
    # the page's own load handler checks that every embedded PNG decoded (naturalWidth > 0)
    assert 'data-images-ok="true"' in dom.stdout
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,1600", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_plots_are_readable_single_values_and_legends_off_the_bars():
    from openseeker.evaluate.report import figures

    one = {
        "accuracy": {"n": 4, "acc": 0.5, "acc_parsed": 0.5, "acc_official": None, "ci95": 0.49},
        "by_topic": {"(none)": {"n": 4, "acc": 0.5}},
        "tool_calls": {"histogram": {"3": 4}},  # every item made exactly 3 calls
    }
    figs = figures([("only run", one)])
    # one topic is nothing to compare, and acc_official is absent: no plot, no empty series
    assert set(figs) == {"runs", "tools"}
    for name, fig in figs.items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        bars = [b for b in ax.patches if b.get_height() > 0]
        assert bars, name
        legend = ax.get_legend().get_window_extent(renderer)
        assert not any(_overlap(legend, b.get_window_extent(renderer)) for b in bars), name
        assert all(b.get_window_extent(renderer).width >= 20 for b in bars), name  # a readable bar
    assert [b.get_height() for b in figs["tools"].axes[0].patches] == [4]
    import matplotlib.pyplot as plt

    for fig in figs.values():
        plt.close(fig)
    assert figures([]) == {}
