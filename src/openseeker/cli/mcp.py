"""``openseeker mcp``: serve a corpus's ``search`` and ``visit`` tools to any MCP client."""

from __future__ import annotations

import logging
import sys

import click

from openseeker.cli.options import old_spellings, top_k_option


@click.group()
def mcp() -> None:
    """Model Context Protocol: expose openseeker tools to MCP-capable agents."""


@old_spellings({"--path": "--http-path"})
@mcp.command("serve")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio (the client starts this command) or streamable HTTP.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="HTTP: port.")
@click.option("--http-path", "http_path", default="/mcp", show_default=True, help="HTTP: endpoint path.")
@top_k_option("Results per search query.", default=10, show_default=True)
@click.option("--summarizer", help="Model for goal-conditioned visit extraction (default: raw page text).")
@click.option(
    "--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="YAML/TOML config."
)
def serve_cmd(
    corpus: str,
    transport: str,
    host: str,
    port: int,
    http_path: str,
    top_k: int,
    summarizer: str | None,
    config_file: str | None,
) -> None:
    """Serve CORPUS's search and visit tools over MCP.

    \b
    Examples:
      openseeker mcp serve corpus/                      # stdio, for an MCP client's server list
      openseeker mcp serve corpus/ --transport http --port 8000   # http://127.0.0.1:8000/mcp
    """
    from openseeker.config import load_config
    from openseeker.mcp_server import build_server
    from openseeker.tools.config import ToolsConfig

    # stdout carries the protocol on stdio: every log line goes to stderr
    for handler in logging.getLogger().handlers:
        if hasattr(handler, "console"):
            handler.console.stderr = True  # rich
        elif isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    cfg = load_config(ToolsConfig, config_file, {"corpus": corpus, "top_k": top_k}, section="tools")
    llm = None
    if summarizer:
        from openseeker.llm.registry import build_llm

        llm = build_llm(summarizer)
    server = build_server(cfg, llm)
    if transport == "stdio":
        server.run("stdio")
    else:
        click.echo(f"MCP server for {corpus} at http://{host}:{port}{http_path}", err=True)
        server.run("streamable-http", host=host, port=port, streamable_http_path=http_path)
