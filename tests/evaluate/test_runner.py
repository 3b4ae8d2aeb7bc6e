"""The runner with a scripted fake agent: records, judging, resume after failures, subsets, samples, the
judge's calibration gate and the three accuracy conventions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.evaluate.runner import EvalConfig, load_results, run_eval
from openseeker.judge.calibration import WeakJudgeError
from openseeker.llm import Roles, RolesConfig, ScriptedLLM
from openseeker.tools.base import Toolset

from .conftest import eval_requests


@dataclass
class FakeTrajectory:
    final_response: str
    final_answer: str | None
    finish_reason: str = "answer"
    tool_calls: int = 2
    usage: dict = field(default_factory=lambda: {"agent": {"prompt_tokens": 100, "completion_tokens": 20}})
    seconds: float = 1.5
    steps: list = field(default_factory=lambda: [1, 2, 3])
    model: str = "scripted/agent"

    def to_dict(self):
        return {"final_response": self.final_response, "finish_reason": self.finish_reason}


class FakeAgent:
    """Answers from a table; fails once on chosen questions (to test resume)."""

    def __init__(self, answers: dict[str, str], fail_once: set[str] = frozenset()):
        self.answers = answers
        self.fail_once = set(fail_once)
        self.calls: list[tuple[str, str]] = []

    async def run(self, question: str, *, id: str = "", scope: str | None = None):
        self.calls.append((id, scope or ""))
        if question in self.fail_once:
            self.fail_once.discard(question)
            raise RuntimeError("transient agent failure")
        ans = self.answers.get(question, "I don't know")
        return FakeTrajectory(f"<answer>{ans}</answer>", ans)


def _roles(judge_llm):
    return Roles(RolesConfig(), overrides={"judge": judge_llm, "agent": ScriptedLLM(default="unused")})


def test_run_resume_and_records(tmp_path, qa_jsonl):
    answers = {
        "Which city hosted the 1992 Summer Olympics?": "barcelona",  # exact match
        "Who wrote 'Dream of the Red Chamber'?": "Cao Xueqin",  # judged by the LLM -> A
        "In which year did the Berlin Wall fall?": "1990",  # judged -> B
    }
    agent = FakeAgent(answers, fail_once={"In which year did the Berlin Wall fall?"})
    judge = ScriptedLLM(
        fn=lambda m, t, c: "A" if "Cao Xueqin" in m[-1]["content"] else "B", name="scripted/judge"
    )
    cfg = EvalConfig(
        benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"), concurrency=2, judge="exact+binary"
    )
    r1 = run_eval(cfg, roles=_roles(judge), agent=agent)
    assert not r1.complete and r1.summary["run"]["records"] == 2 and r1.summary["run"]["errors"] == 1
    r2 = run_eval(cfg, roles=_roles(judge), agent=agent)
    assert r2.complete and r2.summary["run"]["records"] == 3
    assert len(agent.calls) == 4  # 3 + the one retried; finished items were not re-run
    acc = r2.summary["accuracy"]
    assert (acc["correct"], acc["wrong"], acc["unparsed"]) == (2, 1, 0)
    assert r2.summary["judge_methods"] == {"llm": 2, "exact": 1}
    assert r2.summary["run"]["judge_model"] == "scripted/judge"
    assert r2.summary["run"]["prompt_version"] == "binary-en/v1"
    rows = [json.loads(line) for line in (tmp_path / "run" / "eval" / "00000.jsonl").read_text().splitlines()]
    rec = next(r for r in rows if r["question_id"] == "q1")
    assert rec["final_answer"] == "Cao Xueqin" and rec["correct"] is True and rec["tool_calls"] == 2
    assert rec["usage"] == {"prompt_tokens": 100, "completion_tokens": 20} and rec["steps"] == 3
    assert (
        rec["finish_reason"] == "answer"
        and rec["verdict"]["method"] == "llm"
        and rec["judge_usage"]["calls"] == 1
    )
    assert load_results(tmp_path / "run")["accuracy"]["acc"] == pytest.approx(2 / 3)


def test_samples_subset_and_unparsed(tmp_path, qa_jsonl):
    agent = FakeAgent({})
    judge = ScriptedLLM(default="no idea", name="scripted/judge")
    cfg = EvalConfig(
        benchmark="custom",
        data=str(qa_jsonl),
        out=str(tmp_path / "run"),
        samples=2,
        sample=2,
        seed=1,
        judge_max_attempts=2,
    )
    r = run_eval(cfg, roles=_roles(judge), agent=agent)
    assert r.summary["run"]["records"] == 4 and r.summary["samples"]["k"] == 2
    assert r.summary["accuracy"]["unparsed"] == 4 and r.summary["accuracy"]["acc"] == 0.0
    assert r.summary["run"]["subset"]["sample"] == 2 and r.summary["run"]["subset"]["seed"] == 1
    assert len(eval_requests(judge)) == 8  # 2 attempts per item, then unparsed
    scopes = {s for _, s in agent.calls}
    assert len(scopes) == 4  # one cache scope per sample


def test_official_xbench_judge_and_zh(tmp_path, xbench_csv):
    agent = FakeAgent({})
    judge = ScriptedLLM(default="最终答案: 无\n解释: 无答案\n结论：错误", name="scripted/judge")
    cfg = EvalConfig(
        benchmark="xbench-deepsearch-2510",
        data=str(xbench_csv),
        out=str(tmp_path / "run"),
        judge="official",
        limit=1,
    )
    r = run_eval(cfg, roles=_roles(judge), agent=agent)
    assert r.summary["run"]["judge_style"] == "xbench" and r.summary["accuracy"]["wrong"] == 1
    assert "结论" in judge.requests[0].messages[-1]["content"]


def test_with_the_real_agent_loop(tmp_path, qa_jsonl):
    """The toolkit's own Agent (scripted model, no tools) goes through the runner unchanged."""
    llm = ScriptedLLM(default="<think>\nok\n</think>\n\n<answer>Barcelona</answer>", name="scripted/agent")
    agent = Agent(llm, Toolset([]), AgentConfig())
    cfg = EvalConfig(benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"), judge="rules")
    r = run_eval(cfg, roles=_roles(None), agent=agent)
    assert r.complete and r.summary["accuracy"]["correct"] == 1 and r.summary["accuracy"]["wrong"] == 2
    assert r.summary["judge_methods"] == {"rules": 3} and r.summary["run"]["judge_model"] == "rules"
    assert r.summary["tokens"]["prompt"] > 0 and r.summary["finish_reasons"] == {"answer": 3}
    rec = json.loads((tmp_path / "run" / "eval" / "00000.jsonl").read_text().splitlines()[0])
    assert rec["trajectory"]["steps"] and rec["agent_model"] == "scripted/agent"


def test_refuses_to_mix_configurations(tmp_path, qa_jsonl):
    from openseeker.errors import ConfigError

    cfg = EvalConfig(benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"), limit=1)
    run_eval(cfg, roles=_roles(ScriptedLLM(default="B")), agent=FakeAgent({}))
    # the identical command resumes; more samples or another subset need a new folder
    assert run_eval(cfg, roles=_roles(ScriptedLLM(default="B")), agent=FakeAgent({})).complete
    with pytest.raises(ConfigError, match="samples"):
        run_eval(
            cfg.model_copy(update={"samples": 2}), roles=_roles(ScriptedLLM(default="B")), agent=FakeAgent({})
        )
    with pytest.raises(ConfigError, match="judge_style"):
        run_eval(
            cfg.model_copy(update={"judge": "browsecomp"}),
            roles=_roles(ScriptedLLM(default="B", name="scripted/judge")),
            agent=FakeAgent({}),
        )
    with pytest.raises(ConfigError, match="Unknown judge"):
        run_eval(
            cfg.model_copy(update={"judge": "nope", "out": str(tmp_path / "r2")}),
            roles=_roles(ScriptedLLM(default="B", name="scripted/judge")),
            agent=FakeAgent({}),
        )


def test_unparsed_verdicts_are_judged_again_on_rerun(tmp_path, qa_jsonl):
    cfg = EvalConfig(
        benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"), limit=2, judge_max_attempts=1
    )
    r1 = run_eval(cfg, roles=_roles(ScriptedLLM(default="hmm", name="scripted/judge")), agent=FakeAgent({}))
    assert r1.summary["accuracy"]["unparsed"] == 2
    # next run: the judge now answers; the agent is not run again, only the judge
    agent = FakeAgent({})
    first = "Question: Which city hosted the 1992 Summer Olympics?\n"
    judge = ScriptedLLM(fn=lambda m, t, c: "A" if first in m[-1]["content"] else "still unsure", name="scripted/judge")
    r2 = run_eval(cfg, roles=_roles(judge), agent=agent)
    assert agent.calls == [] and len(eval_requests(judge)) == 2
    acc = r2.summary["accuracy"]
    assert (acc["correct"], acc["unparsed"]) == (1, 1)
    # the overlay persists: a third run with rejudging off keeps the re-judged verdict
    r3 = run_eval(
        cfg.model_copy(update={"rejudge_unparsed": False}),
        roles=_roles(ScriptedLLM(default="B", name="scripted/judge")),
        agent=agent,
    )
    assert r3.summary["accuracy"]["correct"] == 1


def test_a_lenient_judge_is_refused_or_marks_every_number(tmp_path, qa_jsonl):
    yes_man = ScriptedLLM(default="A", name="scripted/yes-man")
    cfg = EvalConfig(benchmark="custom", data=str(qa_jsonl), out=str(tmp_path / "run"))
    agent = FakeAgent({})
    with pytest.raises(WeakJudgeError, match=r"false-accept 100\.0 %.*--allow-weak-judge"):
        run_eval(cfg, roles=_roles(yes_man), agent=agent)
    assert agent.calls == []  # refused before any item ran
    r = run_eval(cfg.model_copy(update={"allow_weak_judge": True}), roles=_roles(yes_man), agent=agent)
    mark = "weak judge (false-accept 100.0 %)"
    s = r.summary
    assert s["caveats"] == [mark] and s["accuracy"]["caveat"] == mark and s["samples"]["caveat"] == mark
    assert all(t["caveat"] == mark for t in s["by_topic"].values())
    cal = s["judge_calibration"]
    assert cal["passed"] is False and cal["false_accept"] == 1.0 and cal["n"] >= 60
    assert load_results(tmp_path / "run")["accuracy"]["caveat"] == mark


# 15 predictions and the judge's replies, and what the official eval.py makes of them
REPLIES = [
    "A", "A", "A", "A", "A", "B", "B",  # leading letters: 5 correct, 2 wrong
    "  A because the names agree", "B.",  # still leading: +1 correct, +1 wrong
    "**B**", "Answer: B", "The years differ.\nB", "[INCORRECT]",  # ours reads them; eval.py does not
    "**A**", "I am not sure",  # ours reads the first; nobody reads the second
]


def test_three_accuracy_conventions_on_the_same_replies(tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "".join(json.dumps({"id": f"q{i}", "question": f"Question number {i}?", "answer": "yen"}) + "\n" for i in range(15)),
        encoding="utf-8",
    )
    replies = {f"Question number {i}?": r for i, r in enumerate(REPLIES)}

    def judge_fn(messages, tools, config):
        text = messages[-1]["content"]
        return next((r for q, r in replies.items() if q in text), "I cannot tell")

    cfg = EvalConfig(benchmark="custom", data=str(qa), out=str(tmp_path / "run"), judge_max_attempts=1)
    agent = FakeAgent({f"Question number {i}?": "Yen" for i in range(15)})
    s = run_eval(cfg, roles=_roles(ScriptedLLM(fn=judge_fn, name="scripted/j")), agent=agent).summary
    a = s["accuracy"]
    # ours: A x7 (incl. "**A**"), B x7, unparsed 1
    assert (a["correct"], a["wrong"], a["unparsed"]) == (7, 7, 1)
    assert a["acc"] == pytest.approx(7 / 15) and a["acc_parsed"] == pytest.approx(7 / 14)
    # official: 6 A, 3 B, 6 unknown left out -> 6 / 9
    assert s["official"] == {"correct": 6, "wrong": 3, "unknown": 6, "not_applicable": 0, "acc": pytest.approx(6 / 9)}
    assert a["acc_official"] == pytest.approx(6 / 9)
    # the exact-match option would have overridden the judge ("Yen" vs "yen"); then the official count is n/a
    r = run_eval(
        cfg.model_copy(update={"judge": "exact+binary", "out": str(tmp_path / "r2")}),
        roles=_roles(ScriptedLLM(fn=judge_fn, name="scripted/j")),
        agent=agent,
    )
    assert r.summary["accuracy"]["acc"] == 1.0 and r.summary["judge_methods"] == {"exact": 15}
    assert r.summary["accuracy"]["acc_official"] is None and r.summary["official"]["not_applicable"] == 15
