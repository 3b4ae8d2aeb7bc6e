"""``openseeker agent``: run the search agent on one question with a live trace."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from openseeker.cli.options import endpoint_options, old_spellings, out_option, roles_override


@click.group()
def agent() -> None:
    """Run the search agent (the same loop that synthesizes trajectories and is evaluated)."""


@old_spellings({"--save": "--out"})
@agent.command("ask")
@click.argument("question")
@click.option(
    "--corpus",
    type=click.Path(),
    help="Corpus folder (or `corpus serve` URL) for the search/visit tools; default: the embedded default "
    "corpus, built once under ~/.cache/openseeker.",
)
@endpoint_options("Agent model, provider/model (e.g. llamacpp/smollm2, completions/OpenSeeker-v1-30B-SFT).")
@click.option("--summarizer", help="Model for visit extraction and retrospective summaries (default: --llm).")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
@click.option(
    "--mode", type=click.Choice(["text", "native"]), help="OpenSeeker tags in text, or native tool calls."
)
@click.option(
    "--context", type=click.Choice(["raw", "retrospective"]), help="What the model sees of old responses."
)
@click.option("--max-tool-calls", type=int, help="Tool-call limit (default 200).")
@click.option("--max-tokens", type=int, help="Generation budget of one turn.")
@click.option(
    "--constrain/--no-constrain",
    default=None,
    help="Force the turn format with a grammar (default: on for llamacpp models).",
)
@out_option(
    "Write the trajectory record (JSON) here; also the partial one when the run fails or is interrupted.",
    dest="save",
    type=click.Path(dir_okay=False),
)
@click.option(
    "--max-chars", type=int, default=600, show_default=True, help="Characters shown per trace item."
)
def ask(
    question: str,
    corpus: str | None,
    summarizer: str | None,
    config_file: str | None,
    mode: str | None,
    context: str | None,
    max_tool_calls: int | None,
    max_tokens: int | None,
    constrain: bool | None,
    save: str | None,
    max_chars: int,
) -> None:
    """Answer QUESTION with the search agent, printing each step as it happens.

    \b
    Examples:
      openseeker agent ask "Which weaver founded the town of Brackley?"   # the embedded default corpus
      openseeker agent ask "Who designed the Analytical Engine?" --corpus corpus/
      openseeker agent ask "..." --corpus corpus/ --llm openai/gpt-4.1 --mode native
      openseeker agent ask "..." --corpus corpus/ --llm openai/local --base-url http://127.0.0.1:8080/v1

    With --out, a run that fails or is interrupted (Ctrl-C) still writes the steps it finished, with
    finish_reason "error" or "interrupted" and the error in metadata.
    """

    from openseeker.agent import build_agent
    from openseeker.agent.config import AgentRunConfig
    from openseeker.agent.trace import TracePrinter
    from openseeker.config import load_config
    from openseeker.llm.registry import Roles

    overrides: dict[str, Any] = {}
    if roles_over := roles_override(summarizer=summarizer):
        overrides["roles"] = roles_over
    if corpus:
        overrides["tools"] = {"corpus": corpus}
    agent_over = {
        "mode": mode,
        "context": context,
        "max_tool_calls": max_tool_calls,
        "max_tokens": max_tokens,
        "constrain_format": constrain,
    }
    agent_over = {k: v for k, v in agent_over.items() if v is not None}
    if agent_over:
        overrides["agent"] = agent_over
    cfg = load_config(AgentRunConfig, config_file, overrides, section="agent_run")
    default_note = None
    if cfg.tools.corpus is None and "corpus" in (cfg.tools.search, cfg.tools.fetch):
        # No corpus, service or web backend named: the embedded default corpus (built once per user).
        from openseeker.default_corpus import default_corpus

        cfg.tools = cfg.tools.model_copy(update={"corpus": str(default_corpus())})
        default_note = (
            f"(no --corpus given: searching the embedded default corpus, a generated fictional encyclopedia "
            f"in {cfg.tools.corpus})"
        )
    agent_llm = cfg.roles.for_role("agent")
    if agent_llm.provider == "llamacpp" and constrain is None and cfg.agent.mode == "text":
        # Small local models keep the turn format by grammar. (Every model's budgets are fitted to its
        # context window when the agent starts.)
        cfg.agent = cfg.agent.model_copy(update={"constrain_format": True})
    roles = Roles(cfg.roles, cache_path=cfg.cache)
    printer = TracePrinter(max_chars=max_chars)
    # the run's trajectory as the loop builds it (steps are appended as they finish), kept for --save
    seen: dict[str, Any] = {}

    def on_step(traj: Any, step: Any) -> None:
        seen["traj"] = traj
        printer(traj, step)

    async def go() -> Any:
        try:
            bot = build_agent(roles, cfg.tools, cfg.agent)
            seen["model"] = bot.llm.name
            if default_note:
                printer.console.print(f"[dim]{default_note}[/dim]")
            printer.console.print(f"[bold]Question:[/bold] {question}  [dim]({bot.llm.name})[/dim]")
            return await bot.run(question, on_step=on_step)
        finally:
            await roles.aclose()

    try:
        traj = asyncio.run(go())
    except (Exception, KeyboardInterrupt) as e:
        if save:
            partial = _partial(seen, question, e)
            _write(save, partial)
            click.echo(
                f"Partial trajectory ({len(partial.steps)} finished steps, finish_reason "
                f"{partial.finish_reason!r}) written to {save}",
                err=True,
            )
        raise
    printer.summary(traj)
    if save:
        _write(save, traj)
        click.echo(f"Trajectory written to {save}")


def _partial(seen: dict[str, Any], question: str, error: BaseException) -> Any:
    """The trajectory of a run that raised: its finished steps, why it ended, and the error."""
    import uuid

    from openseeker.agent.records import Trajectory

    traj = seen.get("traj") or Trajectory(
        id=uuid.uuid4().hex[:12], question=question, model=seen.get("model", "")
    )
    traj.finish_reason = "interrupted" if isinstance(error, KeyboardInterrupt) else "error"
    traj.metadata["error"] = {"type": type(error).__name__, "message": str(error)}
    return traj


def _write(path: str, traj: Any) -> None:
    import orjson

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(orjson.dumps(traj.to_dict(), option=orjson.OPT_INDENT_2))
