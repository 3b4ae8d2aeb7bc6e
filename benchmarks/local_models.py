"""Measure the embedded local model candidates, to choose ``llamacpp/default`` by measurement.

For each installed candidate (``smollm2``, ``qwen2.5-0.5b``; or ``--model PATH.gguf``): load time, prompt
processing and generation speed, resident memory, and JSON instruction following on four checkable
tasks, free and schema-constrained. Each model runs in its own subprocess so load time and memory are
measured cold and one model's memory does not count against the next.

    python benchmarks/local_models.py                 # every installed candidate, all cores
    python benchmarks/local_models.py --threads 2     # as the quickstart machine (2 cores)
    python benchmarks/local_models.py --json out.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys

from openseeker.llm import local_model as lm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="a model name or GGUF path (repeatable)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument(
        "--one", default=None, help=argparse.SUPPRESS
    )  # child mode: measure one model, print JSON
    args = ap.parse_args()
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
