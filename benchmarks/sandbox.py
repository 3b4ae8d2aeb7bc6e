"""Local sandbox overhead (issue 15): what bubblewrap isolation and the limits cost per tool call.

Per round, interleaved in one process: a bare ``python3 -c`` / ``bash -c`` subprocess (the baseline), then
the same work through the local sandbox backend (``run_command``, ``run_python``: prlimit + bwrap + the cell
driver). Prints the medians and the sandboxed/bare ratio; the machine load goes next to the figures.

    python benchmarks/sandbox.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.local import LocalSandbox


async def main(rounds: int) -> None:
    root = tempfile.mkdtemp(prefix="openseeker-bench-sandboxes-")
    os.chmod(root, 0o711)
    backend = LocalSandbox(SandboxConfig(root=root))
    sid = await backend.create(600)
    times: dict[str, list[float]] = {k: [] for k in ("bash", "sandbox command", "python", "sandbox python")}
    try:
        for _ in range(rounds):
            t = time.perf_counter()
            subprocess.run(["/bin/bash", "-c", "echo hi"], capture_output=True, check=True)
            times["bash"].append(time.perf_counter() - t)
            t = time.perf_counter()
            res = await backend.run_command(sid, "echo hi")
            times["sandbox command"].append(time.perf_counter() - t)
            assert res.stdout == "hi\n", res
            t = time.perf_counter()
            subprocess.run(["/usr/bin/python3", "-I", "-c", "print(1)"], capture_output=True, check=True)
            times["python"].append(time.perf_counter() - t)
            t = time.perf_counter()
            ex = await backend.run_python(sid, "print(1)")
            times["sandbox python"].append(time.perf_counter() - t)
            assert ex.logs.stdout == ["1\n"] and ex.error is None, ex
    finally:
        await backend.kill(sid)
        shutil.rmtree(root, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of {rounds} rounds")
    print(f"run_command 'echo hi':  {med['sandbox command']:6.1f} ms  vs bare bash -c  {med['bash']:6.1f} ms  "
          f"(x{med['sandbox command'] / med['bash']:.1f})")  # fmt: skip
    print(f"run_python 'print(1)':  {med['sandbox python']:6.1f} ms  vs bare python3 -c {med['python']:6.1f} ms  "
          f"(x{med['sandbox python'] / med['python']:.1f})")  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(ap.parse_args().rounds))
