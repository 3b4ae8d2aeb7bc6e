"""Entity subgraph extraction: from page excerpts to grounded facts.

The generator reads short excerpts of the subgraph's pages (never whole pages: small local models have
a 2-4k token context) and returns facts ``subject --relation--> object``, each with an evidence sentence
and its source page. A fact whose evidence cannot be found in its source page's full text (normalized
fuzzy containment) is dropped and counted: the question may only use what the corpus really says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from openseeker.corpus.base import Corpus
from openseeker.errors import StructuredOutputError
from openseeker.llm.base import LLM
from openseeker.llm.structured import generate_structured
from openseeker.synth.config import ExtractConfig
from openseeker.synth.prompts import Prompt
from openseeker.synth.records import EntitySubgraph, Fact, WebSubgraph
from openseeker.synth.structured import structured_config
from openseeker.synth.text import compact, containment, is_cjk, iter_prose_sentences, normalize, sentences


class FactOut(BaseModel):
    """One fact as the generator writes it."""

    subject: str = Field(max_length=200)
    relation: str = Field(max_length=200)
    object: str = Field(max_length=200)
    evidence: str = Field(max_length=1000)
    page: str = Field(max_length=10)


class ExtractionOut(BaseModel):
    """The generator's whole extraction reply."""

    # Required fields with a minimum: under constrained decoding a small model must then write them
    # (optional fields are simply skipped by a 135M model).
    facts: list[FactOut] = Field(min_length=1, max_length=20)
    aliases: list[str] = Field(default_factory=list, max_length=5)


@dataclass
class Excerpt:
    """A page excerpt shown to the generator under a label (``P0`` is the seed)."""

    label: str
    page_id: int
    title: str
    text: str
    sentences: list[str] = field(default_factory=list)


class StepRejected(Exception):
    """A pipeline step rejected the seed; ``reason`` is the rejection reason (``step:what``)."""

    def __init__(self, reason: str, detail: object = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _clip(text: str, budget: int) -> str:
    return text if len(text) <= budget else text[: max(0, budget - 1)].rstrip() + "…"


def build_excerpts(corpus: Corpus, graph: WebSubgraph, cfg: ExtractConfig) -> list[Excerpt]:
    """The prompt's page excerpts, within a per-page and a total character budget.

    For each page: its leading sentences (they define the entity), then the sentences that mention the
    other subgraph pages' titles or link anchors (they carry the relations). For the seed we also add
    each link's context sentence, since that is where the seed states its relation to a neighbour.
    """
    titles = {n.page_id: n.title.replace("_", " ") for n in graph.nodes}
    skip = re.compile("|".join(f"(?:{p})" for p in cfg.skip_patterns) or r"(?!x)x", re.I)
    out: list[Excerpt] = []
    per_page = min(cfg.page_chars, max(120, cfg.total_chars // max(1, len(graph.nodes))))
    for i, node in enumerate(graph.nodes):
        page = corpus.get(node.page_id)
        if page is None:
            continue
        # Sentences are produced lazily and we stop once the page's budget is full: real pages can be
        # 100k characters, and only a few hundred of them fit in the prompt.
        sents = (x for x in iter_prose_sentences(page.text) if len(x) <= 400 and not skip.search(x))
        chosen: list[str] = [x for _, x in zip(range(cfg.lead_sentences), sents, strict=False)]
        if not chosen:  # a short page has no long paragraph: fall back to every sentence
            sents = (x for x in sentences(page.text) if len(x) <= 400 and not skip.search(x))
            chosen = [x for _, x in zip(range(cfg.lead_sentences), sents, strict=False)]
        # link contexts are sentences of the linking page, so they go with that page's excerpt
        chosen += [n.context for n in graph.nodes if n.context and n.via == node.page_id]
        names = [t for pid, t in titles.items() if pid != node.page_id]
        names += [n.anchor for n in graph.nodes if n.anchor and n.via == node.page_id]
        names = [x for x in names if x.strip()]
        if names:
            mention = re.compile(
                "|".join(re.escape(x) for x in sorted(set(names), key=len, reverse=True)), re.I
            )
            used = sum(len(x) + 1 for x in chosen)
            for x in sents:
                if used > per_page:
                    break
                if mention.search(x):
                    chosen.append(x)
                    used += len(x) + 1
        text, seen, kept = "", set(), []
        for s in chosen:
            s = s.strip()
            if not s or s in seen:
                continue
            seen.add(s)
            if len(text) + len(s) + 1 > per_page:
                if not text:
                    text = _clip(s, per_page)
                    kept.append(text)
                break
            text = f"{text} {s}".strip()
            kept.append(s)
        out.append(Excerpt(f"P{i}", page.id, titles[node.page_id], text, kept))
    return out


def render_excerpts(excerpts: list[Excerpt]) -> str:
    """The excerpts as prompt text."""
    return "\n\n".join(f"[{e.label}] {e.title}\n{e.text}" for e in excerpts)


def ground_facts(
    corpus: Corpus,
    excerpts: list[Excerpt],
    facts: list[FactOut],
    threshold: float,
    min_evidence_chars: int = 20,
) -> tuple[list[Fact], list[dict[str, object]]]:
    """Keep the facts whose evidence is found in their source page; return ``(kept, dropped)``.

    The evidence is looked up in the page's full text first, then in the excerpts of every page (the seed's
    link-context sentences come from the seed page, but a model may attribute them to the neighbour).
    """
    by_label = {e.label: e for e in excerpts}
    kept: list[Fact] = []
    dropped: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    for f in facts:
        key = (f.subject.strip().lower(), f.relation.strip().lower(), f.object.strip().lower())
        if key in seen:
            continue
        seen.add(key)
        if not f.subject.strip() or not f.object.strip() or not f.evidence.strip():
            dropped.append({"fact": f.model_dump(), "why": "empty_field"})
            continue
        if normalize(f.subject) == normalize(f.object):
            dropped.append({"fact": f.model_dump(), "why": "self_loop"})
            continue
        # A one-word "evidence" is trivially contained in its page: ask for a real sentence.
        need = min_evidence_chars // 2 if is_cjk(f.evidence) else min_evidence_chars
        if len(compact(f.evidence)) < need:
            dropped.append({"fact": f.model_dump(), "why": "evidence_too_short"})
            continue
        label = f.page.strip().strip("[]").upper()
        order = [by_label[label]] if label in by_label else []
        order += [e for e in excerpts if e.label != label]
        best, src = 0.0, None
        for e in order:
            page = corpus.get(e.page_id)
            score = containment(f.evidence, page.text) if page is not None else 0.0
            if score > best:
                best, src = score, e
            if best >= 1.0:
                break
        if src is None or best < threshold:
            dropped.append({"fact": f.model_dump(), "why": "evidence_not_found", "score": round(best, 3)})
            continue
        kept.append(
            Fact(
                f"f{len(kept) + 1}",
                f.subject.strip(),
                f.relation.strip(),
                f.object.strip(),
                f.evidence.strip(),
                src.page_id,
                src.title,
                round(best, 3),
            )
        )
    return kept, dropped


async def extract_entity_subgraph(
    llm: LLM,
    prompt: Prompt,
    corpus: Corpus,
    graph: WebSubgraph,
    theme: str,
    cfg: ExtractConfig,
    *,
    temperature: float,
    scope: str,
    max_reasks: int = 2,
) -> tuple[EntitySubgraph, list[str], list[dict[str, object]], str]:
    """Run the extraction and grounding; return ``(subgraph, aliases, dropped facts, raw reply)``.

    Raises:
        StepRejected: ``extract:invalid_json``, ``extract:schema_mismatch``, ``extract:no_grounded_facts``
            or ``extract:too_few_facts``.
    """
    excerpts = build_excerpts(corpus, graph, cfg)
    msgs = prompt.messages(
        theme=theme, pages=render_excerpts(excerpts), max_facts=min(12, 2 * len(excerpts) + 2)
    )
    choices: dict[tuple[str, ...], list[str]] | None = None
    if cfg.constrain_evidence:  # the evidence must be one of the shown sentences, the page one of the labels
        choices = {
            ("$defs", "FactOut", "properties", "evidence"): [s for e in excerpts for s in e.sentences],
            ("$defs", "FactOut", "properties", "page"): [e.label for e in excerpts],
        }
    gen = structured_config(
        ExtractionOut, temperature=temperature, max_tokens=cfg.max_tokens, choices=choices
    )
    try:
        obj, out = await generate_structured(
            llm, msgs, ExtractionOut, gen, scope=scope, max_reasks=max_reasks
        )
    except StructuredOutputError as e:
        raise StepRejected(f"extract:{e.reason}", {"raw": (e.raw or "")[:2000]}) from None
    facts, dropped = ground_facts(
        corpus, excerpts, obj.facts, cfg.grounding_threshold, cfg.min_evidence_chars
    )
    entities = sorted({x for f in facts for x in (f.subject, f.object)} | {theme})
    sub = EntitySubgraph(theme, entities, facts, dropped_facts=len(dropped))
    if not facts:
        raise StepRejected("extract:no_grounded_facts", {"proposed": len(obj.facts), "dropped": dropped[:10]})
    if len(facts) < cfg.min_facts:
        raise StepRejected("extract:too_few_facts", {"grounded": len(facts), "dropped": dropped[:10]})
    return sub, [a.strip() for a in obj.aliases if a.strip()], dropped, out.text
