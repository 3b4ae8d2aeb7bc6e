"""Measure a local GGUF model: load time, prompt and generation speed, JSON instruction following.

Used by ``openseeker models bench`` and ``benchmarks/local_models.py`` to choose the embedded default
by measurement. The instruction tests are small, fixed and checkable: each asks for a JSON object with a
known right answer, once free (the schema only described in the prompt) and once constrained by the
schema (llama.cpp grammar). "valid" = parses and matches the schema; "correct" = also has the right content.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from openseeker.llm.types import GenerateConfig


class _City(BaseModel):
    city: str
    country: str


class _QA(BaseModel):
    question: str
    answer: str


class _Extract(BaseModel):
    person: str
    year: int


class _Vague(BaseModel):
    description: str


# (prompt, schema, content check) -- our own wording
TASKS: list[tuple[str, type[BaseModel], Any]] = [
    (
        'What is the capital of France? Reply with a JSON object with the keys "city" and "country".',
        _City,
        lambda o: "paris" in o.city.lower(),
    ),
    (
        "Write one quiz question asking which planet is known as the Red Planet, and its answer, as a JSON "
        'object with the keys "question" and "answer".',
        _QA,
        lambda o: "mars" in o.answer.lower(),
    ),
    (
        "From the sentence 'Ada Lovelace published her notes on the Analytical Engine in 1843.' extract the "
        'person and the year, as a JSON object with the keys "person" and "year" (a number).',
        _Extract,
        lambda o: "lovelace" in o.person.lower() and o.year == 1843,
    ),
    (
        "Describe Albert Einstein in one vague sentence that does not contain his name, as a JSON object with "
        'the key "description".',
        _Vague,
        lambda o: len(o.description) > 10 and "einstein" not in o.description.lower(),
    ),
]

_LONG_PROMPT = (
    "The web graph links pages by hyperlinks; a multi-hop question needs facts from several linked pages. "
) * 40


@dataclass
class BenchResult:
    """One model's measurements."""

    name: str
    file: str
    size_mb: float
    load_s: float
    prompt_tokens: int
    prompt_tok_s: float
    gen_tokens: int
    gen_tok_s: float
    rss_mb: float
    free_valid: int = 0
    free_correct: int = 0
    constrained_valid: int = 0
    constrained_correct: int = 0
    tasks: int = 0
    json_s_per_task: float = 0.0
    samples: list[str] = field(default_factory=list)


def _check(text: str, schema: type[BaseModel], check: Any) -> tuple[bool, bool]:
    from openseeker.llm.structured import parse_json_lenient

    try:
        obj = schema.model_validate(parse_json_lenient(text))
    except (ValueError, ValidationError):
        return False, False
    try:
        return True, bool(check(obj))
    except Exception:
        return True, False


def bench_model(
    name: str, *, threads: int | None = None, gen_tokens: int = 64, n_ctx: int = 4096
) -> BenchResult:
    """Measure the model ``name`` (a known name or a GGUF path) in this process."""
    import psutil

    from openseeker.llm.config import LLMConfig
    from openseeker.llm.providers.llamacpp import LlamaCppLLM

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    llm = LlamaCppLLM.from_config(
        name, LLMConfig(model=f"llamacpp/{name}", options={"n_ctx": n_ctx, "n_threads": threads, "seed": 0})
    )
    t0 = time.perf_counter()
    llama = llm.model.llama
    load_s = time.perf_counter() - t0
    rss = (proc.memory_info().rss - rss0) / 1e6

    # prompt processing: a ~1k-token prompt, one token generated
    llama.reset()
    n_prompt = len(llama.tokenize(_LONG_PROMPT.encode()))
    t0 = time.perf_counter()
    llama.create_completion(_LONG_PROMPT, max_tokens=1, temperature=0)
    prompt_tok_s = n_prompt / (time.perf_counter() - t0)

    # generation: end-of-sequence banned so every run decodes exactly gen_tokens
    llama.reset()
    t0 = time.perf_counter()
    res = llama.create_completion(
        "Once upon a time", max_tokens=gen_tokens, temperature=0, logit_bias={llama.token_eos(): -1e9}
    )
    dt = time.perf_counter() - t0
    made = int(res["usage"]["completion_tokens"])

    r = BenchResult(
        name,
        str(llm.path),
        llm.path.stat().st_size / 1e6,
        load_s,
        n_prompt,
        prompt_tok_s,
        made,
        made / dt,
        rss,
        tasks=len(TASKS),
    )
    t_json = time.perf_counter()
    for prompt, schema, check in TASKS:
        msgs = [{"role": "user", "content": prompt}]
        free = llm.generate_sync(msgs, config=GenerateConfig(temperature=0, max_tokens=96))
        valid, correct = _check(free.text, schema, check)
        r.free_valid += valid
        r.free_correct += correct
        cons = llm.generate_sync(
            msgs, config=GenerateConfig(temperature=0, max_tokens=96, json_schema=schema.model_json_schema())
        )
        valid, correct = _check(cons.text, schema, check)
        r.constrained_valid += valid
        r.constrained_correct += correct
        r.samples.append(orjson.dumps({"free": free.text[:160], "constrained": cons.text[:160]}).decode())
    r.json_s_per_task = (time.perf_counter() - t_json) / (2 * len(TASKS))
    return r


def print_results(results: list[BenchResult]) -> None:
    """A rich table of the measurements."""
    from rich.console import Console
    from rich.table import Table

    t = Table(
        "model",
        "MB",
        "load s",
        "prompt tok/s",
        "gen tok/s",
        "RSS MB",
        "free JSON valid/correct",
        "constrained valid/correct",
        "s per JSON call",
    )
    for r in results:
        t.add_row(
            r.name,
            f"{r.size_mb:.0f}",
            f"{r.load_s:.2f}",
            f"{r.prompt_tok_s:.0f}",
            f"{r.gen_tok_s:.1f}",
            f"{r.rss_mb:.0f}",
            f"{r.free_valid}/{r.free_correct} of {r.tasks}",
            f"{r.constrained_valid}/{r.constrained_correct} of {r.tasks}",
            f"{r.json_s_per_task:.2f}",
        )
    Console().print(t)
