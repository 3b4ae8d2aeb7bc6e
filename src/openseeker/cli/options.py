"""Options shared by several commands, defined once so that they are spelled and documented alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from openseeker.pipeline.progress import set_mode

    set_mode("plain" if value else None)


def quiet_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``-q/--quiet``: plain progress lines (one every 30 s, for logs and CI) instead of the live display."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="Plain progress lines every 30 s (for logs and CI) instead of the live display.",
    )(f)
