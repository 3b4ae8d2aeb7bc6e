"""A live, readable trace of an agent run in the terminal (rich)."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from openseeker.agent.records import Step, Trajectory


def _clip(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n] + f" ... [{len(text) - n} more chars]"


class TracePrinter:
    """An ``on_step`` callback that prints each step as a panel.

    Args:
        console: where to print.
        max_chars: how much of each reasoning text and tool response to show.
    """

    def __init__(self, console: Console | None = None, max_chars: int = 600):
        self.console = console or Console()
        self.max_chars = max_chars

    def __call__(self, traj: Trajectory, step: Step) -> None:
        parts: list[Text] = []
        if step.reasoning:
            parts.append(Text(_clip(step.reasoning, self.max_chars), style="italic dim"))
        for c in step.calls:
            parts.append(
                Text(f"-> {c.name} {json.dumps(c.arguments, ensure_ascii=False)}", style="bold cyan")
            )
            style = "red" if c.error else "green"
            parts.append(Text(_clip(c.response, self.max_chars), style=style))
        if step.parse_error:
            parts.extend(self._unparsed(step))
        if step.answer is not None:
            parts.append(Text(f"Answer: {step.answer}", style="bold magenta"))
        title = f"step {step.index + 1}" + (" (tools disabled)" if step.forced else "")
        subtitle = f"{traj.tool_calls} tool calls, ~{step.prompt_tokens} prompt tokens, {step.seconds:.1f}s"
        self.console.print(Panel(Group(*parts), title=title, subtitle=subtitle, title_align="left"))

    def _unparsed(self, step: Step) -> list[Text]:
        """A turn that did not parse: what the model wrote (after its reasoning), then the correction it gets."""
        wrote = step.content.strip()
        shown = _clip(wrote, self.max_chars) if wrote else "(nothing after the reasoning)"
        return [
            Text.assemble(("model output (not parsed): ", "bold yellow"), (shown, "yellow")),
            Text.assemble(("-> correction sent to the model: ", "bold"), (_clip(step.parse_error or "", self.max_chars), "dim")),
        ]

    def summary(self, traj: Trajectory) -> None:
        """Print the outcome of the run."""
        self.console.print(
            f"[bold]finish:[/bold] {traj.finish_reason}  [bold]tool calls:[/bold] {traj.tool_calls}  "
            f"[bold]steps:[/bold] {len(traj.steps)}  [bold]time:[/bold] {traj.seconds:.1f}s"
        )
        self.console.print(
            f"[bold magenta]Final answer:[/bold magenta] {traj.final_answer or traj.final_response}"
        )
