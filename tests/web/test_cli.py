"""``openseeker web ...`` commands against a local provider server."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from openseeker.cli.web import web

from .localserver import LocalServer, Resp, make_cfg


def write_config(server: LocalServer, tmp_path: Path, **extra: object) -> Path:
    cfg = make_cfg(
        server,
        search="serper",
        fetch="http",
        cache=str(tmp_path / "web.sqlite"),
        options={"budget": {"run": "cli-run", "max_calls": 10}, **extra},
    )
    path = tmp_path / "stage.yaml"
    path.write_text(yaml.safe_dump({"out": "another-stage-setting", "tools": cfg.model_dump()}))
    return path


def test_search_fetch_cache_and_budget_commands(server: LocalServer, tmp_path: Path) -> None:
    server.route(
        "/search",
        lambda req: Resp(
            200,
            {
                "organic": [
                    {
                        "title": f"Hit for {req.json()['q']}",
                        "link": "https://a.example/1",
                        "snippet": "snip",
                        "date": "2024",
                    }
                ]
            },
        ),
    )
    server.route("/doc", Resp(200, "Document body text.", {"Content-Type": "text/plain"}))
    config = str(write_config(server, tmp_path))
    runner = CliRunner()

    out = runner.invoke(web, ["search", "first query", "第二个 查询", "--config", config])
    assert out.exit_code == 0, out.output
    assert "1. Hit for first query" in out.output and "Hit for 第二个 查询" in out.output
    assert "secret" not in out.output
    assert {r.json()["q"]: r.json()["gl"] for r in server.hits("/search")} == {
        "first query": "us",
        "第二个 查询": "cn",
    }

    out = runner.invoke(web, ["search", "first query", "--config", config, "--json"])
    assert orjson.loads(out.output)[0]["hits"][0]["url"] == "https://a.example/1"
    assert len(server.hits("/search")) == 2  # answered from the cache

    out = runner.invoke(web, ["fetch", f"{server.url}/doc", "--config", config])
    assert out.exit_code == 0, out.output
    assert "Document body text." in out.output

    out = runner.invoke(web, ["cache", "info", "--config", config, "--json"])
    counts = {(e["backend"], e["op"]): e["count"] for e in orjson.loads(out.output)["entries"]}
    assert counts == {("serper", "search"): 2, ("http", "fetch"): 1}

    out = runner.invoke(web, ["budget", "show", "cli-run", "--config", config])
    assert out.exit_code == 0, out.output
    assert "cli-run: 3 / 10 calls" in out.output

    out = runner.invoke(web, ["cache", "clear", "--config", config, "--yes"])
    assert "Deleted 3 entries." in out.output


def test_errors_are_readable(server: LocalServer, tmp_path: Path) -> None:
    server.route("/search", Resp(500, "down"))
    config = str(write_config(server, tmp_path, serper={"retries": 0}))
    runner = CliRunner()
    out = runner.invoke(web, ["search", "q", "--config", config])
    assert "Error: The serper service is unavailable" in out.output
    out = runner.invoke(web, ["fetch", "file:///etc/passwd", "--config", config])
    assert out.exit_code != 0 and "only http and https" in str(out.exception)
    out = runner.invoke(web, ["search", "q"])
    assert "No web search backend chosen" in str(out.exception)


def test_exit_status_of_failed_queries_and_rejected_keys(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openseeker.cli.main import main

    def run(*argv: str) -> tuple[int, str]:
        try:
            main(["web", *argv])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        return code, capsys.readouterr().err

    config = str(write_config(server, tmp_path, serper={"retries": 0}))
    server.route("/search", lambda req: Resp(500 if req.json()["q"] == "bad" else 200, {"organic": []}))
    assert run("search", "good", "--config", config)[0] == 0
    code, err = run("search", "good", "bad", "--config", config)
    assert code == 1 and "1 of 2 queries failed" in err
    # a key the provider rejects is a configuration error (before: printed, exit 0)
    server.route("/search", Resp(401, "Unauthorized"))
    code, err = run("search", "q", "--config", config)
    assert code == 2 and "Every serper API key was rejected" in err and "secret" not in err
    code, err = run("fetch", "file:///etc/passwd", "--config", config)
    assert code == 1 and "only http and https" in err


def test_environment_overrides_reach_the_web_commands(server: LocalServer, monkeypatch) -> None:
    server.route(
        "/search",
        Resp(200, {"organic": [{"title": "From env", "link": "https://e.example/", "snippet": ""}]}),
    )
    monkeypatch.setenv("OPENSEEKER_TOOLS__OPTIONS__SERPER__BASE_URL", server.url)
    out = CliRunner().invoke(web, ["search", "q", "--backend", "serper"])
    assert out.exit_code == 0, out.output
    assert "From env" in out.output
