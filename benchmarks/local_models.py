"""Measure the embedded local model candidates, to choose ``llamacpp/default`` by measurement.

For each installed candidate (``smollm2``, ``qwen2.5-0.5b``; or ``--model PATH.gguf``): load time, prompt
processing and generation speed, resident memory, and JSON instruction following on four checkable
tasks, free and schema-constrained. Each model runs in its own subprocess so load time and memory are
measured cold and one model's memory does not count against the next.

    python benchmarks/local_models.py                 # every installed candidate, all cores
    python benchmarks/local_models.py --threads 2     # as the quickstart machine (2 cores)
    python benchmarks/local_models.py --json out.json
    python benchmarks/local_models.py --decode-ratio --threads 2            # issue 19 goal 1
    python benchmarks/local_models.py --decode-ratio --threads 2 --busy 2   # the same with 2 busy loops

``--decode-ratio`` measures generation speed of the same model, threads and prompt through openseeker's
``llamacpp`` provider (which picks ``OMP_WAIT_POLICY`` from the load at start) against llama-cpp-python
called directly with its defaults, and with ``OMP_WAIT_POLICY=PASSIVE``; each run is a fresh process
(OpenMP reads the policy once), the three are interleaved, and medians of ``--rounds`` are reported.
``openseeker_idle_choice`` is the provider with the load probe forced to report an idle machine: the
configuration it runs with when the cores are free, measured at the same moment as the others.
``--busy N`` keeps N spinning processes running meanwhile, to show the behaviour under load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time

from openseeker.llm import local_model as lm

_DECODE_CHILD = r"""
import json, os, sys, time
mode, model, threads, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode.startswith("openseeker"):
    import importlib
    provider = importlib.import_module("openseeker.llm.providers.llamacpp")
    if mode == "openseeker_idle_choice":  # the choice the provider makes on an idle machine
        provider.other_cpu_load = lambda interval=0.25: 0.0
    from openseeker.llm.config import LLMConfig
    from openseeker.llm.providers.llamacpp import LlamaCppLLM
    llm = LlamaCppLLM.from_config(model, LLMConfig(model="llamacpp/" + model, options={"n_threads": threads, "seed": 0}))
    llama = llm.model.llama
else:
    from llama_cpp import Llama
    from openseeker.llm.local_model import resolve_gguf
    llama = Llama(model_path=str(resolve_gguf(model)), n_ctx=4096, n_threads=threads, seed=0, verbose=False)
ban = {llama.token_eos(): -1e9}
llama.create_completion("Once upon a time", max_tokens=8, temperature=0, logit_bias=ban)  # warm-up
llama.reset()
t = time.perf_counter()
r = llama.create_completion("Once upon a time", max_tokens=tokens, temperature=0, logit_bias=ban)
dt = time.perf_counter() - t
print("RESULT " + json.dumps({"tok_s": r["usage"]["completion_tokens"] / dt, "policy": os.environ.get("OMP_WAIT_POLICY")}))
"""


def decode_ratio(model: str, threads: int, tokens: int, rounds: int, busy: int) -> dict[str, object]:
    """Medians of generated tok/s per mode, interleaved, each run in a fresh process."""
    from openseeker.llm.providers.llamacpp import other_cpu_load

    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(1.0 if busy else 0.0)
        before = {"loadavg_1m": os.getloadavg()[0], "other_cores_busy": round(other_cpu_load(1.0), 2)}
        modes: dict[str, dict[str, str]] = {
            "direct": {},
            "openseeker": {},
            "openseeker_idle_choice": {},
            "direct_passive": {"OMP_WAIT_POLICY": "PASSIVE"},
        }
        speeds: dict[str, list[float]] = {m: [] for m in modes}
        policies: dict[str, set[str]] = {m: set() for m in modes}
        for _ in range(rounds):
            for mode, extra in modes.items():
                env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | extra
                cmd = [sys.executable, "-c", _DECODE_CHILD, "direct" if mode == "direct_passive" else mode]
                cmd += [model, str(threads), str(tokens)]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
                line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
                if line is None:
                    raise SystemExit(f"{mode} failed:\n{out.stderr[-2000:]}")
                res = json.loads(line[7:])
                print(
                    f"{mode}: {res['tok_s']:.1f} tok/s ({res['policy'] or 'unset'})",
                    file=sys.stderr,
                    flush=True,
                )
                speeds[mode].append(res["tok_s"])
                policies[mode].add(str(res["policy"] or "unset"))
        after = os.getloadavg()[0]
    finally:
        for sp in spinners:
            sp.kill()
            sp.wait()
    med = {m: statistics.median(v) for m, v in speeds.items()}
    return {
        "model": model,
        "threads": threads,
        "busy_loops": busy,
        "load_before": before,
        "loadavg_1m_after": after,
        "tok_s_median": {m: round(v, 1) for m, v in med.items()},
        "tok_s_all": {m: [round(x, 1) for x in v] for m, v in speeds.items()},
        "policy_used": {m: sorted(v) for m, v in policies.items()},
        "ratio_openseeker_vs_direct": round(med["openseeker"] / med["direct"], 3),
        "ratio_idle_choice_vs_direct": round(med["openseeker_idle_choice"] / med["direct"], 3),
        "ratio_passive_vs_direct": round(med["direct_passive"] / med["direct"], 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="a model name or GGUF path (repeatable)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument(
        "--one", default=None, help=argparse.SUPPRESS
    )  # child mode: measure one model, print JSON
    ap.add_argument("--decode-ratio", action="store_true", help="openseeker vs llama-cpp-python decoding")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--busy", type=int, default=0, help="spinning processes during --decode-ratio")
    args = ap.parse_args()
    if args.decode_ratio:
        for name in args.model or ["smollm2"]:
            res = decode_ratio(
                name, args.threads or os.cpu_count() or 1, args.gen_tokens, args.rounds, args.busy
            )
            print(json.dumps(res, indent=1))
        return
    from openseeker.llm.model_bench import BenchResult, bench_model, print_results

    if args.one:
        r = bench_model(args.one, threads=args.threads, gen_tokens=args.gen_tokens)
        print("RESULT " + json.dumps(dataclasses.asdict(r)))
        return
    names = args.model or [n for n, m in lm.MODELS.items() if lm.is_installed(m)]
    results = []
    for name in names:
        cmd = [sys.executable, __file__, "--one", name, "--gen-tokens", str(args.gen_tokens)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{name}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(BenchResult(**json.loads(line[7:])))
    print_results(results)
    for r in results:
        print(f"\n{r.name} samples:")
        for s in r.samples:
            print("  " + s)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([dataclasses.asdict(r) for r in results], f, indent=1)


if __name__ == "__main__":
    main()
