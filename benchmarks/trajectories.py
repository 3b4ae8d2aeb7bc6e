"""Trajectory synthesis figures (issue 5).

1. Denoising: over scripted rollouts of 30+ steps with realistic response sizes (search lists ~1.5k
   tokens, visit extractions ~4k, summaries ~200), the teacher's prompt tokens per step under
   ``retrospective`` as a fraction of ``raw``: the mean over steps and at the last step.
2. Throughput: rollouts per minute through the whole synthesis stage (``run_trajectory_synthesis``: agent
   loop, ``completions`` provider over HTTP, stage writer) against a local server in a separate process
   that answers every request after a fixed latency, at concurrency 64, as a fraction of the ideal
   ``64 * 60 / ((steps + 1) * latency)`` (tools are in-memory, so model latency is the only cost).

    python benchmarks/trajectories.py                 # both parts
    python benchmarks/trajectories.py --steps 40 --latency 0.2 --rollouts 320
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from openseeker.agent import Agent, AgentConfig
from openseeker.agent.records import Trajectory
from openseeker.llm import LLMConfig, RolesConfig, ScriptedLLM, ToolSpec
from openseeker.llm.registry import Roles
from openseeker.pipeline.stage import read_stage
from openseeker.tools.base import Tool, Toolset

WORDS = "engine babbage lovelace analytical difference mechanical computer notes program london 1815".split()


def filler(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    n = 0
    while n < chars:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


class SizedTool(Tool):
    """Returns text of a realistic size for its kind (chars/4 ~ tokens)."""

    def __init__(self, name: str, chars: int, seed: int):
        self.spec = ToolSpec(name, f"{name} tool", {"type": "object", "properties": {}, "required": []})
        self.chars = chars
        self.rng = random.Random(seed)

    async def __call__(self, arguments: dict[str, Any]) -> str:
        return filler(self.rng, int(self.chars * self.rng.uniform(0.6, 1.4)))


def _call(name: str, **args: Any) -> str:
    return (
        "<tool_calls_begin>\n<tool_call>\n"
        + json.dumps({"name": name, "arguments": args})
        + "\n</tool_call>\n</tool_calls_end>"
    )


def denoising(steps: int, rollouts: int) -> dict[str, float]:
    ratios_mean, ratios_last, totals = [], [], []
    for r in range(rollouts):
        rng = random.Random(r)

        def teacher(messages: list[dict], tools: Any, config: Any, rng: random.Random = rng) -> str:
            turn = sum(m["role"] == "assistant" for m in messages)
            thought = filler(rng, rng.randint(300, 900))
            if turn >= steps:
                return thought + "\n</think>\n\n<answer>Charles Babbage</answer>"
            name = "search" if turn % 2 == 0 else "visit"
            return thought + "\n</think>\n\n" + _call(name, query=["q"])

        summ = ScriptedLLM(fn=lambda m, t, c, rng=rng: filler(rng, rng.randint(500, 1100)))
        tools = Toolset([SizedTool("search", 6000, r), SizedTool("visit", 16000, r + 1000)])
        agent = Agent(ScriptedLLM(fn=teacher), tools, AgentConfig(), summarizer=summ)
        traj = asyncio.run(agent.run("Who designed the Analytical Engine?", context="retrospective"))
        # a rollout that stopped early would make the ratios describe a shorter run
        if traj.finish_reason != "answer" or traj.tool_calls != steps:
            raise SystemExit(
                f"denoising rollout {r}: {traj.finish_reason} after {traj.tool_calls} tool calls, "
                f"expected an answer after {steps}"
            )
        per_step = [s.prompt_tokens_retrospective / s.prompt_tokens_raw for s in traj.steps]
        ratios_mean.append(sum(per_step) / len(per_step))
        ratios_last.append(per_step[-1])
        totals.append(
            sum(s.prompt_tokens_retrospective for s in traj.steps)
            / sum(s.prompt_tokens_raw for s in traj.steps)
        )
        last = traj.steps[-1]
    return {
        "steps": steps,
        "rollouts": rollouts,
        "mean_ratio_per_step": sum(ratios_mean) / len(ratios_mean),
        "ratio_at_last_step": sum(ratios_last) / len(ratios_last),
        "ratio_of_total_prompt_tokens": sum(totals) / len(totals),
        "last_step_raw_tokens": last.prompt_tokens_raw,
        "last_step_retrospective_tokens": last.prompt_tokens_retrospective,
    }


# ------------------------------------------------------------------------------------------ throughput


def serve(latency: float, steps: int) -> None:
    """The model server (run in a subprocess): ``steps`` search calls, then an answer."""
    import threading

    from openseeker.testing.fake_openai import FakeOpenAIServer

    def handler(req: dict[str, Any]) -> str:
        done = req.get("prompt", "").count("<tool_response>")
        if done >= steps:
            return "Enough.\n</think>\n\n<answer>Charles Babbage</answer>"
        return "Search more.\n</think>\n\n" + _call("search", query=[f"q{done}"])

    srv = FakeOpenAIServer(handler, latency=latency, record=False, port=0).start()
    print(f"READY {srv.port}", flush=True)
    threading.Event().wait()


def throughput(steps: int, latency: float, rollouts: int, concurrency: int) -> dict[str, float]:
    from openseeker.synth.trajectories import TrajSynthConfig, run_trajectory_synthesis

    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency", str(latency), "--steps", str(steps)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"server did not start: {line!r}")
        port = int(line.split()[1])
        llm_cfg = LLMConfig(
            model="completions/bench",
            base_url=f"http://127.0.0.1:{port}/v1",
            max_concurrency=concurrency,
            cache=False,
            timeout=60,
        )
        with tempfile.TemporaryDirectory() as tmp:
            qa = Path(tmp) / "qa.jsonl"
            qa.write_text(
                "".join(
                    json.dumps({"id": f"q{i}", "question": f"question {i}?", "answer": "Charles Babbage"})
                    + "\n"
                    for i in range(rollouts)
                )
            )
            cfg = TrajSynthConfig(
                qa=str(qa),
                out=str(Path(tmp) / "run"),
                judge_style="none",
                context="raw",
                concurrency=concurrency,
                progress=False,
                roles=RolesConfig(default=llm_cfg),
            )
            roles = Roles(cfg.roles)
            tools = Toolset([SizedTool("search", 6000, 0)])
            t0 = time.perf_counter()
            res = run_trajectory_synthesis(cfg, roles, toolset=tools)
            wall = time.perf_counter() - t0
            trajs = list(read_stage(cfg.out or "", "trajectories", Trajectory))
    finally:
        proc.kill()
    # the rate counts only finished rollouts that did the whole scripted work: check that before printing it
    calls = Counter(t.tool_calls for t in trajs)
    finish = Counter(t.finish_reason for t in trajs)
    if (
        res.outputs != rollouts
        or len(trajs) != rollouts
        or calls != {steps: rollouts}
        or finish != {"answer": rollouts}
    ):
        raise SystemExit(
            f"throughput run is not the one measured: {res.outputs} outputs / {len(trajs)} records for "
            f"{rollouts} rollouts ({res.rejected} rejected, {res.errors} errors); tool calls per rollout "
            f"{dict(calls)} (expected {steps}); finish reasons {dict(finish)}"
        )
    ideal_wall = -(-rollouts // concurrency) * (steps + 1) * latency
    per_min = res.outputs / wall * 60
    ideal_per_min = concurrency * 60 / ((steps + 1) * latency)
    return {
        "rollouts": res.outputs,
        "steps": steps,
        "latency_s": latency,
        "concurrency": concurrency,
        "wall_s": wall,
        "ideal_wall_s": ideal_wall,
        "rollouts_per_min": per_min,
        "ideal_rollouts_per_min": ideal_per_min,
        "fraction_of_ideal": per_min / ideal_per_min,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--denoise-rollouts", type=int, default=10)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rollouts", type=int, default=320)
    ap.add_argument("--tp-steps", type=int, default=10, help="tool steps per rollout in the throughput part")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--part", choices=["all", "denoise", "throughput"], default="all")
    args = ap.parse_args()
    if args.serve:
        serve(args.latency, args.steps)
        return
    if args.part in ("all", "denoise"):
        d = denoising(args.steps, args.denoise_rollouts)
        print(f"Denoising over {d['rollouts']} scripted rollouts of {d['steps']} tool steps:")
        print(
            f"  teacher prompt tokens, retrospective / raw: mean per step {d['mean_ratio_per_step']:.3f}, "
            f"last step {d['ratio_at_last_step']:.3f} ({d['last_step_retrospective_tokens']:,} vs "
            f"{d['last_step_raw_tokens']:,} tokens), all steps together {d['ratio_of_total_prompt_tokens']:.3f}"
        )
    if args.part in ("all", "throughput"):
        t = throughput(args.tp_steps, args.latency, args.rollouts, args.concurrency)
        print(
            f"Throughput: {t['rollouts']} rollouts x {t['steps'] + 1} model calls, latency {t['latency_s']}s, "
            f"concurrency {t['concurrency']}:"
        )
        print(
            f"  checked: {t['rollouts']} of {t['rollouts']} rollouts written, each with {t['steps']} tool calls "
            "and an answer"
        )
        print(
            f"  {t['rollouts_per_min']:.1f} rollouts/min vs ideal {t['ideal_rollouts_per_min']:.1f} "
            f"= {t['fraction_of_ideal']:.3f} of ideal (wall {t['wall_s']:.2f}s, ideal {t['ideal_wall_s']:.2f}s)"
        )


if __name__ == "__main__":
    main()
