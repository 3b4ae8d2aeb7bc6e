"""The one flag vocabulary of the ``openseeker`` commands: shared options, and old spellings kept for a release.

A flag means the same thing in every command that has it (the table is in the README's foundation section,
and ``tests/core/test_flag_vocabulary.py`` checks the commands against it):

* ``-o/--out`` where a command writes; ``--config`` the YAML/TOML file; ``--json`` machine-readable output;
* ``-k/--top-k`` results per query (never a number of samples); ``--samples`` samples per question,
  ``--subset`` a seeded random subset of questions, ``--seeds`` QA seeds to try, ``--limit`` at most N inputs;
* role flags (``--llm``, ``--generator``, ``--verifier``, ``--judge``, ``--teacher``, ``--summarizer``) take a
  model, ``provider/model``; ``--judge-style`` takes a judge style;
* ``-q/--quiet`` plain progress lines for logs and CI, ``--no-progress`` none.

Spellings that meant something else, or that were odd (``--n``, ``--k``, ``eval run -k``, ``--sample``,
``eval run --judge STYLE``), still work for one release as hidden aliases (:func:`old_spellings`), with a
warning naming the new spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click

F = Callable[..., Any]


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from openseeker.pipeline.progress import set_mode

    set_mode("plain" if value else None)


def quiet_option(f: F) -> F:
    """``-q/--quiet``: plain progress lines (one every 30 s, for logs and CI) instead of the live display."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="Plain progress lines every 30 s (for logs and CI) instead of the live display.",
    )(f)


def no_progress_option(f: F) -> F:
    """``--no-progress``: no progress display at all (the value is passed as ``no_progress``)."""
    return click.option("--no-progress", is_flag=True, help="No progress display.")(f)


def progress_options(f: F) -> F:
    """``--no-progress`` and ``-q/--quiet``, for every command that runs a stage."""
    return no_progress_option(quiet_option(f))


def out_option(help: str, *, dest: str = "out", **kwargs: Any) -> Callable[[F], F]:
    """``-o/--out``: where the command writes."""
    return click.option("--out", "-o", dest, help=help, **kwargs)


def top_k_option(help: str = "Results per query.", **kwargs: Any) -> Callable[[F], F]:
    """``-k/--top-k``: results per query."""
    return click.option("--top-k", "-k", "top_k", type=int, help=help, **kwargs)


# --- old spellings -------------------------------------------------------------------------------------


def old_spellings(mapping: Mapping[str, str]) -> Callable[[click.Command], click.Command]:
    """Keep the old spellings of a command's options working, hidden, for one release.

    ``mapping`` maps an old flag (``--n``, ``-k``) to its new spelling (``--seeds``). An old flag on the
    command line is rewritten before click parses it (``--n 5``, ``--n=5`` and ``-k3`` alike) and a warning
    names the new spelling. The old flags appear in no help text. Apply it on top of the command decorator.
    """

    def decorate(cmd: click.Command) -> click.Command:
        original = cmd.parse_args

        def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
            return original(ctx, rewrite_old_spellings(args, mapping, ctx.command_path))

        cmd.parse_args = parse_args  # type: ignore[method-assign]
        cmd.old_spellings = dict(mapping)  # type: ignore[attr-defined]  # read by the vocabulary test
        return cmd

    return decorate


def rewrite_old_spellings(args: Sequence[str], mapping: Mapping[str, str], where: str = "") -> list[str]:
    """``args`` with every old spelling of ``mapping`` replaced by its new one (a warning for each)."""
    out: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":  # everything after it is positional
            out.append(arg)
            out.extend(rest)
            break
        new = _rewrite(arg, mapping)
        if new != arg:
            old = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
            click.echo(
                f"warning: {where + ' ' if where else ''}{old} is an old spelling; use {mapping[old]} "
                "(the old one goes in the next release)",
                err=True,
            )
        out.append(new)
    return out


def _rewrite(arg: str, mapping: Mapping[str, str]) -> str:
    if arg in mapping:
        return mapping[arg]
    if arg.startswith("--") and "=" in arg:
        flag, value = arg.split("=", 1)
        if flag in mapping:
            return f"{mapping[flag]}={value}"
    elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2 and arg[:2] in mapping:
        return f"{mapping[arg[:2]]}={arg[2:]}"  # -k3
    return arg


_EXECUTOR_META = "openseeker.executor"


def _store_executor(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name:
        ctx.meta.setdefault(_EXECUTOR_META, {})[param.name] = value


def executor_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--executor local|ray``, ``--ray-address ADDR``, ``--workers N``: where a sharded stage's shards run
    (read back with :func:`executor_override`; ``--ray-address`` or ``--workers`` alone mean ``ray``)."""
    opts = [
        click.option(
            "--executor",
            type=click.Choice(["local", "ray"]),
            expose_value=False,
            callback=_store_executor,
            help="Where shards run: local (this process) or ray (each shard a Ray task).",
        ),
        click.option(
            "--ray-address",
            "address",
            expose_value=False,
            callback=_store_executor,
            help="A running Ray cluster (ray://head:10001, head:6379, auto); default: a local one.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            expose_value=False,
            callback=_store_executor,
            help="Shards in flight at once on Ray (the endpoints' max_concurrency is split among them).",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def executor_override() -> dict[str, Any] | None:
    """The ``executor`` config override of :func:`executor_options` (``None`` when none was given)."""
    ctx = click.get_current_context(silent=True)
    given: dict[str, Any] = dict(ctx.meta.get(_EXECUTOR_META, {})) if ctx is not None else {}
    if not given:
        return None
    kind = given.pop("executor", None) or "ray"
    return {"kind": kind, **given}


_ENDPOINT_META = "openseeker.endpoint"


def _store_endpoint(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None and param.name:
        ctx.meta.setdefault(_ENDPOINT_META, {})[param.name] = value


def endpoint_options(
    llm_help: str = "The model of every role not named otherwise, provider/model.",
) -> Callable[[F], F]:
    """``--llm MODEL`` and ``--base-url URL``: the model every role uses unless a role flag or the config names
    another, and the OpenAI-compatible endpoint of the models named on the command line (read back with
    :func:`roles_override`)."""

    def decorate(f: F) -> F:
        opts = [
            click.option("--llm", expose_value=False, callback=_store_endpoint, help=llm_help),
            click.option(
                "--base-url",
                expose_value=False,
                callback=_store_endpoint,
                help="OpenAI-compatible endpoint of --llm and of the role models given here "
                "(e.g. http://127.0.0.1:8080/v1 for a llama.cpp server, :8000/v1 for vLLM).",
            ),
        ]
        for opt in reversed(opts):
            f = opt(f)
        return f

    return decorate


def roles_override(**named: str | None) -> dict[str, Any] | None:
    """The ``roles`` config override of :func:`endpoint_options` and the command's role flags.

    ``--llm`` and ``--base-url`` go to the ``default`` role; each role flag given (``generator="openai/x"``)
    sets that role's model, with the ``--base-url`` endpoint unless it is an in-process ``llamacpp/`` model.
    Roles the command line does not name keep what the config file gives them. ``None`` when nothing was given.
    """
    ctx = click.get_current_context(silent=True)
    given: dict[str, Any] = dict(ctx.meta.get(_ENDPOINT_META, {})) if ctx is not None else {}

    def entry(model: str | None) -> dict[str, Any]:
        e: dict[str, Any] = {"model": model} if model else {}
        if "base_url" in given and not (model or "").startswith("llamacpp/"):
            e["base_url"] = given["base_url"]
        return e

    roles = {role: entry(model) for role, model in named.items() if model}
    if default := entry(given.get("llm")):
        roles["default"] = default
    return roles or None
