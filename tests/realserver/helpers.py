"""Helpers of the real-server tests."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from openseeker.cli.main import cli

PROVIDERS = ("openai", "completions")


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """``openseeker ARGS`` in this process; the output is printed on failure by the caller's assert."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def rejected_requests(srv: Any, since: int = 0) -> list[tuple[str, str, int]]:
    """The requests the server answered with an error status (after the first ``since`` log lines), but
    for the context-window probe, which asks to be refused."""
    from openseeker.llm.servers import WINDOW_PROBE

    return [s for s in srv.statuses()[since:] if s[2] >= 400 and WINDOW_PROBE not in s[1]]
