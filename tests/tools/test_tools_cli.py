"""``openseeker tools list`` and ``openseeker tools run TOOL --ARG VALUE``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.cli.tools import parse_tool_args
from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.tools import SANDBOX_SPECS
from openseeker.tools.search import SEARCH_SPEC


def invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def test_list_shows_every_builtin_tool() -> None:
    code, out = invoke("tools", "list")
    assert code == 0
    for name in ("search", "visit", *SANDBOX_SPECS):
        assert name in out
    assert "search" in out.splitlines()[0] and "[enabled]" in out.splitlines()[0]
    code, out = invoke("tools", "list", "--json")
    specs = json.loads(out)
    assert [s["function"]["name"] for s in specs][:2] == ["search", "visit"] and specs[0]["type"] == "function"


def test_argument_parsing_follows_the_schema() -> None:
    assert parse_tool_args(SEARCH_SPEC, ["--query", "a", "--query", "b"]) == {"query": ["a", "b"]}
    assert parse_tool_args(SEARCH_SPEC, ["--query=only"]) == {"query": ["only"]}
    spec = SANDBOX_SPECS["run_python_code"]
    assert parse_tool_args(spec, ["--code", "print(1)", "--sandbox-id", "x"]) == {
        "code_block": "print(1)",
        "sandbox_id": "x",
    }
    assert parse_tool_args(SANDBOX_SPECS["create_sandbox"], ["--timeout", "30"]) == {"timeout": 30}


def test_run_search_and_visit_over_a_corpus(corpus_dir: Path) -> None:
    code, out = invoke("tools", "run", "search", "--query", "Eiffel Tower", "--corpus", str(corpus_dir))
    assert code == 0 and "[Paris](https://w.test/Paris)" in out
    code, out = invoke("tools", "run", "visit", "--url", "https://w.test/France", "--goal", "where", "--corpus", str(corpus_dir))
    assert code == 0 and "France is a country in Western Europe." in out
    code, out = invoke("tools", "run", "search", "--corpus", str(corpus_dir), "--bogus", "1")
    assert code != 0 and "no argument --bogus" in out


def test_run_sandbox_tools(sandbox_cfg: SandboxConfig, tmp_path: Path) -> None:
    cfg = tmp_path / "tools.yaml"
    cfg.write_text(f"tools:\n  sandbox:\n    root: {sandbox_cfg.root}\n")
    code, out = invoke("tools", "run", "run_python_code", "--code", "print(6*7)", "--config", str(cfg))
    assert code == 0 and out.strip() == "Execution(Results: [], Logs: Logs(stdout: ['42\\n'], stderr: []), Error: None)"
    code, out = invoke("tools", "run", "run_command", "--command", "echo $HOME", "--config", str(cfg))
    assert code == 0 and "stdout='/home/user\\n'" in out
    code, out = invoke("tools", "run", "run_command", "--command", "exit 3", "--config", str(cfg))
    assert code == 1 and "Command exited with code 3" in out


def test_run_and_list_a_tool_of_an_mcp_server(tmp_path: Path) -> None:
    import sys

    cfg = tmp_path / "mcp.yaml"
    server = Path(__file__).resolve().parent / "mcp_test_server.py"
    cfg.write_text(f"tools:\n  mcp:\n    - {{name: calc, command: {sys.executable}, args: [{server}], prefix: calc_}}\n")
    code, out = invoke("tools", "run", "calc_add", "--config", str(cfg), "--a", "2", "--b", "40")
    assert code == 0 and out.startswith("2 + 40 = 42")
    code, out = invoke("tools", "run", "calc_broken", "--config", str(cfg))
    assert code == 1 and "the broken tool broke" in out
