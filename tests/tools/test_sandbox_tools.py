"""The five v2 sandbox tools on the local backend: response layouts, validation, per-rollout sessions,
an agent episode, and cleanup after a crash or ``kill -9``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.llm import ScriptedLLM, ToolCall
from openseeker.toolbox import build_toolset
from openseeker.tools.config import SandboxConfig, ToolsConfig
from openseeker.tools.sandbox.local import LocalSandbox
from openseeker.tools.sandbox.tools import MAX_RESULT_LEN, SANDBOX_SPECS

REPO = Path(__file__).resolve().parents[2]


def call(name: str, **args: object) -> str:
    return f"<tool_calls_begin>\n<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>\n</tool_calls_end>"


def _toolset(cfg: SandboxConfig, **kw: object):  # type: ignore[no-untyped-def]
    return build_toolset(ToolsConfig(enabled=["sandbox"], sandbox=cfg, **kw))  # type: ignore[arg-type]


def test_specs_are_the_v2_shapes() -> None:
    assert list(SANDBOX_SPECS) == [
        "create_sandbox",
        "run_command",
        "run_python_code",
        "upload_file_from_local_to_sandbox",
        "download_file_from_internet_to_sandbox",
    ]
    for spec in SANDBOX_SPECS.values():
        assert spec.parameters["type"] == "object" and spec.parameters["additionalProperties"] is False
    assert SANDBOX_SPECS["run_python_code"].parameters["required"] == ["code_block", "sandbox_id"]
    assert SANDBOX_SPECS["create_sandbox"].parameters["properties"]["timeout"]["default"] == 600
    assert SANDBOX_SPECS["upload_file_from_local_to_sandbox"].parameters["required"] == [
        "sandbox_id",
        "local_file_path",
    ]


def test_tool_responses_in_the_trained_layout(sandbox_cfg: SandboxConfig, tmp_path: Path) -> None:
    upload_dir = tmp_path / "inputs"
    upload_dir.mkdir()
    (upload_dir / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "private.txt").write_text("no")
    cfg = sandbox_cfg.model_copy(update={"upload_roots": [str(upload_dir)]})

    async def go() -> dict[str, object]:
        ts = _toolset(cfg)
        out: dict[str, object] = {}
        async with ts.session("r1"):
            made = await ts.call(ToolCall("create_sandbox", {}))
            sid = made.content.split("sandbox_id: ")[1]
            out["create"] = made.content
            out["ok"] = await ts.call(ToolCall("run_command", {"command": "echo hi", "sandbox_id": sid}))
            out["fail"] = await ts.call(ToolCall("run_command", {"command": "ls nope", "sandbox_id": sid}))
            out["py"] = await ts.call(ToolCall("run_python_code", {"code_block": "x = 6\nprint(x * 7)\nx + 1", "sandbox_id": sid}))
            out["exc"] = await ts.call(ToolCall("run_python_code", {"code_block": "1/0", "sandbox_id": sid}))
            out["oneoff"] = await ts.call(ToolCall("run_python_code", {"code_block": "print('once')", "sandbox_id": ""}))
            out["up"] = await ts.call(ToolCall("upload_file_from_local_to_sandbox", {"sandbox_id": sid, "local_file_path": str(upload_dir / "data.csv"), "sandbox_file_path": "/home/user/in"}))
            out["cat"] = await ts.call(ToolCall("run_command", {"command": "cat in/data.csv", "sandbox_id": sid}))
            out["up_denied"] = await ts.call(ToolCall("upload_file_from_local_to_sandbox", {"sandbox_id": sid, "local_file_path": str(tmp_path / "private.txt")}))
            out["placeholder"] = await ts.call(ToolCall("run_command", {"command": "ls", "sandbox_id": "sandbox1"}))
            out["unknown"] = await ts.call(ToolCall("run_command", {"command": "ls", "sandbox_id": "0123abcd"}))
            out["invalid"] = await ts.call(ToolCall("run_command", {"command": "ls", "sandbox_id": sid, "cwd": "/"}))
            out["missing"] = await ts.call(ToolCall("run_command", {"sandbox_id": sid}))
            out["long"] = await ts.call(ToolCall("run_command", {"command": "head -c 30000 /dev/zero | tr '\\0' a", "sandbox_id": sid}))
        await ts.aclose()
        return out

    out = asyncio.run(go())
    assert str(out["create"]).startswith("Sandbox created with sandbox_id: ")
    ok = out["ok"]
    assert ok.content == "CommandResult(stderr='', stdout='hi\\n', exit_code=0, error='')" and not ok.error  # type: ignore[attr-defined]
    fail = out["fail"].content  # type: ignore[attr-defined]
    assert fail.startswith("[ERROR]: Failed to run command.\n\nException type: CommandExitException\nDetails: Command exited with code 2 and error:\nls: cannot access 'nope'")
    assert out["py"].content == "Execution(Results: [Result(7)], Logs: Logs(stdout: ['42\\n'], stderr: []), Error: None)"  # type: ignore[attr-defined]
    assert "Error: ExecutionError(name='ZeroDivisionError', value='division by zero'" in out["exc"].content  # type: ignore[attr-defined]
    assert "stdout: ['once\\n']" in out["oneoff"].content  # type: ignore[attr-defined]
    assert out["up"].content == "File uploaded to /home/user/in/data.csv"  # type: ignore[attr-defined]
    assert "a,b\\n1,2\\n" in out["cat"].content  # type: ignore[attr-defined]
    assert out["up_denied"].error and "outside the folders" in out["up_denied"].content  # type: ignore[attr-defined]
    assert out["placeholder"].content == "[ERROR]: 'sandbox1' is not a valid sandbox_id. Please create a real sandbox first using create_sandbox."  # type: ignore[attr-defined]
    assert out["unknown"].content.startswith("[ERROR]: Failed to connect to sandbox 0123abcd.")  # type: ignore[attr-defined]
    assert out["invalid"].content.startswith("1 validation error for call[run_command]\ncwd\n")  # type: ignore[attr-defined]
    assert out["missing"].content.startswith("1 validation error for call[run_command]\ncommand\n")  # type: ignore[attr-defined]
    long = out["long"].content  # type: ignore[attr-defined]
    assert len(long) == MAX_RESULT_LEN + len(" [Result truncated due to length limit]")
    assert long.endswith(" [Result truncated due to length limit]")


def test_sandboxes_belong_to_their_rollout_and_are_removed_after_it(sandbox_cfg: SandboxConfig) -> None:
    root = Path(str(sandbox_cfg.root))

    async def go() -> tuple[str, str, list[str]]:
        ts = _toolset(sandbox_cfg)
        async with ts.session("a"):
            sid = (await ts.call(ToolCall("create_sandbox", {}))).content.split(": ")[1]
            inside = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
            async with ts.session("b"):  # another rollout cannot use it
                other = (await ts.call(ToolCall("run_command", {"command": "ls", "sandbox_id": sid}))).content
        left = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        await ts.aclose()
        return sid, other, [*inside, "|", *left]

    sid, other, listing = asyncio.run(go())
    assert other.startswith(f"[ERROR]: Failed to connect to sandbox {sid}")
    assert listing == [sid, "|"]  # created inside the rollout, gone after it


def test_agent_episode_with_the_sandbox_tools(sandbox_cfg: SandboxConfig) -> None:
    def teacher(messages, tools, config):  # type: ignore[no-untyped-def]
        last = str(messages[-1].get("content", ""))
        if "sandbox_id: " in last:
            sid = last.split("sandbox_id: ")[1].split()[0]
            return "Compute it.\n</think>\n\n" + call("run_python_code", code_block="print(2**10 + 7)", sandbox_id=sid)
        if "1031" in last:
            return "The code printed 1031.\n</think>\n\n<answer>1031</answer>"
        return "I need a sandbox.\n</think>\n\n" + call("create_sandbox", timeout=60)

    async def go():  # type: ignore[no-untyped-def]
        ts = _toolset(sandbox_cfg)
        try:
            return await Agent(ScriptedLLM(fn=teacher), ts, AgentConfig()).run("What is 2**10 + 7?")
        finally:
            await ts.aclose()

    traj = asyncio.run(go())
    assert traj.finish_reason == "answer" and traj.final_answer == "1031"
    assert [c.name for c in traj.observations] == ["create_sandbox", "run_python_code"]
    assert "stdout: ['1031\\n']" in traj.observations[1].response
    assert {t.name for t in traj.tools} == set(SANDBOX_SPECS)
    assert "run_python_code" in traj.system  # the tools are in the prompt
    assert not [p for p in Path(str(sandbox_cfg.root)).iterdir() if not p.name.startswith(".")]


_CRASHER = """
import asyncio, os, signal, sys
sys.path.insert(0, {src!r})
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.local import LocalSandbox
async def main():
    b = LocalSandbox(SandboxConfig.model_validate_json({cfg!r}))
    sid = await b.create(600)
    print(sid, flush=True)
    await b.run_command(sid, "sleep 300")
asyncio.run(main())
"""


def test_kill_9_leftovers_are_reaped_on_the_next_start(sandbox_cfg: SandboxConfig) -> None:
    cfg = sandbox_cfg.model_copy(update={"timeout_seconds": 600})
    code = _CRASHER.format(src=str(REPO / "src"), cfg=cfg.model_dump_json())
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    time.sleep(1.0)  # the sandboxed sleep is running
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    root = Path(str(cfg.root))
    assert (root / sid).exists()  # the crash left the sandbox folder behind
    deadline = time.monotonic() + 10
    while _children_of_uid_range(cfg) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _children_of_uid_range(cfg)  # the sandboxed process died with its parent
    LocalSandbox(cfg)  # the next start reaps it
    assert not (root / sid).exists()


def _children_of_uid_range(cfg: SandboxConfig) -> list:  # type: ignore[type-arg]
    import psutil

    out = []
    for p in psutil.process_iter(["uids", "status"]):
        try:
            uid = p.info["uids"].real
            if cfg.uid_base <= uid < cfg.uid_base + 100_000 and p.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (psutil.Error, AttributeError, TypeError):
            pass  # gone, or a zombie (an orphan the container's init has not reaped): not running
    return out


def test_download_into_a_local_sandbox_goes_through_the_host_under_the_safety_rules(
    sandbox_cfg: SandboxConfig, tmp_path: Path
) -> None:
    import http.server
    import threading
    from functools import partial

    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "data.csv").write_text("x,y\n3,4\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/data.csv"

    async def go(options: dict[str, object]) -> tuple[str, str]:
        ts = _toolset(sandbox_cfg, options=options)
        async with ts.session("r"):
            sid = (await ts.call(ToolCall("create_sandbox", {}))).content.split(": ")[1]
            got = await ts.call(ToolCall("download_file_from_internet_to_sandbox", {"sandbox_id": sid, "url": url, "sandbox_file_path": "/home/user/in/"}))
            cat = await ts.call(ToolCall("run_command", {"command": "cat in/data.csv", "sandbox_id": sid}))
        await ts.aclose()
        return got.content, cat.content

    try:
        blocked, _ = asyncio.run(go({}))
        allowed, cat = asyncio.run(go({"safety": {"allow_private": True}}))
    finally:
        server.shutdown()
    assert blocked.startswith(f"[ERROR]: Failed to download file from {url} to /home/user/in/data.csv:")
    assert "not a public address" in blocked or "local addresses" in blocked
    assert allowed == "File downloaded to /home/user/in/data.csv"
    assert "stdout='x,y\\n3,4\\n'" in cat


def test_a_bubblewrap_that_cannot_make_namespaces_is_a_clear_error_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import tempfile

    from openseeker.errors import ConfigError

    base = Path(tempfile.mkdtemp(prefix="openseeker-test-probe-"))  # traversable by the probe's uid
    try:
        base.chmod(0o755)
        (base / "bin").mkdir(mode=0o755)
        (base / "bin" / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
        (base / "bin" / "bwrap").chmod(0o755)
        monkeypatch.setenv("PATH", f"{base / 'bin'}:/usr/bin:/bin")
        with pytest.raises(ConfigError, match=r"uid map: Permission denied.*user namespaces"):
            LocalSandbox(SandboxConfig(root=str(base / "boxes")))
    finally:
        shutil.rmtree(base, ignore_errors=True)
