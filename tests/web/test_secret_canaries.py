"""Canary secrets echoed by providers never leave the process: not in tool responses (terminal, records),
caches, cassettes, logs, errors.jsonl, error lines or exports.

The providers here echo what they were sent, the API key included, in a 200 body: the search provider puts
its request headers into the snippets, the Jina imitation quotes the Authorization header in the page.
Before, the key reached the terminal and the web cache's SQLite file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from openseeker.cli.main import main

from .localserver import LocalServer, Request, Resp

SERPER_CANARY = "sk-canary-serper-7f3a9c1e5b"
JINA_CANARY = "jina_canary_4d2e8b6a0c"


def _files_containing(root: Path, *needles: str) -> list[str]:
    found = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            found += [f"{p.relative_to(root)}: {n}" for n in needles if n.encode() in data]
    return found


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def echo_server(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setenv("SERPER_API_KEY", SERPER_CANARY)
    monkeypatch.setenv("JINA_API_KEY", JINA_CANARY)

    def search(req: Request) -> Resp:
        sent = json.dumps(req.headers)
        return Resp(200, {"organic": [{"title": "Echo result", "link": "https://echo.example/page",
                                       "snippet": f"Your request headers were {sent}"}]})

    def reader(req: Request) -> Resp:
        body = (f"Title: Echo page\nURL Source: {req.path[1:]}\nMarkdown Content:\n"
                f"You sent: Authorization: {req.headers.get('authorization')} to {req.path}")
        return Resp(200, body, {"Content-Type": "text/plain"})

    server.route("/search", search)
    server.route("*", reader)
    return server


def _config(server: LocalServer, tmp_path: Path) -> Path:
    tools = {
        "search": "serper",
        "fetch": "jina",
        "visit_mode": "raw",
        "cache": str(tmp_path / "web.sqlite"),
        "options": {
            "serper": {"base_url": server.url, "backoff": 0.01, "timeout": 5},
            "jina": {"base_url": server.url, "fallback": None, "timeout": 5},
            "record": str(tmp_path / "cassette.jsonl"),
        },
    }
    cfg = tmp_path / "run.yaml"
    cfg.write_text(json.dumps({"tools": tools, "traj": {"agent": {"max_tool_calls": 4}}}))
    return cfg


def test_echoed_keys_reach_no_output_cache_record_or_export(
    echo_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # scripted/echo_teacher:teacher
    cfg = _config(echo_server, tmp_path)
    # the terminal (and the cache and cassette behind it)
    code, printed = _run(capsys, "web", "search", "echo", "--config", str(cfg))
    assert code == 0 and "Your request headers were" in printed and "***" in printed
    code, printed2 = _run(capsys, "web", "fetch", "https://echo.example/page", "--config", str(cfg), "--json")
    assert code == 0 and "Bearer ***" in printed2
    assert SERPER_CANARY not in printed + printed2 and JINA_CANARY not in printed + printed2
    # a stage: tool responses -> teacher -> trajectory records, summaries, logs; then the SFT export
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "q1", "question": "What did you send?", "answer": "headers"}) + "\n")
    teacher = "scripted/echo_teacher:teacher"
    code, printed3 = _run(
        capsys, "synth", "traj", "--qa", str(qa), "--out", str(tmp_path / "run"), "--config", str(cfg),
        "--teacher", teacher, "--summarizer", teacher, "--judge-style", "none", "--no-progress",
    )
    assert code == 0, printed3
    code, printed4 = _run(
        capsys, "export", "sft", "--run", str(tmp_path / "run"), "--out", str(tmp_path / "sft.jsonl"),
        "--correctness", "any", "--allow-no-answer",
    )
    assert code == 0, printed4
    records = (tmp_path / "run" / "trajectories").glob("0*.jsonl")
    text = "".join(p.read_text() for p in records)
    assert "Your request headers were" in text and "You sent: Authorization: Bearer ***" in text  # echoed
    assert (tmp_path / "sft.jsonl").stat().st_size > 0 and (tmp_path / "web.sqlite").exists()
    assert _files_containing(tmp_path, SERPER_CANARY, JINA_CANARY) == []
    assert SERPER_CANARY not in printed3 + printed4


def test_logs_errors_and_error_lines_are_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from openseeker.pipeline import StageContext, run_stage
    from openseeker.web.keys import KeyPool

    canary = "sk-canary-log-2b7d4f9e1a"
    KeyPool.from_env("serper", "SERPER_API_KEY", environ={"SERPER_API_KEY": canary})  # as a backend reads it
    log = logging.getLogger("openseeker.test.provider")

    async def work(x: str, ctx: StageContext) -> dict[str, Any]:
        log.warning("the provider answered %s", {"echo": f"X-API-KEY: {canary}"})
        if x == "bad":
            raise RuntimeError(f"provider error: your key {canary} is invalid")
        return {"id": x, "model_output": f"my instructions came with the key {canary}"}  # an echoing model

    asyncio.run(run_stage(tmp_path / "run", "s", ["ok", "bad"], work, key=str))
    errors = orjson.loads((tmp_path / "run" / "s" / "errors.jsonl").read_bytes().splitlines()[0])
    assert "your key *** is invalid" in errors["error"]
    assert "X-API-KEY: ***" in (tmp_path / "run" / "logs" / "s.log").read_text()
    assert "with the key ***" in (tmp_path / "run" / "s" / "00000.jsonl").read_text()
    assert _files_containing(tmp_path, canary) == []

    # the CLI's error line, with and without -v
    import openseeker.corpus.ingest as ingest_mod

    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError(f"upstream said: Authorization: Bearer {canary}")

    monkeypatch.setattr(ingest_mod, "ingest", broken)
    for flags in ([], ["-v"]):
        code, printed = _run(capsys, *flags, "corpus", "ingest", "x.jsonl", "--out", str(tmp_path / "c"))
        assert code == 3 and "Bearer ***" in printed and canary not in printed
