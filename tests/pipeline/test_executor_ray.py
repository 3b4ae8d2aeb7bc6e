"""Sharded stages on Ray (issue 14, item 1), on the session's local Ray cluster of 2 CPUs.

The QA stage with a scripted model (``scripted/executor_models:qa``, rebuilt from the config in each Ray
worker) gives byte for byte the shards, rejects and statistics of a local run; a worker killed in the
middle of a shard is retried and every record is written exactly once; a run started on Ray is finished
locally; and against a fake server that counts requests in flight the endpoint's ``max_concurrency`` holds
as one budget across both workers.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner

from openseeker.cli.main import cli
from openseeker.corpus.ingest import ingest
from openseeker.errors import ExitCode
from openseeker.pipeline.stage import read_stage
from openseeker.synth.config import QASynthConfig
from openseeker.synth.qa import STAGE_QA
from openseeker.testing import FakeOpenAIServer

HERE = Path(__file__).resolve().parent
pytestmark = [pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import sys

    sys.path.insert(0, str(HERE))
    try:
        import executor_models
    finally:
        sys.path.remove(str(HERE))
    root = tmp_path_factory.mktemp("qa-corpus")
    src = root / "pages.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in executor_models._fixtures.en_records()))
    ingest([src], root / "corpus")
    return root / "corpus"


@pytest.fixture
def scripted(ray_cluster, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scripted models importable here too, reading their switches from the cluster's scratch folder."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("OPENSEEKER_TEST_SCRATCH", str(ray_cluster.scratch))
    for f in ray_cluster.scratch.iterdir():
        f.unlink()
    return ray_cluster.scratch  # type: ignore[no-any-return]


def _qa(corpus: Path, out: Path, **kw: Any) -> QASynthConfig:
    return QASynthConfig.model_validate(
        {
            "roles": {"default": {"model": "scripted/executor_models:qa"}},
            "seeds": {"min_text_chars": 20},
            "checks": {"shortcut": "record"},
            "corpus": str(corpus),
            "out": str(out),
            "n": 6,
            "k": 3,
            "lang": "en",
            "shard_size": 2,
            "concurrency": 1,
            "progress": False,
            **kw,
        }
    )


RAY = {"executor": {"kind": "ray", "workers": 2}}


def _run(cfg: QASynthConfig) -> Any:
    return asyncio.run(STAGE_QA.arun(cfg))


def _stats(run: Path) -> dict[str, Any]:
    stats = orjson.loads((run / "qa" / "stats.json").read_bytes())
    stats.pop("judge_calibration", None)  # its timing
    last = stats.pop("last_run")
    assert last["ended"] == "finished"
    return stats


def _themes(corpus: Path) -> dict[str, str]:
    from openseeker.corpus import open_corpus

    store = open_corpus(corpus)
    return {f"seed-{i}": store.get(i).title for i in range(len(store))}  # type: ignore[union-attr]


def _checkpoints(run: Path) -> list[dict[str, Any]]:
    """Every committed input of the run's QA stage (one checkpoint line each)."""
    return [
        orjson.loads(line)
        for p in sorted((run / "qa" / "_state").glob("*.ckpt"))
        for line in p.read_bytes().splitlines()
    ]


def test_ray_run_equals_local_byte_for_byte(corpus: Path, scripted: Path, tmp_path: Path) -> None:
    (scripted / "onefact-River Quell").touch()  # one seed rejected, in both runs
    local, ray = tmp_path / "local", tmp_path / "ray"
    res_local = _run(_qa(corpus, local))
    res_ray = _run(_qa(corpus, ray, **RAY))
    assert res_local.rejected == res_ray.rejected == 1 and res_ray.outputs == 5, res_ray
    names = sorted(p.name for p in (local / "qa").glob("0*.jsonl"))
    assert len(names) == 3 and names == sorted(p.name for p in (ray / "qa").glob("0*.jsonl"))
    for sub in ("qa", "qa/rejects"):
        for name in names:
            assert (local / sub / name).read_bytes() == (ray / sub / name).read_bytes(), (sub, name)
    assert _stats(local) == _stats(ray)
    assert sorted(p.name for p in (ray / "logs" / "qa").glob("*.log")) == [f"{n[:5]}.log" for n in names]
    assert not (ray / "qa" / "errors.jsonl").exists()


def test_killed_worker_then_every_record_exactly_once(corpus: Path, scripted: Path, tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    _run(_qa(corpus, ref))
    # the second input of shard 1: the first one is committed when the worker dies
    second = orjson.loads((ref / "qa" / "_state" / "00001.ckpt").read_bytes().splitlines()[1])["key"]
    switch = scripted / f"kill-{_themes(corpus)[second]}"
    switch.touch()
    out = tmp_path / "ray"
    res = _run(_qa(corpus, out, **RAY))
    assert not switch.exists()  # it fired: the worker process died (SIGKILL) and Ray ran the shard again
    keys = [e["key"] for e in _checkpoints(out)]
    assert sorted(keys) == sorted(e["key"] for e in _checkpoints(ref)) and len(set(keys)) == 6
    ids = [r["id"] for r in read_stage(out, "qa")]
    assert sorted(ids) == sorted(r["id"] for r in read_stage(ref, "qa")) and len(ids) == len(set(ids))
    assert res.errors == 0 and res.stats["last_run"]["processed"] == 6


def test_run_started_on_ray_finished_locally(corpus: Path, scripted: Path, tmp_path: Path) -> None:
    """Through the CLI: ``synth qa --executor ray --workers 2`` with one failing input, then the same command
    without ``--executor`` finishes the run in this process."""
    out = tmp_path / "run"
    conf = tmp_path / "qa.yaml"
    qa = _qa(corpus, out).model_dump(mode="json", include={"roles", "seeds", "checks", "shard_size"})
    conf.write_text(yaml.safe_dump({"qa": qa}), encoding="utf-8")
    args = ["synth", "qa", "--config", str(conf), "--corpus", str(corpus), "--out", str(out), "--n", "6",
            "--k", "3", "--lang", "en", "--concurrency", "1", "--no-progress"]
    (scripted / "fail-Port Salve").touch()
    first = CliRunner().invoke(cli, [*args, "--executor", "ray", "--workers", "2"], catch_exceptions=False)
    assert first.exit_code == ExitCode.PARTIAL and "5 accepted, 0 rejected, 1 failed" in first.output, first.output
    failed = orjson.loads((out / "qa" / "errors.jsonl").read_bytes().splitlines()[0])
    assert _themes(corpus)[failed["key"]] == "Port Salve" and "test switch" in failed["error"]
    per_shard = b"".join(p.read_bytes() for p in (out / "qa" / "errors").glob("*.jsonl"))
    assert [orjson.loads(x)["key"] for x in per_shard.splitlines()] == [failed["key"]]
    assert yaml.safe_load((out / "qa" / "config.yaml").read_text())["executor"]["kind"] == "ray"
    (scripted / "fail-Port Salve").unlink()
    second = CliRunner().invoke(cli, args, catch_exceptions=False)  # locally, in this process
    assert second.exit_code == 0 and "1 accepted, 0 rejected, 0 failed (5 seeds already done)" in second.output
    keys = [e["key"] for e in _checkpoints(out)]
    assert len(keys) == len(set(keys)) == 6
    assert len(list(read_stage(out, "qa"))) == 6
    assert len(orjson.loads((out / "qa" / "stats.json").read_bytes())["shards_done"]) == 3


def test_endpoint_budget_is_global_across_workers(scripted: Path, tmp_path: Path, corpus: Path) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "calls": 0}

    async def handler(req: dict[str, Any]) -> str:
        with lock:
            state["now"] += 1
            state["calls"] += 1
            state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.3)
        with lock:
            state["now"] -= 1
        return "<think>\nI know this.\n</think>\n\n<answer>Paris</answer>"

    data = tmp_path / "qa.jsonl"
    data.write_text("".join(orjson.dumps({"id": f"q{i}", "question": f"Capital {i}?", "answer": "Paris"}).decode() + "\n" for i in range(40)))
    from openseeker.evaluate.runner import STAGE_EVAL, EvalConfig

    with FakeOpenAIServer(handler=handler) as srv:
        cfg = EvalConfig.model_validate(
            {
                "benchmark": "custom",
                "data": str(data),
                "out": str(tmp_path / "run"),
                "judge": "rules",
                "concurrency": 8,  # inputs in flight per worker: the LLM budget, not this, must bind
                "shard_size": 10,
                "roles": {"agent": {"model": "openai/fake", "base_url": srv.base_url, "max_concurrency": 4}},
                "tools": {"corpus": str(corpus)},
                **RAY,
            }
        )
        res = asyncio.run(STAGE_EVAL.arun(cfg))
    assert res.stage.errors == 0 and res.stage.outputs == 40
    assert state["calls"] >= 40
    # two workers with 2 requests each: never more than the endpoint's 4, and both at once at some point
    assert 3 <= state["max"] <= 4, state


def test_guards_of_the_ray_executor(tmp_path: Path, corpus: Path) -> None:
    """No Ray needed: a key written into the config is refused; caches on local disks stay where they are, on a
    network file system they move to the worker's temp folder; the budget split never exceeds the budget."""
    from openseeker.errors import ConfigError
    from openseeker.pipeline import distributed as d

    cfg = _qa(corpus, tmp_path / "r", executor="ray", roles={"default": {"model": "openai/x", "api_key": "sk-123"}})
    with pytest.raises(ConfigError, match="api_key_env"):
        d.shard_runner(STAGE_QA.spec(cfg), cfg)
    local = tmp_path / "cache" / "llm.sqlite"
    assert d.node_local_cache(local) == local
    roles = _qa(corpus, tmp_path / "r", roles={"default": {"model": "openai/x", "max_concurrency": 7},
                                               "judge": {"model": "openai/y", "max_concurrency": 3}}).roles
    split = d.split_roles(roles, 2)
    assert (split.default.max_concurrency, split.judge.max_concurrency) == (3, 1) and d.min_budget(roles) == 3


def test_cache_on_a_network_file_system_moves_to_the_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openseeker.pipeline import distributed as d

    monkeypatch.setattr(d, "filesystem_type", lambda path: "nfs4")
    moved = d.node_local_cache(tmp_path / "run" / "cache" / "llm.sqlite")
    assert moved.name == "llm.sqlite" and str(moved).startswith(tempfile.gettempdir()) and "run" not in moved.parts
