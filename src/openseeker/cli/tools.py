"""``openseeker tools``: list the agent's tools and run any one of them by hand.

``openseeker tools run TOOL --ARG VALUE ...`` maps each ``--ARG`` onto the tool's JSON schema: array
arguments may be repeated (``--query a --query b``), integers and numbers are converted, objects are JSON;
``--sandbox-id`` equals ``--sandbox_id``, and an unambiguous prefix is enough (``--code`` for
``code_block``). ``--args JSON`` gives the whole arguments object instead.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from openseeker.errors import ConfigError


def _load(config_file: str | None, corpus: str | None, backend: str | None, only: list[str] | None) -> Any:
    """The tools config; ``only`` replaces ``enabled`` (to build just the tool being run)."""
    from openseeker.config import load_config
    from openseeker.tools.config import ToolsConfig

    overrides: dict[str, Any] = {"corpus": corpus}
    cfg = load_config(ToolsConfig, config_file, overrides, section="tools")
    updates: dict[str, Any] = {}
    if only is not None:
        updates["enabled"] = only
    if backend:
        updates["sandbox"] = cfg.sandbox.model_copy(update={"backend": backend})
    return cfg.model_copy(update=updates) if updates else cfg


def _all_specs(cfg: Any) -> list[tuple[Any, str]]:
    from openseeker.tools.sandbox.tools import SANDBOX_SPECS
    from openseeker.tools.search import SEARCH_SPEC
    from openseeker.tools.visit import VISIT_SPEC

    enabled = set(cfg.tool_names())
    return [
        (s, "enabled" if s.name in enabled else "available")
        for s in (SEARCH_SPEC, VISIT_SPEC, *SANDBOX_SPECS.values())
    ]


@click.group()
def tools() -> None:
    """The agent's tools: list them, or run one by hand (for debugging and exploring)."""


@tools.command("list")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
@click.option("--json", "as_json", is_flag=True, help="Print the OpenAI tool specs as JSON.")
def list_cmd(config_file: str | None, as_json: bool) -> None:
    """List the built-in tools (and the tools of configured MCP servers) with their parameters."""
    cfg = _load(config_file, None, None, None)
    rows = _all_specs(cfg)
    if cfg.mcp:
        from openseeker.toolbox import mcp_sources

        async def discover() -> list[tuple[Any, str]]:
            found = []
            for source in mcp_sources(cfg):
                try:
                    found += [(t.spec, f"mcp:{source.name}") for t in await source.start()]
                finally:
                    await source.aclose()
            return found

        rows += asyncio.run(discover())
    if as_json:
        click.echo(json.dumps([s.openai() for s, _ in rows], ensure_ascii=False, indent=2))
        return
    for spec, where in rows:
        props = spec.parameters.get("properties", {}) or {}
        required = set(spec.parameters.get("required", []) or [])
        args = " ".join(f"--{p}" + ("" if p in required else "?") for p in props)
        click.echo(f"{spec.name:40s} [{where}] {args}")
        click.echo(f"    {spec.description.splitlines()[0][:150]}")


def _convert(name: str, schema: dict[str, Any], values: list[str]) -> Any:
    t = schema.get("type")
    types = set(t) if isinstance(t, list) else {t}
    try:
        if "array" in types and (len(values) > 1 or types == {"array"}):
            return values
        value = values[-1]
        if types <= {"integer"}:
            return int(value)
        if types <= {"number", "integer"}:
            return float(value)
        if types == {"boolean"}:
            return value.lower() in ("1", "true", "yes", "on")
        if types == {"object"}:
            return json.loads(value)
        return value
    except ValueError as e:
        raise click.BadParameter(f"--{name}: {e}") from None


def parse_tool_args(spec: Any, tokens: list[str]) -> dict[str, Any]:
    """``--ARG VALUE`` pairs into an arguments object for ``spec`` (see the module docstring)."""
    props: dict[str, Any] = spec.parameters.get("properties", {}) or {}
    raw: dict[str, list[str]] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or tok == "--":
            raise click.UsageError(f"expected --ARG VALUE, got {tok!r}")
        key, eq, value = tok[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens):
                raise click.UsageError(f"--{key} needs a value")
            value = tokens[i + 1]
            i += 1
        i += 1
        name = key.replace("-", "_")
        if name not in props:
            matches = [p for p in props if p.startswith(name)]
            if len(matches) != 1:
                known = ", ".join(f"--{p}" for p in props) or "none"
                raise click.UsageError(f"{spec.name} has no argument --{key} (arguments: {known})")
            name = matches[0]
        raw.setdefault(name, []).append(value)
    return {n: _convert(n, props[n], v) for n, v in raw.items()}


@tools.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("tool")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
@click.option("--corpus", type=click.Path(), help="Local corpus folder (for search and visit).")
@click.option("--sandbox-backend", help="local or e2b (default: the config's, else local).")
@click.option("--args", "args_json", help="The whole arguments object as JSON.")
@click.pass_context
def run_cmd(
    ctx: click.Context,
    tool: str,
    config_file: str | None,
    corpus: str | None,
    sandbox_backend: str | None,
    args_json: str | None,
) -> None:
    """Run TOOL once with --ARG VALUE arguments and print its response (exit 1 when it is an error).

    \b
    Examples:
      openseeker tools run search --query "Eiffel Tower" --corpus corpus/
      openseeker tools run visit --url https://w.test/Paris --goal "When was it built?" --corpus corpus/
      openseeker tools run run_python_code --code "print(6*7)"
      openseeker tools run run_command --command "uname -a"
    """
    from openseeker.llm.types import ToolCall
    from openseeker.toolbox import BUILTIN_TOOLS, build_toolset
    from openseeker.tools.config import SANDBOX_TOOLS

    only = ["sandbox"] if tool in SANDBOX_TOOLS else [tool] if tool in BUILTIN_TOOLS else []
    cfg = _load(config_file, corpus, sandbox_backend, only)
    if tool in ("search", "visit") and cfg.search == "corpus" and not cfg.corpus:
        raise click.UsageError(f"{tool} over a local corpus needs --corpus DIR (or tools.corpus in --config)")

    async def go() -> tuple[str, bool]:
        toolset = build_toolset(cfg)
        try:
            await toolset.start()
            if tool not in toolset.tools:
                raise ConfigError(f"no tool {tool!r}; tools: {', '.join(toolset.tools)}")
            spec = toolset.tools[tool].spec
            arguments = json.loads(args_json) if args_json else parse_tool_args(spec, list(ctx.args))
            async with toolset.session("cli"):
                needs_id = "sandbox_id" in (spec.parameters.get("required") or [])
                if needs_id and "sandbox_id" not in arguments and tool != "run_python_code":
                    # one command, one throw-away sandbox (it is removed when the command ends)
                    made = await toolset.call(ToolCall("create_sandbox", {}))
                    if made.error:
                        return made.content, True
                    arguments["sandbox_id"] = made.content.rsplit(":", 1)[-1].strip()
                res = await toolset.call(ToolCall(tool, arguments))
                return res.content, res.error
        finally:
            await toolset.aclose()

    text, error = asyncio.run(go())
    click.echo(text)
    if error:
        ctx.exit(1)
