"""Sandboxed code execution for the OpenSeeker-v2 tools: backends (``local`` on bubblewrap, ``e2b``) and
the records they return."""

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

__all__ = [
    "CommandResult",
    "Execution",
    "ExecutionError",
    "Logs",
    "Result",
    "SandboxBackend",
    "SandboxError",
    "sandbox_backends",
]
