"""Every error openseeker raises on purpose, in one place.

The tree::

    OpenSeekerError                 base class; catch this to handle any openseeker failure
    ├── ConfigError                 a config file, flag or environment variable is invalid
    ├── PrerequisiteError           an optional dependency or a model/data file is missing
    ├── DataError                   input data is corrupt or malformed (names file and position)
    ├── StageError                  a pipeline stage could not run (run folder, shard state)
    │   └── RunLockedError          another process is running the same stage on the same run folder
    ├── LLMError                    a language-model call failed
    │   ├── LLMTimeoutError         the request did not finish within its timeout
    │   ├── LLMRateLimitError       the endpoint said 429 and retries were exhausted
    │   ├── LLMServerError          the endpoint answered 5xx / dropped the connection, retries exhausted
    │   ├── LLMResponseError        the endpoint answered, but the body is not a valid response
    │   ├── ContextLengthError      the prompt does not fit the model's context window
    │   └── StructuredOutputError   the model's output never matched the expected schema
    ├── ToolError                   a tool failed; the agent sees the message as an observation
    └── BudgetExceededError         a configured budget (calls, spend) is used up; resume later

Messages say what went wrong *and* what to do about it. Each class carries the exit status the CLI
ends with when it reaches the top (:class:`ExitCode`, one table for every command).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar


class ExitCode(IntEnum):
    """The exit status of every ``openseeker`` command."""

    OK = 0
    """Everything asked for was done (deliberate rejections are results, not failures)."""
    PARTIAL = 1
    """Some inputs failed; they are counted (``errors.jsonl``, the printed summary) and re-running the
    same command retries them. Also: the one input of a command failed (a URL, a query, a page key)."""
    USAGE = 2
    """Nothing was run: a bad flag, config key or value, unusable input data, or a missing prerequisite."""
    FAILED = 3
    """The command stopped on an error it could not count per input (a model or service failing outside a
    stage, a used-up budget, an unexpected internal error)."""
    BUSY = 75
    """Another process is running the same stage on the same run folder (EX_TEMPFAIL: try again later)."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C) or aborted at a prompt."""


class OpenSeekerError(Exception):
    """Base class of every error openseeker raises on purpose."""

    exit_code: ClassVar[int] = ExitCode.FAILED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, for rejects files and trajectory records."""
        return {"type": type(self).__name__, "message": str(self)}


class ConfigError(OpenSeekerError):
    """A configuration value is invalid or missing."""

    exit_code = ExitCode.USAGE


class PrerequisiteError(OpenSeekerError):
    """An optional dependency, model file or data file is missing."""

    exit_code = ExitCode.USAGE


def missing_extra(package: str, extra: str, feature: str) -> PrerequisiteError:
    """Build the error for a missing optional dependency, with the install command."""
    return PrerequisiteError(
        f"{feature} needs the Python package {package!r}, which is not installed. "
        f"Install it with: pip install 'openseeker[{extra}]'"
    )


class DataError(OpenSeekerError):
    """Input data is corrupt or malformed. The message names the file and the position."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, path: str | None = None, position: str | int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if position is not None:
                where += f" at {position}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.position = position


class StageError(OpenSeekerError):
    """A pipeline stage could not run."""

    exit_code = ExitCode.USAGE


class RunLockedError(StageError):
    """Another process holds the lock of this run folder and stage (its PID is in the message)."""

    exit_code = ExitCode.BUSY

    def __init__(self, message: str, *, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class LLMError(OpenSeekerError):
    """A language-model call failed."""

    retryable: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class LLMTimeoutError(LLMError):
    """The request did not finish within its timeout."""

    retryable = True


class LLMRateLimitError(LLMError):
    """HTTP 429 from the endpoint."""

    retryable = True


class LLMServerError(LLMError):
    """HTTP 5xx or a dropped connection."""

    retryable = True


class LLMResponseError(LLMError):
    """The endpoint answered with something that is not a valid response (client errors, garbage)."""


class ContextLengthError(LLMError):
    """The prompt (plus max_tokens) does not fit the model's context window."""


class StructuredOutputError(LLMError):
    """The model's output did not match the expected schema after every allowed re-ask."""

    def __init__(self, message: str, *, raw: str | None = None, reason: str = "invalid_json"):
        super().__init__(message)
        self.raw = raw
        self.reason = reason


class ToolError(OpenSeekerError):
    """A tool failed. The agent loop turns this into an observation the model can read."""

    exit_code = ExitCode.PARTIAL  # at the top of a command it is that command's one input failing


class BudgetExceededError(OpenSeekerError):
    """A budget (maximum calls or spend) is used up. Re-run later with a larger budget to resume."""
