"""Running a command in a pseudo-terminal as a user's shell would (for tests that press Ctrl-C)."""

from __future__ import annotations

import signal


def restore_terminal_signals() -> None:
    """``preexec_fn`` for a child started in a pseudo-terminal (``pexpect.spawn(..., preexec_fn=...)``):
    Ctrl-C and Ctrl-\\ act as in an interactive terminal.

    A background job of a non-interactive shell (``nohup pytest ... &``, some CI runners) inherits SIGINT
    and SIGQUIT as *ignored*, every descendant inherits that, and Python then installs no
    ``KeyboardInterrupt`` handler: the child would never see the Ctrl-C the test sends.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
