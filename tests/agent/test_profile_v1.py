"""The ``openseeker-v1`` profile: the released models' exact format, request by request.

The model is a scripted ``/v1/completions`` server driven through the real ``completions`` provider; the
expected prompts (``fixtures/openseeker_v1_requests.txt``) were written by hand from the format facts of
METHOD.md 5.2, 5.3, 6.1 and 6.2, not produced by this code.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from openseeker.agent import Agent, AgentConfig
from openseeker.agent.format import parse_calls_v1, parse_turn_v1, repair_json_v1
from openseeker.agent.profiles import get_profile
from openseeker.errors import ConfigError, ContextLengthError
from openseeker.llm import LLMConfig, ScriptedLLM, get_llm
from openseeker.prose import load_prose
from openseeker.tools.base import FetchedPage, SearchHit, Toolset
from openseeker.tools.search import SearchTool
from openseeker.tools.visit import VisitTool

fake = pytest.importorskip("openseeker.testing.fake_openai")

FIXTURE = Path(__file__).parent / "fixtures" / "openseeker_v1_requests.txt"
SYSTEM = "You are the test agent of the v1 format check.\nCall tools inside <tool_calls_begin> blocks.\n"
QUESTION = "Who designed the Analytical Engine?"
TURNS = [
    'Let me search.\n</think>\n\n<tool_calls_begin>\n<tool_call>\n{"name": "search", "arguments": '
    '{"query": ["Analytical Engine", "nothing here"]}}\n</tool_call>\n<tool_call>\n{"name": search}\n'
    "</tool_call>\n</tool_calls_end>",
    "Hmm.\n</think>\n\nI should look at the page.",
    'Visit it.\n</think>\n\n<tool_calls_begin>\n<tool_call>\n{"name": "visit", "arguments": {"url": '
    '"https://w.test/Analytical_Engine", "goal": "who designed it"}}\n</tool_call>\n<tool_call>\n'
    '{"name": "lookup", "arguments": {"q": "Babbage"}}\n</tool_call>\n</tool_calls_end>',
    "Done.\n</think>\n\n<answer>Charles Babbage</answer>",
]


class _Search:
    name = "fixed"

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        if query != "Analytical Engine":
            return []
        return [
            SearchHit(
                "Analytical Engine",
                "https://w.test/Analytical_Engine",
                "A proposed mechanical computer.",
                date="1837",
                source="w.test",
            ),
            SearchHit("Charles Babbage", "https://w.test/Charles_Babbage", "He designed the engine."),
        ]


class _Fetch:
    name = "fixed"

    async def fetch(self, url: str) -> FetchedPage:
        return FetchedPage(url, "The Analytical Engine was designed by Charles Babbage in 1837.")


def _toolset() -> Toolset:
    extractor = ScriptedLLM(
        default=json.dumps(
            {
                "rational": "the first sentence",
                "evidence": "It was designed by Charles Babbage.",
                "summary": "Charles Babbage designed it.",
            }
        )
    )
    return Toolset([SearchTool(_Search()), VisitTool(_Fetch(), extractor, mode="extract")])


def _expected() -> list[str]:
    text = FIXTURE.read_text(encoding="utf-8")
    return [p for p in re.split(r"(?m)^##### request \d+ #####\n", text) if p]


def _prompt_file(tmp_path: Path) -> Path:
    p = tmp_path / "system.txt"
    p.write_text(SYSTEM, encoding="utf-8")
    return p


def test_request_sequence_matches_the_official_format(tmp_path: Path) -> None:
    turns = iter(TURNS)
    with fake.FakeOpenAIServer(handler=lambda req: next(turns)) as srv:
        llm = get_llm(LLMConfig(model="completions/openseeker-v1", base_url=srv.base_url, cache=False))
        cfg = AgentConfig(profile="openseeker-v1", prompt_source=str(_prompt_file(tmp_path)))
        traj = asyncio.run(Agent(llm, _toolset(), cfg).run(QUESTION))
        bodies = [r.json for r in srv.requests if isinstance(r.json, dict) and "prompt" in r.json]
    expected = _expected()
    assert len(bodies) == len(expected) == 4
    for i, (body, want) in enumerate(zip(bodies, expected, strict=True), 1):
        assert body["prompt"] == want, f"request {i} differs"
        # the official runner sends no sampling parameters, only the generation budget
        assert body["max_tokens"] == 32768 and body["skip_special_tokens"] is False
        assert not {"temperature", "top_p", "top_k"} & set(body)
    assert traj.finish_reason == "answer" and traj.final_answer == "Charles Babbage"
    # one response block per call that ran; the parse failure is answered but not counted (v1)
    assert [len(s.calls) for s in traj.steps] == [1, 0, 2, 0]
    assert traj.tool_calls == 3
    assert traj.final_response == "<answer>Charles Babbage</answer>"


def test_v1_stops_at_the_tool_limit_without_a_forced_turn(tmp_path: Path) -> None:
    llm = ScriptedLLM([TURNS[0], TURNS[3]])
    cfg = AgentConfig(profile="openseeker-v1", prompt_source=str(_prompt_file(tmp_path)), max_tool_calls=1)
    traj = asyncio.run(Agent(llm, _toolset(), cfg).run(QUESTION))
    assert traj.finish_reason == "tool_limit" and len(llm.requests) == 1
    # an explicit option still wins over the profile's default
    cfg = AgentConfig(
        profile="openseeker-v1", prompt_source=cfg.prompt_source, max_tool_calls=1, on_tool_limit="force_answer"
    )
    llm = ScriptedLLM([TURNS[0], "<answer>Charles Babbage</answer>"])
    traj = asyncio.run(Agent(llm, _toolset(), cfg).run(QUESTION))
    assert traj.finish_reason == "forced_answer"
    assert llm.requests[-1].config.prefill == "I have used too many tools, so I will conclude my answer."


def test_v1_context_limit_texts(tmp_path: Path) -> None:
    src = str(_prompt_file(tmp_path))
    seen: list[Any] = []

    def overflow(messages, tools, config):  # every request after the first turn is too long
        seen.append(config)
        if len(seen) == 1:  # (a first turn that cannot fit is a config error, not a forced answer)
            return TURNS[0]
        raise ContextLengthError("maximum context length exceeded")

    cfg = AgentConfig(profile="openseeker-v1", prompt_source=src, max_tokens=2400)
    traj = asyncio.run(Agent(ScriptedLLM(fn=overflow), _toolset(), cfg).run(QUESTION))
    # the budget shrinks, then the turn is forced with the official token-limit text, then the fixed answer
    assert any(c.prefill == "I have used too many tokens, so I will conclude my answer.\n" for c in seen)
    assert traj.finish_reason == "context_limit"
    assert traj.final_response == "<answer>\nThe max context length has been reached.</answer>"


def test_missing_prompt_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not ship.*prompt_source.*checkout"):
        Agent(ScriptedLLM(default="x"), _toolset(), AgentConfig(profile="openseeker-v1"))
    with pytest.raises(ConfigError, match="does not exist"):
        Agent(
            ScriptedLLM(default="x"),
            _toolset(),
            AgentConfig(profile="openseeker-v1", prompt_source=str(tmp_path / "nope.txt")),
        )
    with pytest.raises(ConfigError, match="not a checkout"):
        Agent(ScriptedLLM(default="x"), _toolset(), AgentConfig(profile="openseeker-v1", prompt_source=str(tmp_path)))
    with pytest.raises(ConfigError, match="Unknown agent_profile"):
        Agent(ScriptedLLM(default="x"), _toolset(), AgentConfig(profile="openseeker-v9"))


def test_prompts_are_read_from_a_checkout_without_running_it(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "eval").mkdir()
    (tmp_path / "src" / "llm_tool_openseeker.py").write_text(
        'import sys\nsys.exit("never executed")\ndeveloper_prompt = """SYSTEM {"name": <x>}\n"""\n',
        encoding="utf-8",
    )
    (tmp_path / "eval" / "prompt.py").write_text(
        'JUDGE_PROMPT_BC_en = """\nQ {question} G {correct_answer} R {response}\n""".strip()\n',
        encoding="utf-8",
    )
    (tmp_path / "eval" / "eval.py").write_text(
        'messages = [{"role": "system", "content": "Be fair."}, {"role": "user", "content": "x"}]\n',
        encoding="utf-8",
    )
    v1 = get_profile("openseeker-v1")
    assert v1.system_text([], source=str(tmp_path)) == 'SYSTEM {"name": <x>}\n'
    assert v1.judge_messages(str(tmp_path)) == ("Be fair.", "Q {question} G {correct_answer} R {response}")
    with pytest.raises(ConfigError, match="does not ship"):
        load_prose(None, v1.official_judge, what="the judge prompt", profile="openseeker-v1")


def test_v1_parser_texts_and_repairs() -> None:
    calls, errors = parse_calls_v1(
        '<tool_calls_begin>\n<tool_call>\n{"name": "search", "arguments": {"query": ["a" "b"],}}\n</tool_call>\n'
        "<tool_call>\n\n</tool_call>\n<tool_call>\n[1]\n</tool_call>\n</tool_calls_end>"
    )
    assert [c.arguments for c in calls] == [{"query": ["a", "b"]}]
    assert errors == [
        "ERROR: Found empty <tool_call> tag (inner content is empty)",
        "ERROR: List item is not a dict",
    ]
    # unclosed tags are not calls under v1; arguments that are not an object still run, with none
    assert parse_calls_v1("<tool_call>\n{}") == ([], [])
    calls, errors = parse_calls_v1('<tool_call>{"tool_name": "visit", "tool_args": "{bad"}</tool_call>')
    assert calls[0].name == "visit" and calls[0].arguments == {}
    assert errors == ["ERROR: Failed to parse arguments as JSON string"]
    assert parse_calls_v1("") == ([], ["ERROR: No text to parse tool calls"])
    assert repair_json_v1('{"a": [1, 2') == '{"a": [1, 2]}'
    # the history keeps the raw turn as the official template writes it back
    t = parse_turn_v1("<think>\n\nA </think> B</think>\n\n<answer>x</answer>\n")
    assert t.text == "<think>\nA \n</think>\n\n<answer>x</answer>\n" and t.answer == "x"
    t = parse_turn_v1("<think>\nno closing tag <tool_call>\n{\"name\": \"s\", \"arguments\": {}}\n</tool_call>")
    assert t.text.startswith("no closing tag") and [c.name for c in t.calls] == ["s"]
