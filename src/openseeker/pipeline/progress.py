"""The progress of a stage run: a live display in a terminal, plain lines in logs and CI.

What it shows (both forms)::

    QA synthesis (k=3) ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 3/8 seeds 0:02:10 ETA 0:04:20
      1 kept · 2 rejected · 0 failed │ LLM: 2 calls in flight · 18.5 tok/s · 12,345 tokens │ now: extract 1 · verify 1

* the inputs done of the total (inputs finished by an earlier run count as done at once);
* the ETA: the inputs left times the average time per input *of this run* (unknown until one finishes);
* kept (outputs written), rejected (deliberate rejections), failed (errors, retried on the next run);
* the LLM activity of the whole process (:mod:`openseeker.activity`): calls sent and not yet
  answered (including calls queued behind a concurrency limit), completion tokens per second over the last
  30 s, and tokens so far;
* the step each input in flight is at, for stages that name their steps (``ctx.step("extract")``).

Modes: ``live`` (rich, redrawn in place, on stderr), ``plain`` (one line on stderr every
``OPENSEEKER_PROGRESS_INTERVAL`` seconds, default 30, and one at the end: no terminal control codes), ``off``.
The mode is, in order: :func:`set_mode` (the CLI's ``--quiet`` / ``--no-progress``), the environment
variable ``OPENSEEKER_PROGRESS`` (``live``, ``plain``, ``off``), else ``live`` when stderr is a terminal and
``plain`` when it is not.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from openseeker.activity import METER

Mode = Literal["live", "plain", "off"]
MODES = ("live", "plain", "off")
_chosen: dict[str, Mode | None] = {"mode": None}


def set_mode(mode: Mode | None) -> None:
    """Choose the progress mode of this process (``None``: back to the environment / terminal default)."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"progress mode must be one of {', '.join(MODES)}, not {mode!r}")
    _chosen["mode"] = mode


def resolve_mode() -> Mode:
    """The progress mode in force (see the module docstring)."""
    if _chosen["mode"] is not None:
        return _chosen["mode"]
    env = os.environ.get("OPENSEEKER_PROGRESS", "").strip().lower()
    if env in MODES:
        return env  # type: ignore[return-value]
    return "live" if sys.stderr.isatty() else "plain"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class StageProgress:
    """Counts of one stage run and their display.

    Args:
        label: what runs (``QA synthesis (k=3)``).
        total: the number of inputs (None when unknown).
        unit: what an input is (``seeds``, ``rollouts``, ...).
        steps: returns the current step of each input in flight (may be empty).
        mode: ``live``, ``plain`` or ``off`` (default: :func:`resolve_mode`).
        interval: seconds between plain lines.
        write: where plain lines go (default: stderr).
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "inputs",
        steps: Callable[[], list[str | None]] | None = None,
        mode: Mode | None = None,
        interval: float | None = None,
        write: Callable[[str], Any] | None = None,
    ):
        self.label, self.total, self.unit = label, total, unit
        self.steps = steps or (lambda: [])
        self.mode: Mode = mode or resolve_mode()
        self.interval = interval if interval is not None else float(os.environ.get("OPENSEEKER_PROGRESS_INTERVAL", 30))
        self.write = write or (lambda line: (sys.stderr.write(line + "\n"), sys.stderr.flush()))
        self.skipped = self.kept = self.rejected = self.failed = self.processed = 0
        self.started = time.monotonic()
        self._live: Any = None
        self._task: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ counts

    @property
    def done(self) -> int:
        return self.skipped + self.processed

    def add_skipped(self, n: int) -> None:
        """``n`` inputs finished by an earlier run."""
        self.skipped += n
        self._refresh()

    def add_result(self, kept: int = 0, rejected: int = 0, failed: bool = False) -> None:
        """One input finished in this run with ``kept`` outputs and ``rejected`` rejections (or failed)."""
        self.processed += 1
        self.kept += kept
        self.rejected += rejected
        self.failed += int(failed)
        self._refresh()

    def eta(self) -> float | None:
        """Seconds left at this run's average time per input; None until an input has finished."""
        if self.total is None or self.processed == 0:
            return None
        per_input = (time.monotonic() - self.started) / self.processed
        return max(0, self.total - self.done) * per_input

    # ------------------------------------------------------------------ text

    def counts_text(self, sep: str = " · ") -> str:
        return sep.join([f"{self.kept} kept", f"{self.rejected} rejected", f"{self.failed} failed"])

    def llm_text(self, sep: str = " · ") -> str:
        snap = METER.snapshot()
        if snap.calls == 0 and snap.in_flight == 0:
            return "LLM: no call yet"
        rate = "? tok/s" if snap.tokens_per_second is None else f"{snap.tokens_per_second:.1f} tok/s"
        tokens = snap.prompt_tokens + snap.completion_tokens
        calls = "1 call" if snap.in_flight == 1 else f"{snap.in_flight} calls"
        return "LLM: " + sep.join([f"{calls} in flight", rate, f"{tokens:,} tokens"])

    def steps_text(self, sep: str = " · ") -> str:
        counts = Counter(s for s in self.steps() if s)
        return ("now: " + sep.join(f"{name} {n}" for name, n in counts.items())) if counts else ""

    def status_line(self) -> str:
        """The second line of the live display."""
        parts = [self.counts_text(), self.llm_text(), self.steps_text()]
        return "  " + " │ ".join(p for p in parts if p)

    def plain_line(self) -> str:
        """One self-contained line for logs."""
        total = "?" if self.total is None else str(self.total)
        elapsed = _clock(time.monotonic() - self.started)
        parts = [
            f"[{self.label}] {self.done}/{total} {self.unit} ({self.counts_text(', ')})",
            f"{elapsed} elapsed, ETA {_clock(self.eta())}",
            self.llm_text(", "),
            self.steps_text(", "),
        ]
        return " | ".join(p for p in parts if p)

    # ------------------------------------------------------------------ display

    def start(self) -> StageProgress:
        self.started = time.monotonic()
        if self.mode == "live":
            self._start_live()
        elif self.mode == "plain":
            self._thread = threading.Thread(target=self._plain_loop, name="openseeker-progress", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the display (a live display stays on screen as it last was; plain mode writes a last line)."""
        if self._live is not None:
            self._refresh()
            self._live.stop()
            self._live = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
            self.write(self.plain_line())

    def _plain_loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.write(self.plain_line())

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._task, completed=self.done)

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        me = self

        class Eta(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"ETA {_clock(me.eta())}", style="cyan")

        class Display(Progress):
            def get_renderables(self) -> Any:
                yield self.make_tasks_table(self.tasks)
                yield Text(me.status_line(), style="dim")

        self._live = Display(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(self.unit),
            TimeElapsedColumn(),
            Eta(),
            console=Console(stderr=True),
            refresh_per_second=4,
        )
        self._live.start()
        self._task = self._live.add_task(self.label, total=self.total, completed=self.done)
