"""What every sandbox backend returns, and the interface the sandbox tools drive.

The records print exactly as the E2B SDK's objects do (``CommandResult(stderr=..., stdout=...,
exit_code=..., error=...)``, ``Execution(Results: [...], Logs: Logs(stdout: [...], stderr: [...]),
Error: ...)``), because those strings are the tool-response layout the OpenSeeker-v2 model was trained
on (METHOD.md 5.5). A backend never raises for what the code did (non-zero exit, exception, timeout):
that is in the record. It raises :class:`SandboxError` when the sandbox itself cannot be used.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from openseeker.errors import ToolError
from openseeker.registry import Registry


class SandboxError(ToolError):
    """The sandbox cannot be created or reached (not: the code in it failed)."""


@dataclass
class CommandResult:
    """The outcome of a shell command; ``error`` says why it was stopped (timeout, a limit), if it was."""

    stderr: str
    stdout: str
    exit_code: int
    error: str = ""

    def __repr__(self) -> str:
        return (
            f"CommandResult(stderr={self.stderr!r}, stdout={self.stdout!r}, exit_code={self.exit_code!r}, "
            f"error={self.error!r})"
        )

    __str__ = __repr__


@dataclass
class ExecutionError:
    """An exception raised by executed Python code."""

    name: str
    value: str
    traceback: str

    def __repr__(self) -> str:
        return f"ExecutionError(name={self.name!r}, value={self.value!r}, traceback={self.traceback!r})"


@dataclass
class Result:
    """The value of the cell's last expression (its ``repr``), as a notebook would show it."""

    text: str

    def __repr__(self) -> str:
        return f"Result({self.text})"


@dataclass
class Logs:
    """What the code printed, in chunks."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Logs(stdout: {self.stdout}, stderr: {self.stderr})"


@dataclass
class Execution:
    """The outcome of running a Python cell."""

    results: list[Result] = field(default_factory=list)
    logs: Logs = field(default_factory=Logs)
    error: ExecutionError | None = None

    def __repr__(self) -> str:
        return f"Execution(Results: {self.results}, Logs: {self.logs}, Error: {self.error})"

    __str__ = __repr__


class SandboxBackend(ABC):
    """Creates sandboxes and runs code in them. Implementations: ``local`` (bubblewrap), ``e2b``.

    Sandbox ids are opaque strings. ``owner`` ties a sandbox to the process that made it, so that
    :meth:`reap` can remove what a crashed or killed process left behind.
    """

    name: str = ""

    @abstractmethod
    async def create(self, timeout: int) -> str:
        """A new sandbox that lives ``timeout`` seconds after its last use; returns its id."""

    @abstractmethod
    async def run_command(self, sandbox_id: str, command: str) -> CommandResult:
        """Run ``command`` with ``bash -c`` in the sandbox's working folder."""

    @abstractmethod
    async def run_python(self, sandbox_id: str, code: str) -> Execution:
        """Run a Python cell in the sandbox."""

    @abstractmethod
    async def write_file(self, sandbox_id: str, path: str, data: bytes) -> str:
        """Write ``data`` at ``path`` (absolute, or relative to the working folder); returns the path."""

    @abstractmethod
    async def download(self, sandbox_id: str, url: str, path: str) -> str:
        """Fetch ``url`` into ``path`` in the sandbox; returns the path. Raises :class:`ToolError`."""

    @abstractmethod
    async def kill(self, sandbox_id: str) -> None:
        """Stop the sandbox and delete everything in it (no error when it is already gone)."""

    @abstractmethod
    async def exists(self, sandbox_id: str) -> bool:
        """Whether ``sandbox_id`` is a live sandbox of this backend."""

    def reap(self) -> int:
        """Remove sandboxes whose owning process is gone; returns how many (default: none to do)."""
        return 0

    async def aclose(self) -> None:
        """Release clients (sandboxes are killed by their sessions, not here)."""
        return None


sandbox_backends: Registry[SandboxBackend] = Registry("sandbox")
