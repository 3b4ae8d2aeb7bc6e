"""A stage as plain data: its spec pickles and is rebuilt with its config (secrets included), so another process
can run it; the built-in stages are found by name."""

from __future__ import annotations

import pickle

from openseeker.pipeline.stages import StageSpec, stages
from openseeker.synth.config import QASynthConfig
from openseeker.synth.qa import STAGE_QA
from openseeker.synth.records import QARecord


def test_spec_round_trip_keeps_the_config_and_its_secrets(tmp_path):
    cfg = QASynthConfig.model_validate(
        {
            "out": str(tmp_path),
            "corpus": "corpus/",
            "n": 5,
            "roles": {"generator": {"model": "openai/x", "api_key": "sk-secret-123"}},
            "checks": {"shortcut": "record"},
        }
    )
    spec = pickle.loads(pickle.dumps(STAGE_QA.spec(cfg)))
    assert isinstance(spec, StageSpec) and spec.stage == "qa" and spec.run == str(tmp_path)
    stage, rebuilt = spec.build()
    assert stage is STAGE_QA and stage.output is QARecord
    assert rebuilt == cfg
    assert rebuilt.roles.for_role("generator").api_key.get_secret_value() == "sk-secret-123"


def test_builtin_stages_by_name():
    assert {"qa", "trajectories", "eval"} <= set(stages.names())
    assert stages.create("trajectories").name == "trajectories"
