"""The ``e2b`` sandbox backend: E2B cloud sandboxes through the official SDKs (``e2b``,
``e2b-code-interpreter``; extra ``e2b``), the setup the OpenSeeker-v2 tools were written for.

Commands run with ``sandbox.commands.run``, Python cells in the sandbox's Jupyter kernel
(``sandbox.run_code``: variables persist between cells, unlike the local backend), files are written with
``sandbox.files.write``, and downloads run ``wget`` inside the sandbox (E2B sandboxes have internet
access). The key comes from ``E2B_API_KEY``; ``tools.sandbox.e2b_api_url`` / ``e2b_sandbox_url`` point
the SDK elsewhere (a self-hosted E2B, or the local imitation in :mod:`openseeker.testing.e2b_imitation`).

Sandboxes are remote: each one created is recorded in a small ledger on this machine with its owner
process, and a later start kills the ones whose owner died (E2B's own timeout would end them anyway).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
from pathlib import Path
from typing import Any

from openseeker.errors import ConfigError, ToolError, missing_extra
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.base import (
    CommandResult,
    Execution,
    ExecutionError,
    Logs,
    Result,
    SandboxBackend,
    SandboxError,
    sandbox_backends,
)
from openseeker.tools.sandbox.local import _owner, _owner_alive, default_root


def _sdk() -> Any:
    try:
        import e2b
        import e2b_code_interpreter
    except ImportError as e:
        raise missing_extra("e2b-code-interpreter", "e2b", "The E2B sandbox backend") from e
    return e2b, e2b_code_interpreter


class E2BSandbox(SandboxBackend):
    """Sandboxes in E2B (see the module docstring).

    Args:
        cfg: limits (``timeout_seconds`` per command and cell), template and URL overrides.
        fetch_bytes: unused (downloads run inside the sandbox).
    """

    name = "e2b"

    def __init__(self, cfg: SandboxConfig, fetch_bytes: Any = None):
        self.e2b, self.ci = _sdk()
        if not os.environ.get("E2B_API_KEY"):
            raise ConfigError("The e2b sandbox backend needs the E2B_API_KEY environment variable.")
        self.cfg = cfg
        self.opts: dict[str, Any] = {}
        if cfg.e2b_api_url:
            self.opts["api_url"] = cfg.e2b_api_url
        if cfg.e2b_sandbox_url:
            self.opts["sandbox_url"] = cfg.e2b_sandbox_url
        self.ledger = (Path(cfg.root).expanduser() if cfg.root else default_root()) / "e2b"
        self.ledger.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._boxes: dict[str, Any] = {}
        self.reap()

    # ------------------------------------------------------------------------------ lifecycle

    def _entry(self, sandbox_id: str) -> Path:
        return self.ledger / f"{sandbox_id.replace('/', '_')}.json"

    async def create(self, timeout: int) -> str:
        kwargs: dict[str, Any] = {"timeout": timeout, "metadata": {"owner": "openseeker"}, **self.opts}
        if self.cfg.e2b_template:
            kwargs["template"] = self.cfg.e2b_template
        try:
            box = await self.ci.AsyncSandbox.create(**kwargs)
        except Exception as e:
            raise SandboxError(f"{type(e).__name__}: {e}") from None
        sid = str(box.sandbox_id)
        self._boxes[sid] = box
        self._entry(sid).write_text(json.dumps({"owner": _owner(), "id": sid}))
        return sid

    async def _box(self, sandbox_id: str) -> Any:
        box = self._boxes.get(sandbox_id)
        if box is None:
            try:
                box = await self.ci.AsyncSandbox.connect(sandbox_id, **self.opts)
            except Exception as e:
                raise SandboxError(
                    f"cannot connect to sandbox {sandbox_id}: {type(e).__name__}: {e}"
                ) from None
            self._boxes[sandbox_id] = box
        return box

    async def exists(self, sandbox_id: str) -> bool:
        try:
            box = await self._box(sandbox_id)
            return bool(await box.is_running())
        except Exception:
            return False

    async def kill(self, sandbox_id: str) -> None:
        self._boxes.pop(sandbox_id, None)
        with contextlib.suppress(Exception):
            await self.ci.AsyncSandbox.kill(sandbox_id, **self.opts)
        with contextlib.suppress(FileNotFoundError):
            self._entry(sandbox_id).unlink()

    def reap(self) -> int:
        """Kill the sandboxes of owners that no longer run (their ledger entries); returns how many."""
        n = 0
        for entry in self.ledger.glob("*.json"):
            try:
                data = json.loads(entry.read_text())
            except (OSError, ValueError):
                entry.unlink(missing_ok=True)
                continue
            if _owner_alive(data.get("owner") or {}):
                continue
            with contextlib.suppress(Exception):
                self.ci.Sandbox.kill(data["id"], **self.opts)
            entry.unlink(missing_ok=True)
            n += 1
        return n

    # ------------------------------------------------------------------------------ running

    async def run_command(self, sandbox_id: str, command: str) -> CommandResult:
        box = await self._box(sandbox_id)
        exc = self.e2b.exceptions
        try:
            r = await box.commands.run(command, timeout=self.cfg.timeout_seconds)
        except self.e2b.CommandExitException as e:  # a non-zero exit code
            return CommandResult(e.stderr or "", e.stdout or "", int(e.exit_code), e.error or "")
        except exc.TimeoutException as e:
            return CommandResult(
                "", "", 124, f"stopped after the {self.cfg.timeout_seconds:g} s time limit ({e})"
            )
        except exc.SandboxException as e:
            raise SandboxError(f"{type(e).__name__}: {e}") from None
        return CommandResult(r.stderr or "", r.stdout or "", int(r.exit_code), r.error or "")

    async def run_python(self, sandbox_id: str, code: str) -> Execution:
        box = await self._box(sandbox_id)
        exc = self.e2b.exceptions
        try:
            ex = await box.run_code(code, timeout=self.cfg.timeout_seconds)
        except exc.TimeoutException as e:
            return Execution(error=ExecutionError("TimeoutException", str(e), ""))
        except exc.SandboxException as e:
            raise SandboxError(f"{type(e).__name__}: {e}") from None
        results = [Result(r.text if r.text else "Formats: " + ", ".join(r.formats())) for r in ex.results]
        error = ExecutionError(ex.error.name, ex.error.value, ex.error.traceback) if ex.error else None
        return Execution(results, Logs(list(ex.logs.stdout), list(ex.logs.stderr)), error)

    async def write_file(self, sandbox_id: str, path: str, data: bytes) -> str:
        box = await self._box(sandbox_id)
        try:
            await box.files.write(path, data)
        except Exception as e:
            raise ToolError(f"{type(e).__name__}: {e}") from None
        return path

    async def download(self, sandbox_id: str, url: str, path: str) -> str:
        parent = os.path.dirname(path)
        cmd = f"mkdir -p {shlex.quote(parent)} && wget -q {shlex.quote(url)} -O {shlex.quote(path)}"
        res = await self.run_command(sandbox_id, cmd)
        if res.exit_code != 0:
            raise ToolError(f"exit_code: {res.exit_code}\n\nDetails: stderr: {res.stderr}{res.error}")
        return path


@sandbox_backends.register("e2b")
def _e2b(cfg: SandboxConfig, fetch_bytes: Any = None) -> SandboxBackend:
    return E2BSandbox(cfg, fetch_bytes)
