"""A QA check is one class plus its registration: the synthesizer runs it after the built-ins in the mode the
config gives, its rejection reason is counted, and the funnel report gets its row."""

from __future__ import annotations

import orjson
import pytest

from openseeker.errors import ConfigError
from openseeker.pipeline.stage import read_rejects, read_stage
from openseeker.synth.check import Candidate, CheckContext, Pass, QACheck, Reject, qa_checks
from openseeker.synth.config import ChecksConfig
from openseeker.synth.qa import run_qa_synthesis
from openseeker.synth.records import QARecord

from .conftest import Script
from .test_qa_pipeline import _cfg


class LongQuestion(QACheck):
    """Rejects questions longer than ``max_chars`` (an option of its own)."""

    name = "long_question"
    label = "short enough"
    reason = "check:too_long"

    from pydantic import BaseModel

    class Options(BaseModel):
        max_chars: int = 10

    async def check(self, record: Candidate, ctx: CheckContext) -> Pass | Reject:
        limit = self.options.max_chars  # type: ignore[union-attr]
        n = len(record.question)
        return Reject(self.reason, {"chars": n}) if n > limit else Pass({"chars": n})


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(qa_checks, "_factories", dict(qa_checks._factories))
    qa_checks.register("long_question")(LongQuestion)


def test_a_registered_check_rejects_and_gets_a_funnel_row(registered, tmp_path, en_corpus, make_roles):
    roles, _ = make_roles(Script())
    cfg = _cfg(tmp_path, checks={"long_question": {"mode": "reject", "max_chars": 10}})
    res = run_qa_synthesis(cfg, roles=roles, corpus=en_corpus)
    assert res.outputs == 0 and res.stats["reject_reasons"] == {"check:too_long": 3}
    assert all(r["detail"]["detail"]["chars"] > 10 for r in read_rejects(cfg.out, "qa"))
    funnel = orjson.loads((tmp_path / "run" / "qa" / "funnel.json").read_bytes())
    steps = [s["step"] for s in funnel["funnel"]]
    assert steps[-2:] == ["long_question", "accepted"] and steps.index("uniqueness") == len(steps) - 3
    md = (tmp_path / "run" / "qa" / "funnel.md").read_text()
    assert "| short enough | 0 |" in md and "| unique answer | 3 |" in md


def test_record_mode_keeps_the_outcome(registered, tmp_path, en_corpus, make_roles):
    roles, _ = make_roles(Script())
    cfg = _cfg(tmp_path, checks={"long_question": "record"})
    run_qa_synthesis(cfg, roles=roles, corpus=en_corpus)
    recs = list(read_stage(cfg.out, "qa", QARecord))
    assert len(recs) == 3 and all(r.checks["long_question"].passed is False for r in recs)
    assert list(recs[0].checks)[-1] == "long_question"


def test_unknown_check_and_bad_options_are_config_errors(registered):
    with pytest.raises(ValueError, match="long_questoin"):
        ChecksConfig.model_validate({"long_questoin": "reject"})
    with pytest.raises(ValueError, match="did you mean 'long_question'"):
        ChecksConfig.model_validate({"plugins": {"long_questoin": "reject"}})
    with pytest.raises(ValueError, match="max_chars"):
        ChecksConfig.model_validate({"long_question": {"max_chars": "many"}})
    with pytest.raises(ValueError, match="mode must be"):
        ChecksConfig.model_validate({"long_question": "sometimes"})
    assert isinstance(ConfigError("x"), Exception)
