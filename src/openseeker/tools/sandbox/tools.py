"""The five OpenSeeker-v2 sandbox tools, named and shaped as the released model was trained on them
(METHOD.md 5.5): ``create_sandbox``, ``run_command``, ``run_python_code``,
``upload_file_from_local_to_sandbox`` and ``download_file_from_internet_to_sandbox``.

Names, parameters, types, defaults and response layouts follow that format: ``Sandbox created with
sandbox_id: <id>``, ``CommandResult(...)``, ``Execution(...)``, ``File uploaded to <path>``, ``File
downloaded to <path>``, ``[ERROR]: ...`` texts, results cut at 20,000 characters and error details at 4,000,
arguments validated strictly with pydantic (``N validation error(s) for call[<tool>]``). The descriptions
are our own words.

Sandboxes belong to the rollout that created them (:func:`~openseeker.tools.base.current_session`): a
rollout cannot use another's sandbox, and every sandbox of a rollout is killed when it ends.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from pydantic import ConfigDict, ValidationError, validate_call

from openseeker.errors import ToolError
from openseeker.llm.types import ToolSpec
from openseeker.tools.base import Tool, ToolResponseError, current_session
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.base import SandboxBackend, SandboxError

MAX_RESULT_LEN = 20_000
MAX_ERROR_LEN = 4_000
DEFAULT_TIMEOUT = 600
HOME = "/home/user"
# Ids a model writes when it has not created a sandbox (rejected with advice, as in the v2 format).
PLACEHOLDER_IDS = frozenset(
    "default sandbox1 sandbox some_id new_sandbox python create_sandbox sandbox123 temp sandbox-0 sandbox-1 "
    "sandbox_0 sandbox_1 new 0 auto default_sandbox none sandbox_12345 dummy sandbox_01".split()
)

_SANDBOX_ID = {"type": "string", "description": "The id returned by create_sandbox."}


def _spec(name: str, description: str, properties: dict[str, Any], required: list[str]) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=description,
        parameters={
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            "required": required,
        },
    )


SANDBOX_SPECS: dict[str, ToolSpec] = {
    s.name: s
    for s in (
        _spec(
            "create_sandbox",
            "Start a Linux sandbox for running commands and Python code. Returns its sandbox_id, which the "
            "other sandbox tools take; reuse it for related work.",
            {
                "timeout": {
                    "type": "integer",
                    "default": DEFAULT_TIMEOUT,
                    "description": "Seconds of inactivity after which the sandbox shuts down (at most 600).",
                }
            },
            [],
        ),
        _spec(
            "run_command",
            "Run a short shell command in a sandbox (no servers or long jobs). Returns "
            "CommandResult(stderr=..., stdout=..., exit_code=..., error=...).",
            {"command": {"type": "string", "description": "The shell command."}, "sandbox_id": _SANDBOX_ID},
            ["command", "sandbox_id"],
        ),
        _spec(
            "run_python_code",
            "Run a short Python snippet in a sandbox and return what it printed, the value of its last "
            "expression and any error, as Execution(Results: ..., Logs: Logs(stdout: ..., stderr: ...), "
            "Error: ...). Files in the sandbox persist between calls.",
            {"code_block": {"type": "string", "description": "The Python code."}, "sandbox_id": _SANDBOX_ID},
            ["code_block", "sandbox_id"],
        ),
        _spec(
            "upload_file_from_local_to_sandbox",
            "Copy a file from the local machine into a sandbox. Returns the file's path in the sandbox.",
            {
                "sandbox_id": _SANDBOX_ID,
                "local_file_path": {"type": "string", "description": "Path of the local file."},
                "sandbox_file_path": {
                    "type": "string",
                    "default": HOME,
                    "description": "Folder (or full file path) in the sandbox; default /home/user.",
                },
            },
            ["sandbox_id", "local_file_path"],
        ),
        _spec(
            "download_file_from_internet_to_sandbox",
            "Download a file from a URL into a sandbox (keep it small). Returns the file's path in the "
            "sandbox.",
            {
                "sandbox_id": _SANDBOX_ID,
                "url": {"type": "string", "description": "The URL of the file."},
                "sandbox_file_path": {
                    "type": "string",
                    "default": HOME,
                    "description": "Folder (or full file path) in the sandbox; default /home/user.",
                },
            },
            ["sandbox_id", "url"],
        ),
    )
}


# Strict argument checks (unknown arguments are errors), reported in pydantic's own layout.
_STRICT = ConfigDict(extra="forbid")


@validate_call(config=_STRICT)
def _create_sandbox(timeout: int = DEFAULT_TIMEOUT) -> None: ...


@validate_call(config=_STRICT)
def _run_command(command: str, sandbox_id: str) -> None: ...


@validate_call(config=_STRICT)
def _run_python_code(code_block: str, sandbox_id: str = "") -> None: ...  # no id: a one-off sandbox


@validate_call(config=_STRICT)
def _upload_file_from_local_to_sandbox(
    sandbox_id: str, local_file_path: str, sandbox_file_path: str = HOME
) -> None: ...


@validate_call(config=_STRICT)
def _download_file_from_internet_to_sandbox(
    sandbox_id: str, url: str, sandbox_file_path: str = HOME
) -> None: ...


_VALIDATORS: dict[str, Callable[..., None]] = {
    "create_sandbox": _create_sandbox,
    "run_command": _run_command,
    "run_python_code": _run_python_code,
    "upload_file_from_local_to_sandbox": _upload_file_from_local_to_sandbox,
    "download_file_from_internet_to_sandbox": _download_file_from_internet_to_sandbox,
}


def validate_arguments(tool: str, arguments: dict[str, Any]) -> None:
    """Raise :class:`ToolResponseError` with pydantic's message (``... for call[<tool>]``) on bad arguments."""
    try:
        _VALIDATORS[tool](**arguments)
    except ValidationError as e:
        lines = str(e).splitlines()
        m = re.match(r"^(\d+) validation errors? for ", lines[0]) if lines else None
        if m:
            n = m.group(1)
            lines[0] = f"{n} validation {'error' if n == '1' else 'errors'} for call[{tool}]"
        raise ToolResponseError("\n".join(lines)) from None


def truncate_result(text: str) -> str:
    """A response cut to 20,000 characters, saying so."""
    if len(text) > MAX_RESULT_LEN:
        return text[:MAX_RESULT_LEN] + " [Result truncated due to length limit]"
    return text


def _error(message: str) -> ToolResponseError:
    return ToolResponseError(truncate_result(f"[ERROR]: {message}"))


def looks_like_dir(path: str) -> bool:
    """A sandbox path names a folder when it ends with ``/`` or its last part has no extension."""
    return path.endswith("/") or not os.path.splitext(path)[1]


def target_path(folder_or_file: str, basename: str) -> str:
    """Where a file lands: ``folder/basename`` for a folder, else the path itself (normalized)."""
    path = folder_or_file or HOME
    if looks_like_dir(path):
        path = os.path.join(path, basename)
    return os.path.normpath(os.path.join(HOME, path))


class SandboxSessions:
    """The sandboxes of every running rollout, on one backend (shared by the five tools).

    Args:
        backend: where sandboxes run.
        cfg: limits (``max_sandboxes`` per rollout, ``upload_roots``).
    """

    def __init__(self, backend: SandboxBackend, cfg: SandboxConfig):
        self.backend = backend
        self.cfg = cfg
        self.owned: dict[str, list[str]] = {}
        self._lock = asyncio.Lock()

    async def create(self, timeout: int) -> str:
        session = current_session()
        mine = self.owned.setdefault(session, [])
        if len(mine) >= self.cfg.max_sandboxes:
            raise _error(
                f"this run already has {len(mine)} sandboxes ({', '.join(mine)}); reuse one of them instead "
                "of creating another."
            )
        sid = await self.backend.create(max(1, min(int(timeout), DEFAULT_TIMEOUT)))
        mine.append(sid)
        return sid

    async def check(self, sandbox_id: str) -> str:
        """The id, once it is known to be a live sandbox of this rollout (else a response error)."""
        sid = sandbox_id.strip()
        if sid.lower() in PLACEHOLDER_IDS:
            raise _error(
                f"'{sid}' is not a valid sandbox_id. Please create a real sandbox first using create_sandbox."
            )
        if sid not in self.owned.get(current_session(), []) or not await self.backend.exists(sid):
            raise _error(
                f"Failed to connect to sandbox {sid}. Make sure the sandbox is created and the sandbox_id is "
                "correct."
            )
        return sid

    async def end(self, session: str) -> None:
        """Kill every sandbox of ``session`` (idempotent: the five tools all call it)."""
        for sid in self.owned.pop(session, []):
            await self.backend.kill(sid)

    async def aclose(self) -> None:
        for session in list(self.owned):
            await self.end(session)
        await self.backend.aclose()


class SandboxTool(Tool):
    """One of the five sandbox tools (all share one :class:`SandboxSessions`)."""

    def __init__(self, name: str, sessions: SandboxSessions):
        self.spec = SANDBOX_SPECS[name]
        self.sessions = sessions

    async def end_session(self, session: str) -> None:
        await self.sessions.end(session)

    async def aclose(self) -> None:
        await self.sessions.aclose()

    async def __call__(self, arguments: dict[str, Any]) -> str:
        validate_arguments(self.name, arguments)
        try:
            return truncate_result(await getattr(self, "_" + self.name)(**arguments))
        except ToolResponseError:
            raise
        except ToolError as e:
            raise _error(str(e)[:MAX_ERROR_LEN]) from None

    @property
    def backend(self) -> SandboxBackend:
        return self.sessions.backend

    async def _create_sandbox(self, timeout: int = DEFAULT_TIMEOUT) -> str:
        try:
            sid = await self.sessions.create(timeout)
        except SandboxError as e:
            raise _error(f"Failed to create sandbox: {str(e)[:MAX_ERROR_LEN]}, please retry later.") from None
        return f"Sandbox created with sandbox_id: {sid}"

    async def _run_command(self, command: str, sandbox_id: str) -> str:
        sid = await self.sessions.check(sandbox_id)
        res = await self.backend.run_command(sid, command)
        if res.exit_code != 0 and not res.error:
            # the layout of the E2B SDK's CommandExitException, which the v2 tool returned for a failed command
            details = f"Command exited with code {res.exit_code} and error:\n{res.stderr}"[:MAX_ERROR_LEN]
            raise _error(
                f"Failed to run command.\n\nException type: CommandExitException\nDetails: {details}"
            )
        return str(res)

    async def _run_python_code(self, code_block: str, sandbox_id: str = "") -> str:
        sid = sandbox_id.strip()
        if not sid or sid.lower() in PLACEHOLDER_IDS:  # a one-off sandbox, as in the v2 tool
            one_off = await self.backend.create(DEFAULT_TIMEOUT)
            try:
                return str(await self.backend.run_python(one_off, code_block))
            finally:
                await self.backend.kill(one_off)
        sid = await self.sessions.check(sid)
        return str(await self.backend.run_python(sid, code_block))

    async def _upload_file_from_local_to_sandbox(
        self, sandbox_id: str, local_file_path: str, sandbox_file_path: str = HOME
    ) -> str:
        sid = await self.sessions.check(sandbox_id)
        roots = [os.path.realpath(os.path.expanduser(r)) for r in self.sessions.cfg.upload_roots]
        if not roots:
            raise _error(
                "Uploads from the local machine are turned off (tools.sandbox.upload_roots is empty)."
            )
        real = os.path.realpath(os.path.expanduser(local_file_path))
        if not any(os.path.commonpath([real, r]) == r for r in roots):
            raise _error(f"Local file is outside the folders uploads may read from: {local_file_path}")
        if not os.path.exists(real):
            raise _error(f"Local file does not exist: {local_file_path}")
        if not os.path.isfile(real):
            raise _error(f"Path is not a file: {local_file_path}")
        if os.path.getsize(real) > self.sessions.cfg.max_file_mb * 1024 * 1024:
            raise _error(f"Local file is larger than the sandbox's file-size limit: {local_file_path}")
        data = await asyncio.to_thread(_read_file, real)
        path = target_path(sandbox_file_path, os.path.basename(real))
        try:
            written = await self.backend.write_file(sid, path, data)
        except ToolError as e:
            raise _error(f"Failed to upload file {local_file_path} to sandbox {sid}: {e}") from None
        return f"File uploaded to {written}"

    async def _download_file_from_internet_to_sandbox(
        self, sandbox_id: str, url: str, sandbox_file_path: str = HOME
    ) -> str:
        sid = await self.sessions.check(sandbox_id)
        basename = os.path.basename(urlparse(url).path) or "downloaded_file"
        path = target_path(sandbox_file_path, basename)
        try:
            written = await self.backend.download(sid, url, path)
        except ToolError as e:
            raise _error(f"Failed to download file from {url} to {path}: {str(e)[:MAX_ERROR_LEN]}") from None
        return f"File downloaded to {written}"


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def sandbox_tools(backend: SandboxBackend, cfg: SandboxConfig, names: list[str] | None = None) -> list[Tool]:
    """The sandbox tools named in ``names`` (default: all five), sharing one session table."""
    sessions = SandboxSessions(backend, cfg)
    return [SandboxTool(n, sessions) for n in (names or list(SANDBOX_SPECS))]
