"""WideSearch's LLM alignment steps: map column names (official step 3) and align key values (step 5).

Both ask for a JSON object ``{"mapping": {...}}`` through :func:`generate_structured` (schema
:class:`NameMapping`), with our own prompts in English and Chinese. Every returned pair is then checked
against the names/values actually on offer, so an invented target is rejected (and reported), never
applied. :mod:`openseeker.evaluate.widesearch` decides what to do with the result and with a failure.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from openseeker.evaluate.benchmarks.widesearch import norm_column
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.llm.types import GenerateConfig

_COLUMN_MAP_EN = """A table was requested with exactly these columns:
{required}

The table we received has these column headers:
{columns}

For each received header, name the requested column that holds the same information (the wording,
language, abbreviation or units may differ), or null if none does. Use each requested column at most once
and copy its name exactly as listed above.

Reply with only a JSON object: {{"mapping": {{"<received header>": "<requested column or null>"}}}}"""

_COLUMN_MAP_ZH = """我们要求的表格应当恰好包含以下列：
{required}

收到的表格的列名如下：
{columns}

请为每个收到的列名找出内容相同的要求列（措辞、语言、缩写或单位可以不同）；若没有对应的列，则给 null。
每个要求列最多使用一次，且必须与上面列出的名称完全一致。

只回复一个 JSON 对象：{{"mapping": {{"<收到的列名>": "<要求的列名或 null>"}}}}"""

_KEY_ALIGN_EN = """Two lists give values of the column "{column}" of a table. They may name the same entity
in different ways (full name vs. abbreviation, translation, alternative or former name, extra qualifiers).

List A (from a response):
{pred}

List B (the reference vocabulary):
{gold}

For each value in list A, give the value in list B that denotes the very same entity, or null if none
does. Pair only values that clearly mean the same thing, never merely similar or related ones, and copy the
list B value exactly.

Reply with only a JSON object: {{"mapping": {{"<list A value>": "<list B value or null>"}}}}"""

_KEY_ALIGN_ZH = """下面两个列表都是表格中“{column}”这一列的取值，它们可能用不同方式指称同一实体
（全称与简称、译名、别名或旧称、附加限定语等）。

列表 A（来自回答）：
{pred}

列表 B（参考词表）：
{gold}

请为列表 A 中的每个值给出列表 B 中指称完全相同实体的值；若没有，则给 null。只有在两者明确指同一事物时才配对，
相似或相关都不算；列表 B 的值须原样照抄。

只回复一个 JSON 对象：{{"mapping": {{"<列表 A 的值>": "<列表 B 的值或 null>"}}}}"""


class NameMapping(BaseModel):
    """The LLM's reply to a column-mapping or key-alignment request."""

    mapping: dict[str, str | None] = Field(default_factory=dict)


_CJK = re.compile(r"[\u3400-\u9fff]")


def is_zh(lang: str | None, texts: list[str]) -> bool:
    """Whether to use the Chinese prompts: ``lang`` if given, else any CJK character in ``texts``."""
    if lang:
        return lang.lower().startswith("zh")
    return any(_CJK.search(t) for t in texts)


def _bullets(values: list[str]) -> str:
    return "\n".join(f"- {v}" for v in values)


async def _ask_mapping(llm: LLM, prompt: str, scope: str) -> dict[str, str | None]:
    obj, _ = await generate_structured(
        llm,
        [{"role": "user", "content": prompt}],
        NameMapping,
        GenerateConfig(temperature=0.0),
        scope=scope,
    )
    return obj.mapping


async def map_columns(
    llm: LLM, columns: list[str], required: list[str], *, zh: bool = False
) -> tuple[dict[str, str], dict[str, str]]:
    """Ask the LLM to map a response's column names onto the required ones (official step 3).

    Args:
        llm: the model (normally the judge role).
        columns: the response table's normalised column names.
        required: the task's normalised required column names.
        zh: use the Chinese prompt.

    Returns:
        ``(mapping, rejected)``: ``mapping`` renames response columns to required ones; it only holds
        response columns that are not already required names, onto required names that the response
        lacks, each used once. ``rejected`` gives every other non-null pair of the reply with the reason.

    Raises:
        StructuredOutputError: the reply never matched the schema; other LLM errors pass through.
    """
    prompt = (_COLUMN_MAP_ZH if zh else _COLUMN_MAP_EN).format(
        required=_bullets(required), columns=_bullets(columns)
    )
    raw = await _ask_mapping(llm, prompt, "widesearch-columns")
    req, have = set(required), set(columns)
    mapping: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for src, dst in raw.items():
        if dst is None:
            continue
        s, d = norm_column(src), norm_column(dst)
        if s not in have:
            rejected[src] = f"{src!r} is not a response column"
        elif d not in req:
            rejected[src] = f"{dst!r} is not a required column"
        elif s == d or s in req:
            continue  # already matches exactly; nothing to rename
        elif d in have:
            rejected[src] = f"{dst!r} is already a response column"
        elif d in mapping.values():
            rejected[src] = f"{dst!r} claimed by more than one column"
        else:
            mapping[s] = d
    return mapping, rejected


async def align_key_values(
    llm: LLM, column: str, pred_values: list[str], gold_values: list[str], *, zh: bool = False
) -> tuple[dict[str, str], dict[str, str]]:
    """Ask the LLM which gold value each response key value denotes (official step 5).

    Args:
        llm: the model (normally the judge role).
        column: the key column's name (context for the model).
        pred_values: response values with no exact gold counterpart.
        gold_values: gold values with no exact response counterpart.
        zh: use the Chinese prompt.

    Returns:
        ``(mapping, rejected)``: ``mapping`` sends response values to gold values (both taken verbatim from
        the given lists); ``rejected`` gives every other non-null pair of the reply with the reason.

    Raises:
        StructuredOutputError: the reply never matched the schema; other LLM errors pass through.
    """
    prompt = (_KEY_ALIGN_ZH if zh else _KEY_ALIGN_EN).format(
        column=column, pred=_bullets(pred_values), gold=_bullets(gold_values)
    )
    raw = await _ask_mapping(llm, prompt, "widesearch-keys")
    # Models often trim or re-space what they copy; match on the stripped text, apply the exact value.
    preds = {v.strip(): v for v in pred_values}
    golds = {v.strip(): v for v in gold_values}
    mapping: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for src, dst in raw.items():
        if dst is None:
            continue
        if src.strip() not in preds:
            rejected[src] = f"{src!r} is not a response value"
        elif dst.strip() not in golds:
            rejected[src] = f"{dst!r} is not a gold value"
        else:
            mapping[preds[src.strip()]] = golds[dst.strip()]
    return mapping, rejected
