"""The quickstart end to end on a tiny generated world, every role played by a scripted model."""

from __future__ import annotations

import json
from pathlib import Path

from openseeker.io.jsonl import read_jsonl
from openseeker.quickstart import QuickstartConfig, run_quickstart, split_questions


def _config(tmp_path: Path, **kw) -> QuickstartConfig:
    kw.setdefault("world_questions", "off")
    return QuickstartConfig(
        out=str(tmp_path / "run"),
        world={"n_pages": 80, "seed": 1},
        qa={"n": 6, "k": 2, "concurrency": 2},
        progress=False,
        **kw,
    )


def test_quickstart_end_to_end_and_resume(tmp_path, world_roles) -> None:
    roles, player = world_roles()
    events: list[tuple[str, str]] = []
    summary = run_quickstart(_config(tmp_path), roles=roles, report=lambda s, m: events.append((s, m)))
    run = tmp_path / "run"
    st = summary["stages"]
    assert st["corpus"]["pages"] == 80 and st["corpus"]["dangling_links"] == 0
    assert st["qa"]["accepted"] >= 2, st["qa"]
    assert st["split"]["train"] >= 1 and st["split"]["heldout"] >= 1
    assert st["split"]["train"] + st["split"]["heldout"] == st["qa"]["accepted"]
    assert st["audit"]["records"] == st["qa"]["accepted"]
    assert st["trajectories"]["rollouts"] == st["split"]["train"]
    assert st["export"]["written"] >= 1
    assert st["eval"]["questions"] == st["split"]["heldout"]
    for name in ("world", "corpus", "qa", "splits", "audit", "trajectories", "sft", "eval"):
        assert Path(summary["paths"][name]).exists(), name
    assert json.loads((run / "quickstart.json").read_text())["stages"].keys() == st.keys()
    assert read_jsonl(run / "sft" / "sft_messages.jsonl")[0]["messages"]
    assert {s for s, _ in events} >= {
        "world",
        "corpus",
        "qa",
        "split",
        "audit",
        "trajectories",
        "export",
        "eval",
    }
    assert all(isinstance(st[s]["seconds"], float | int) for s in ("qa", "trajectories", "eval"))
    # every verdict of the quickstart comes from the rules judge, which passed calibration
    assert st["eval"]["judge"] == "rules" and st["trajectories"]["judge"] == "rules"
    assert st["eval"]["judge_false_accept"] == 0.0 and "caveat" not in st["eval"]
    assert set(st["eval"]["judge_methods"]) == {"rules"}
    assert json.loads((run / "qa" / "stats.json").read_text())["judge_calibration"]["passed"] is True
    from rich.console import Console

    from openseeker.cli.quickstart import print_summary

    console = Console(record=True, width=200)
    print_summary(summary, console)
    text = console.export_text()
    assert "rules judge, false-accept 0 % on the calibration set" in text and "by the rules judge" in text

    # re-running continues: nothing is synthesized or rolled out again
    calls = dict(player.calls)
    again = run_quickstart(_config(tmp_path), roles=roles)
    assert player.calls == calls
    assert again["stages"]["qa"]["accepted"] == st["qa"]["accepted"]
    assert again["stages"]["corpus"]["resumed"] is True


def test_split_is_deterministic_and_independent_of_other_records() -> None:
    recs = [{"id": f"q{i}"} for i in range(30)]
    train, held = split_questions(recs, 0.34, seed=0)
    assert len(train) + len(held) == 30 and held and train
    _, again_held = split_questions(list(reversed(recs)), 0.34, seed=0)
    assert {r["id"] for r in held} == {r["id"] for r in again_held}
    # adding records never moves an existing one
    _, more_held = split_questions(recs + [{"id": f"x{i}"} for i in range(10)], 0.34, seed=0)
    assert {r["id"] for r in held} <= {r["id"] for r in more_held}
    assert split_questions([{"id": "a"}, {"id": "b"}], 0.01, 0)[1]


def test_world_questions_fill_in_when_synthesis_yields_nothing(tmp_path, world_roles) -> None:
    roles, _ = world_roles(extract="invalid")  # the generator never produces usable JSON
    summary = run_quickstart(_config(tmp_path, world_questions="fallback", world_questions_n=6), roles=roles)
    st = summary["stages"]
    assert st["qa"]["accepted"] == 0 and st["qa"]["rejected"]
    assert st["world_questions"]["added"] == 6
    assert st["split"]["train"] + st["split"]["heldout"] == 6
    # questions built from known facts are answerable and unique by the exact audit
    assert st["audit"]["answerable"] == 1.0 and st["audit"]["unique_fuzzy"] == 1.0
    assert st["trajectories"]["rollouts"] == st["split"]["train"]
    assert st["eval"]["questions"] == st["split"]["heldout"]
    assert Path(summary["paths"]["world_questions"]).exists()


def test_fast_mode_and_user_sections_layer_over_defaults() -> None:
    from openseeker.quickstart import DEFAULT_AGENT, DEFAULT_QA

    cfg = QuickstartConfig(fast=True, qa={"k": 5, "checks": {"leak": "record"}})
    qa = cfg.merged("qa", DEFAULT_QA)
    assert qa["n"] == 4 and qa["k"] == 5  # fast, then the user's value
    assert qa["checks"]["leak"] == "record" and qa["checks"]["oracle"] == "record"
    assert cfg.merged("agent", DEFAULT_AGENT)["max_tool_calls"] == 1
    assert QuickstartConfig().merged("qa", DEFAULT_QA)["n"] == DEFAULT_QA["n"]
    assert cfg.world_options().n_pages == 120 and QuickstartConfig().world_options().n_pages == 300
    assert QuickstartConfig(fast=True, world={"n_pages": 500}).world_options().n_pages == 500
