"""Run one process under limits and watch it: wall-clock timeout, output cap, disk quota.

The process is started in its own process group; stopping it kills the whole group. Inside bubblewrap
that is enough to end every descendant: the sandbox's PID namespace dies with its first process
(``--die-with-parent``), and the kernel kills everything left in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

_POLL_SECONDS = 0.25


@dataclass
class RunOutcome:
    """What came back from one watched process."""

    stdout: bytes
    stderr: bytes
    returncode: int
    stopped: str = ""  # why we stopped it: "" (it ended by itself), timeout, output, disk
    seconds: float = 0.0
    truncated: bool = False


def folder_bytes(path: Path) -> int:
    """Disk use of a folder (allocated blocks, so sparse files count as what they hold)."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


async def _stop(proc: asyncio.subprocess.Process, waiter: asyncio.Future[int]) -> None:
    """Kill the leader's children first and let the leader reap them (under bubblewrap the child is the
    sandbox's init, whose death ends the whole PID namespace); then kill what is left of the group. Killing
    the leader first would orphan its child, which a container without an init never reaps (a zombie)."""
    try:
        children = psutil.Process(proc.pid).children()
    except psutil.Error:
        children = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    if children:
        await asyncio.wait({waiter}, timeout=2)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


async def run_watched(
    argv: list[str],
    *,
    stdin: bytes = b"",
    timeout: float,
    max_output: int,
    disk_path: Path | None = None,
    disk_limit: int | None = None,
    **popen: Any,
) -> RunOutcome:
    """Run ``argv``; kill its process group on timeout, when either stream passes ``max_output`` bytes, or
    when ``disk_path`` grows past ``disk_limit`` bytes. Never raises for what the process did."""
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        **popen,
    )
    stopped = ""
    bufs = {"stdout": bytearray(), "stderr": bytearray()}
    over = asyncio.Event()

    async def pump(name: str, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        buf = bufs[name]
        # Past the cap, keep draining (and dropping): the pipe must reach EOF for the process to be reaped.
        while chunk := await stream.read(65536):
            room = max_output - len(buf)
            if room > 0:
                buf += chunk[:room]
            if len(chunk) > room:
                over.set()

    async def feed() -> None:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(stdin)
            await proc.stdin.drain()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()

    pumps = asyncio.gather(pump("stdout", proc.stdout), pump("stderr", proc.stderr), feed())
    waiter = asyncio.ensure_future(proc.wait())
    try:
        while not waiter.done():
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                stopped = "timeout"
                break
            if over.is_set():
                stopped = "output"
                break
            if disk_path is not None and disk_limit is not None and folder_bytes(disk_path) > disk_limit:
                stopped = "disk"
                break
            await asyncio.wait({waiter}, timeout=min(_POLL_SECONDS, left))
        if over.is_set() and not stopped:
            stopped = "output"
    finally:
        if not waiter.done() or stopped:
            await _stop(proc, waiter)
        else:
            # the leader exited: anything it left running in its group goes too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(asyncio.gather(waiter, pumps), timeout=5)
        except TimeoutError:  # a descendant that left the process group still holds a pipe
            pumps.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pumps
        returncode = proc.returncode if proc.returncode is not None else -9
    return RunOutcome(
        bytes(bufs["stdout"]),
        bytes(bufs["stderr"]),
        returncode,
        stopped,
        time.monotonic() - start,
        truncated=over.is_set(),
    )
