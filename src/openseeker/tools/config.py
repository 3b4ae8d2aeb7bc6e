"""Which tools the agent has and which backends they run on.

Switching between a local corpus and the web is a change of ``search`` / ``fetch`` only. ``enabled`` picks
the tool set (``search`` and ``visit``, plus the OpenSeeker-v2 ``sandbox`` tools); ``mcp`` adds the tools of
any MCP server."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from openseeker.config import StrictModel

SANDBOX_TOOLS = (
    "create_sandbox",
    "run_command",
    "run_python_code",
    "upload_file_from_local_to_sandbox",
    "download_file_from_internet_to_sandbox",
)
TOOL_GROUPS = {"sandbox": SANDBOX_TOOLS}


class SandboxConfig(StrictModel):
    """Code execution for the OpenSeeker-v2 sandbox tools (see the README's security model)."""

    backend: str = Field(default="local", description="local (bubblewrap on this machine) or e2b (E2B cloud)")
    root: str | None = Field(
        default=None,
        description="where local sandbox folders live (default: <tmp>/openseeker-sandboxes-<uid>)",
    )
    timeout_seconds: float = Field(
        default=60.0, gt=0, description="wall-clock limit of one command or code run"
    )
    cpu_seconds: int = Field(default=60, ge=1, description="CPU-time limit of one command or code run")
    memory_mb: int = Field(default=2048, ge=64, description="address-space limit per process")
    max_processes: int = Field(
        default=64, ge=4, description="processes and threads a sandbox may run at once"
    )
    max_output_bytes: int = Field(
        default=1_000_000, ge=1024, description="stdout/stderr kept per run; past it the run is stopped"
    )
    max_file_mb: int = Field(default=256, ge=1, description="largest file a sandboxed process may write")
    disk_mb: int = Field(
        default=1024, ge=1, description="size of a sandbox folder past which it refuses to run"
    )
    max_sandboxes: int = Field(default=8, ge=1, description="sandboxes one rollout may hold at once")
    seccomp: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="the system-call filter of the local sandbox: on (refuse to run without libseccomp), "
        "auto (on where libseccomp loads, else a warning) or off",
    )
    python: str = Field(
        default="/usr/bin/python3", description="the interpreter run_python_code uses (read-only)"
    )
    ro_binds: list[str] = Field(
        default_factory=list,
        description="extra host folders visible read-only inside (e.g. a virtual environment with numpy)",
    )
    env: dict[str, str] = Field(
        default_factory=dict, description="extra environment variables inside (nothing else is passed)"
    )
    upload_roots: list[str] = Field(
        default_factory=list,
        description="host folders upload_file_from_local_to_sandbox may read from (none: uploads refused)",
    )
    downloads: bool = Field(
        default=True,
        description="download_file_from_internet_to_sandbox fetches on the host (safety rules apply)",
    )
    max_download_mb: int = Field(default=50, ge=1)
    uid_base: int = Field(
        default=1_200_000,
        description="as root: sandboxes run as unprivileged uids from here (one per sandbox)",
    )
    e2b_template: str | None = Field(default=None, description="E2B template id (None: the SDK's default)")
    e2b_api_url: str | None = Field(default=None, description="E2B API URL override (a self-hosted E2B)")
    e2b_sandbox_url: str | None = Field(default=None, description="E2B sandbox (envd) URL override")


class MCPServerConfig(StrictModel):
    """One MCP server whose tools the agent may call (stdio: ``command``; streamable HTTP: ``url``)."""

    name: str = Field(description="a short name for logs and errors")
    command: str | None = Field(default=None, description="stdio: the program that runs the server")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = Field(default=None, description="stdio: the server's environment")
    cwd: str | None = None
    url: str | None = Field(default=None, description="streamable HTTP endpoint, e.g. http://host:8000/mcp")
    headers: dict[str, str] = Field(default_factory=dict, description="HTTP headers (e.g. Authorization)")
    timeout: float = Field(default=60.0, gt=0, description="seconds one tool call may take")
    connect_timeout: float = Field(default=30.0, gt=0)
    tools: list[str] | None = Field(
        default=None, description="only these of the server's tools (default: all)"
    )
    prefix: str = Field(default="", description="prepended to the server's tool names (avoids clashes)")
    max_response_chars: int = Field(default=100_000, ge=100)


class ToolsConfig(StrictModel):
    """Tool backends and limits, shared by QA synthesis, trajectory synthesis and evaluation."""

    search: str = Field(
        default="corpus", description="search backend: corpus, serper, tavily, brave, searxng, replay"
    )
    fetch: str = Field(default="corpus", description="page fetcher for visit: corpus, jina, http, replay")
    corpus: str | None = Field(
        default=None,
        description="corpus directory, or the http(s):// URL of `openseeker corpus serve` (corpus backends)",
    )
    top_k: int = 10
    visit_mode: Literal["auto", "raw", "extract"] = Field(
        default="auto",
        description="extract = goal-conditioned evidence+summary by the summarizer; auto = extract "
        "when a summarizer is configured",
    )
    max_page_chars: int = 60_000
    chunk_chars: int = 24_000
    cache: str | None = Field(default=None, description="path of the persistent tool-call cache (SQLite)")
    blocklist: list[str] = Field(
        default_factory=list,
        description="extra blocked domains (benchmark answer hosts are blocked by default)",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="backend-specific options (keys by env name)"
    )
    enabled: list[str] = Field(
        default_factory=lambda: ["search", "visit"],
        description="the built-in tools offered: search, visit, and 'sandbox' (the five OpenSeeker-v2 sandbox "
        "tools) or any of them by name",
    )
    search_exclude: list[str] = Field(
        default_factory=list,
        description="search results whose link contains any of these (case-insensitive) are dropped; the "
        "v2 profile sets ['huggingface']",
    )
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    mcp: list[MCPServerConfig] = Field(default_factory=list, description="MCP servers used as tool sources")

    def tool_names(self) -> list[str]:
        """``enabled`` with groups expanded, in order, without repeats."""
        names: list[str] = []
        for n in self.enabled:
            for t in TOOL_GROUPS.get(n, (n,)):
                if t not in names:
                    names.append(t)
        return names
