"""The ``e2b`` sandbox backend through the official SDKs, against the local imitation of the E2B API
(:mod:`openseeker.testing.e2b_imitation`, built from E2B's public API description; not E2B itself)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from openseeker.llm import ToolCall
from openseeker.testing import E2BImitation
from openseeker.toolbox import build_toolset
from openseeker.tools.config import SandboxConfig, ToolsConfig

pytest.importorskip("e2b_code_interpreter", reason="the e2b extra is not installed")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[E2BImitation]:
    monkeypatch.setenv("E2B_API_KEY", "e2b_test_key")
    with E2BImitation() as f:
        yield f


def _cfg(fake: E2BImitation, tmp_path: Path) -> SandboxConfig:
    return SandboxConfig(backend="e2b", root=str(tmp_path / "ledger"), e2b_api_url=fake.url, e2b_sandbox_url=fake.url)


def test_the_five_tools_on_the_e2b_backend(fake: E2BImitation, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "notes.txt").write_text("hello from the host\n")
    cfg = _cfg(fake, tmp_path).model_copy(update={"upload_roots": [str(inputs)]})

    async def go() -> dict[str, str]:
        ts = build_toolset(ToolsConfig(enabled=["sandbox"], sandbox=cfg))
        out: dict[str, str] = {}
        async with ts.session("rollout"):
            made = await ts.call(ToolCall("create_sandbox", {"timeout": 300}))
            sid = made.content.split("sandbox_id: ")[1]
            out["create"] = made.content
            out["cmd"] = (await ts.call(ToolCall("run_command", {"command": "echo hi; echo err >&2", "sandbox_id": sid}))).content
            out["fail"] = (await ts.call(ToolCall("run_command", {"command": "exit 4", "sandbox_id": sid}))).content
            out["py"] = (await ts.call(ToolCall("run_python_code", {"code_block": "print(6*7)\n1+1", "sandbox_id": sid}))).content
            out["exc"] = (await ts.call(ToolCall("run_python_code", {"code_block": "int('x')", "sandbox_id": sid}))).content
            out["up"] = (await ts.call(ToolCall("upload_file_from_local_to_sandbox", {"sandbox_id": sid, "local_file_path": str(inputs / "notes.txt")}))).content
            out["cat"] = (await ts.call(ToolCall("run_command", {"command": "cat notes.txt", "sandbox_id": sid}))).content
            out["sid"] = sid
        await ts.aclose()
        return out

    out = asyncio.run(go())
    assert out["create"].startswith("Sandbox created with sandbox_id: imi")
    assert out["cmd"] == "CommandResult(stderr='err\\n', stdout='hi\\n', exit_code=0, error='')"
    assert out["fail"].startswith("[ERROR]: Failed to run command.\n\nException type: CommandExitException\nDetails: Command exited with code 4")
    assert out["py"] == "Execution(Results: [Result(2)], Logs: Logs(stdout: ['42\\n'], stderr: []), Error: None)"
    assert "ExecutionError(name='ValueError'" in out["exc"]
    assert out["up"] == "File uploaded to /home/user/notes.txt"
    assert "stdout='hello from the host\\n'" in out["cat"]
    assert fake.killed == [out["sid"]] and not fake.sandboxes  # killed when the rollout ended
    assert ("POST", "/process.Process/Start") in fake.requests and ("POST", "/execute") in fake.requests


_CRASHER = """
import asyncio, os, sys
sys.path.insert(0, {src!r})
os.environ["E2B_API_KEY"] = "e2b_test_key"
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.e2b import E2BSandbox
async def main():
    b = E2BSandbox(SandboxConfig.model_validate_json({cfg!r}))
    print(await b.create(300), flush=True)
    await asyncio.sleep(300)
asyncio.run(main())
"""


def test_remote_sandboxes_of_a_killed_process_are_killed_on_the_next_start(fake: E2BImitation, tmp_path: Path) -> None:
    cfg = _cfg(fake, tmp_path)
    code = textwrap.dedent(_CRASHER.format(src=str(REPO / "src"), cfg=cfg.model_dump_json()))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    proc.kill()
    proc.wait()
    assert sid in fake.sandboxes  # still alive remotely after the kill -9
    from openseeker.tools.sandbox.e2b import E2BSandbox

    assert E2BSandbox(cfg).reap() == 0  # the constructor already reaped it
    assert sid in fake.killed and sid not in fake.sandboxes
    assert not json.dumps([p.name for p in (tmp_path / "ledger" / "e2b").iterdir()]).count(sid)
