"""What a command tells the user when it is interrupted: the exact command that resumes it.

:func:`main <openseeker.cli.main.main>` records the arguments of the invocation; a command whose work is
resumable calls :func:`resumable` when it starts, and the Ctrl-C handler of ``main`` then prints the
command to run again (the same one: resumable stages skip what they finished).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

# the arguments of the current invocation (set by main) and the resume command of a resumable command
_state: dict[str, list[str] | str | None] = {"argv": None, "resume": None, "note": None}


def set_argv(argv: Sequence[str]) -> None:
    """Record the arguments of this invocation (called by ``main``)."""
    _state["argv"] = list(argv)
    _state["resume"] = _state["note"] = None


def command_line(extra: Sequence[str] = ()) -> str:
    """The command as the user ran it (as ``openseeker ...``), with the flags of ``extra`` appended when absent."""
    argv = _state["argv"]
    args = list(argv) if isinstance(argv, list) else sys.argv[1:]
    args += [flag for flag in extra if flag not in args]
    return shlex.join(["openseeker", *args])


def resumable(extra: Sequence[str] = (), *, note: str | None = None) -> None:
    """Declare the running command resumable: on Ctrl-C, ``main`` prints :func:`command_line` (``extra``
    added), after ``note`` (what was written so far, for instance)."""
    _state["resume"] = command_line(extra)
    _state["note"] = note


def resume_hint() -> str | None:
    """What to print on Ctrl-C for the running command (None when it did not declare itself resumable)."""
    command, note = _state["resume"], _state["note"]
    if not isinstance(command, str):
        return None
    lead = f"{note}\n" if isinstance(note, str) else ""
    return f"{lead}Finished work is kept; resume with:\n  {command}"
