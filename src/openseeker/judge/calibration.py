"""Judge calibration: how often a judge agrees with known labels, before anything rests on its word.

The built-in set (``calibration_set.yaml``, our own items, English and Chinese) holds predicted answers
whose correctness is known: exact, alias, paraphrase, number and unit formats, partly right, a wrong
entity of the right type, refusals, empty answers, several hedged candidates. :func:`calibrate` runs a
judge over it and reports

* **agreement**: verdicts equal to the label, over all items (an unparsed verdict disagrees);
* **false-accept**: wrong answers judged correct, over the wrong answers;
* **false-reject**: correct answers judged wrong, over the correct answers;
* unparsed verdicts (undecided rules, unreadable replies), the deciding methods, and figures by kind.

:func:`gate` is what every stage that trusts a judge calls first (``eval run``, rejection sampling in
``synth traj``, the closed-book/oracle checks of ``synth qa``): a judge whose false-accept rate, overall or in
either language, exceeds the threshold (default 10 %) is refused with :class:`WeakJudgeError`, unless the caller allows a weak
judge, and then its :meth:`Calibration.caveat` marks every number. Results are cached per judge model,
prompt version and set version (``$OPENSEEKER_CALIBRATION_DIR``, default ``calibration/`` beside the LLM
cache, i.e. ``~/.cache/openseeker/calibration``); a scripted judge is never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import orjson
import yaml

from openseeker.errors import ConfigError
from openseeker.judge.verdict import Judge
from openseeker.records import Record

DEFAULT_MAX_FALSE_ACCEPT = 0.10
JudgeFor = Callable[[str], Judge]


class WeakJudgeError(ConfigError):
    """A judge failed calibration and the caller did not allow a weak judge."""


@dataclass
class CalibrationItem(Record):
    """One labelled prediction."""

    id: str
    lang: str
    kind: str
    question: str
    gold: str
    response: str
    correct: bool
    aliases: list[str] = field(default_factory=list)


def load_set(path: str | Path | None = None) -> tuple[str, list[CalibrationItem]]:
    """``(version, items)`` of the built-in calibration set (or of a YAML file in the same format)."""
    text = (
        Path(path).read_text(encoding="utf-8")
        if path is not None
        else files(__package__).joinpath("calibration_set.yaml").read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    items = [CalibrationItem.from_dict(row) for row in data["items"]]
    return str(data["version"]), items


@dataclass
class Calibration(Record):
    """A judge's figures on the calibration set (rates are fractions in [0, 1])."""

    judge: str
    model: str
    prompt_version: str
    set_version: str
    n: int
    positives: int
    negatives: int
    agreement: float
    false_accept: float
    false_reject: float
    unparsed: int
    methods: dict[str, int] = field(default_factory=dict)
    by_lang: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False
    threshold: float | None = None
    passed: bool | None = None

    @property
    def worst_false_accept(self) -> float:
        """The false-accept rate the gate uses: the overall rate or that of the worse language, whichever is
        higher (a judge lenient in one language is lenient on that language's benchmarks)."""
        return float(max([self.false_accept, *(v.get("false_accept", 0.0) for v in self.by_lang.values())]))

    def caveat(self) -> str:
        """The mark every number judged by a weak judge carries."""
        return f"weak judge (false-accept {100 * self.worst_false_accept:.1f} %)"

    def summary(self) -> dict[str, Any]:
        """What results.json and stats.json carry: every field, the gate's rate, and the caveat if weak."""
        out = self.to_dict()
        out["worst_false_accept"] = self.worst_false_accept
        if self.passed is False:
            out["caveat"] = self.caveat()
        return out

    def line(self) -> str:
        """One line for logs and summaries."""
        langs = ", ".join(f"{k} {100 * v['false_accept']:.1f} %" for k, v in self.by_lang.items())
        return (
            f"{self.judge} on {self.model}: agreement {100 * self.agreement:.1f} %, false-accept "
            f"{100 * self.false_accept:.1f} % ({langs}), false-reject {100 * self.false_reject:.1f} %, "
            f"unparsed {self.unparsed}/{self.n} (set {self.set_version})"
        )


def _rates(rows: Sequence[tuple[CalibrationItem, bool | None]]) -> dict[str, Any]:
    pos = [v for it, v in rows if it.correct]
    neg = [v for it, v in rows if not it.correct]
    agree = sum(1 for it, v in rows if v is it.correct)
    return {
        "n": len(rows),
        "agreement": agree / len(rows) if rows else 0.0,
        "false_accept": sum(1 for v in neg if v is True) / len(neg) if neg else 0.0,
        "false_reject": sum(1 for v in pos if v is False) / len(pos) if pos else 0.0,
        "unparsed": sum(1 for _, v in rows if v is None),
    }


def _llm_of(judge: Any) -> Any:
    return getattr(judge, "llm", None) or getattr(getattr(judge, "fallback", None), "llm", None)


def _served(llm: Any) -> str | None:
    """What the endpoint serves (a model name or a weights file), read without loading anything."""
    for attr in ("path", "model"):
        if isinstance(getattr(type(llm), attr, None), property):
            continue  # a property may load a model; plain attributes are safe to read
        value = getattr(llm, attr, None)
        if isinstance(value, str | Path):
            return str(value)
    inner = getattr(llm, "inner", None) or getattr(llm, "llm", None)  # a caching wrapper
    return _served(inner) if inner is not None and inner is not llm else None


def _max_tokens(judge: Any) -> int | None:
    """The reply budget the judge's calls get: its own setting, else the model's default."""
    gen = getattr(judge, "generation", None) or getattr(getattr(judge, "fallback", None), "generation", None)
    defaults = getattr(_llm_of(judge), "defaults", None)
    if defaults is not None and hasattr(defaults, "merged"):
        gen = defaults.merged(gen)
    return getattr(gen, "max_tokens", None)


def identity(judge_for: JudgeFor) -> dict[str, Any]:
    """What makes two judges the same for caching: name, model (and endpoint), prompt versions."""
    out: dict[str, Any] = {}
    for lang in ("en", "zh"):
        j = judge_for(lang)
        llm = _llm_of(j)
        out[lang] = {
            "name": getattr(j, "name", type(j).__name__),
            "model": getattr(j, "model_id", "?"),
            "prompt_version": getattr(j, "prompt_version", "?"),
            "endpoint": str(getattr(llm, "base_url", "") or "") or None,
            "served_model": _served(llm) if llm is not None else None,
            "max_tokens": _max_tokens(j),
        }
    return out


def _cacheable(ident: dict[str, Any]) -> bool:
    # Only a named model (provider/model) or the rules have an identity worth caching; a scripted model or
    # a judge object without a model id exists only in the code that built it.
    models = [str(v["model"]) for v in ident.values()]
    return all((m == "rules" or "/" in m) and "scripted/" not in m for m in models)


def cache_dir() -> Path:
    """Where calibrations are cached (see the module docstring)."""
    if os.environ.get("OPENSEEKER_CALIBRATION_DIR"):
        return Path(os.environ["OPENSEEKER_CALIBRATION_DIR"])
    if os.environ.get("OPENSEEKER_CACHE"):
        return Path(os.environ["OPENSEEKER_CACHE"]).parent / "calibration"
    return Path.home() / ".cache" / "openseeker" / "calibration"


def _cache_path(ident: dict[str, Any], set_version: str) -> Path:
    key = orjson.dumps({"judge": ident, "set": set_version}, option=orjson.OPT_SORT_KEYS)
    return cache_dir() / f"{hashlib.sha256(key).hexdigest()[:24]}.json"


async def calibrate(
    judge_for: JudgeFor,
    *,
    items: Sequence[CalibrationItem] | None = None,
    set_version: str | None = None,
    concurrency: int = 4,
    use_cache: bool = True,
) -> Calibration:
    """Run a judge over the calibration set (each item by ``judge_for(item.lang)``).

    Args:
        judge_for: the judge of each language (a single judge: ``lambda lang: judge``).
        items: other labelled items (default: the built-in set).
        set_version: their version (for the cache key).
        concurrency: verdicts in flight.
        use_cache: read and write the calibration cache.
    """
    if items is None:
        set_version, items = load_set()
    version = set_version or "custom"
    ident = identity(judge_for)
    path = _cache_path(ident, version)
    if use_cache and _cacheable(ident) and path.exists():
        cal = Calibration.from_dict(orjson.loads(path.read_bytes()))
        cal.cached = True
        return cal
    t0 = time.monotonic()
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(it: CalibrationItem) -> tuple[bool | None, str]:
        async with sem:
            v = await judge_for(it.lang).judge(it.question, it.gold, it.response, aliases=it.aliases or None)
        return v.correct, v.method

    results = await asyncio.gather(*(one(it) for it in items))
    rows = [(it, v) for it, (v, _) in zip(items, results, strict=True)]
    by_kind: dict[str, list[tuple[CalibrationItem, bool | None]]] = defaultdict(list)
    by_lang: dict[str, list[tuple[CalibrationItem, bool | None]]] = defaultdict(list)
    for it, v in rows:
        by_kind[it.kind].append((it, v))
        by_lang[it.lang].append((it, v))
    overall = _rates(rows)
    en = ident["en"]
    cal = Calibration(
        judge=str(en["name"]),
        model=str(en["model"]),
        prompt_version=" | ".join(sorted({str(v["prompt_version"]) for v in ident.values()})),
        set_version=version,
        n=overall["n"],
        positives=sum(1 for it in items if it.correct),
        negatives=sum(1 for it in items if not it.correct),
        agreement=overall["agreement"],
        false_accept=overall["false_accept"],
        false_reject=overall["false_reject"],
        unparsed=overall["unparsed"],
        methods=dict(Counter(m for _, m in results).most_common()),
        by_lang={k: _rates(v) for k, v in sorted(by_lang.items())},
        by_kind={
            k: {"n": len(v), "agree": sum(1 for it, x in v if x is it.correct)} for k, v in sorted(by_kind.items())
        },
        disagreements=[
            {"id": it.id, "kind": it.kind, "label": it.correct, "verdict": v} for it, v in rows if v is not it.correct
        ],
        seconds=round(time.monotonic() - t0, 2),
    )
    if use_cache and _cacheable(ident):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(cal.to_dict(), option=orjson.OPT_INDENT_2))
        tmp.replace(path)  # atomic: concurrent runs never read half a file
    return cal


async def gate(
    judge_for: JudgeFor,
    *,
    max_false_accept: float = DEFAULT_MAX_FALSE_ACCEPT,
    allow_weak: bool = False,
    what: str = "this stage",
    flag: str = "--allow-weak-judge",
) -> Calibration:
    """Calibrate the judge (cached) and refuse it when its false-accept rate exceeds ``max_false_accept``.

    Returns the calibration with ``threshold`` and ``passed`` set (a weak judge passes only with
    ``allow_weak``; its :meth:`Calibration.caveat` then belongs next to every number).

    Raises:
        WeakJudgeError: the judge is too lenient and ``allow_weak`` is false.
    """
    cal = await calibrate(judge_for)
    cal.threshold = max_false_accept
    cal.passed = cal.worst_false_accept <= max_false_accept
    if not cal.passed and not allow_weak:
        raise WeakJudgeError(
            f"The judge failed calibration, so {what} will not rest on it: {cal.line()}; the false-accept "
            f"rate (overall or in one language) is above the {100 * max_false_accept:.0f} % limit. Use a "
            f"stronger judge model "
            f"(roles.judge), the rules judge (judge 'rules', or 'rules+<style>' with a calibrated model), or "
            f"{flag} to run anyway with every number marked '{cal.caveat()}'. "
            f"See 'openseeker eval calibrate-judge'."
        )
    return cal


def add_to_stats(result: Any, cal: Calibration) -> None:
    """Put a stage's judge calibration into its ``stats.json`` (and the returned stats)."""
    entry = cal.summary()
    result.stats["judge_calibration"] = entry
    path = Path(result.path) / "stats.json"
    if path.exists():
        stats = orjson.loads(path.read_bytes())
        stats["judge_calibration"] = entry
        path.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
