"""JSON schema -> GBNF for llama.cpp: hostile enum strings give valid grammars; a grammar llama.cpp cannot
parse is a counted error, never a native crash (it used to kill the process with exit 139)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

from openseeker.llm.grammar import escape_literal, sanitize_schema

HOSTILE = [
    'He was called the "wise man" by his peers.',
    "A path like C:\\temp\\new and a lone backslash \\",
    "A sentence\nwith a line break and a\ttab.",
    "Brackets [like these] {and these} (and these) <and these>.",
    "「中文」的引号，还有句号。以及《书名号》！",
    "A very long sentence " + "that keeps going " * 150 + "and ends.",
    "It's an apostrophe and a \"quote\" and a \\\"both\\\".",
]


def schema(values: list[str]) -> dict:
    return {
        "type": "object",
        "properties": {"evidence": {"type": "string", "enum": values}, "note": {"const": 'say "hi"\\'}},
        "required": ["evidence", "note"],
    }


def test_escape_literal() -> None:
    assert escape_literal('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_sanitize_schema_drops_only_what_a_faulty_converter_cannot_take() -> None:
    s = sanitize_schema(schema([*HOSTILE, "plain words", "「中文」"]))
    assert s["properties"]["evidence"]["enum"] == [*HOSTILE[3:6], "plain words", "「中文」"]
    assert all("\\" not in json.dumps(v, ensure_ascii=False) for v in s["properties"]["evidence"]["enum"])
    assert "const" not in s["properties"]["note"]  # a hostile const is dropped, the field stays
    only_bad = sanitize_schema({"enum": ['"x"']})
    assert "enum" not in only_bad


needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs llama-cpp-python")


@pytest.fixture(scope="module")
def llm():  # type: ignore[no-untyped-def]
    from openseeker.llm import LLMConfig, get_llm
    from openseeker.llm import local_model as lm

    if importlib.util.find_spec("llama_cpp") is None or not lm.is_installed(lm.MODELS["smollm2"]):
        pytest.skip("needs llama-cpp-python and the embedded model")
    return get_llm(LLMConfig(model="llamacpp/smollm2", options={"n_ctx": 1024, "n_threads": 2, "seed": 0}))


@needs_llama
@pytest.mark.llamacpp
def test_hostile_enum_grammar_parses_and_constrains(llm) -> None:  # type: ignore[no-untyped-def]
    from openseeker.llm import GenerateConfig
    from openseeker.llm.grammar import check_grammar, schema_to_gbnf

    check_grammar(llm.model.llama, schema_to_gbnf(schema(HOSTILE)))  # llama.cpp itself parses it
    out = llm.generate_sync(
        [{"role": "user", "content": "Quote the sentence about the wise man."}],
        config=GenerateConfig(temperature=0, max_tokens=120, json_schema=schema(HOSTILE[:5])),
    )
    obj = json.loads(out.text)
    assert obj["evidence"] in HOSTILE and obj["note"] == 'say "hi"\\'


@needs_llama
@pytest.mark.llamacpp
def test_unparsable_grammar_is_a_counted_error(llm) -> None:  # type: ignore[no-untyped-def]
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from openseeker.llm import GenerateConfig
    from openseeker.llm.grammar import GrammarError

    # llama-cpp-python's own converter mis-escapes the quote: this grammar crashed the process before
    broken = json_schema_to_gbnf(json.dumps(schema(HOSTILE[:1])))
    with pytest.raises(GrammarError, match="cannot parse"):
        llm.generate_sync([{"role": "user", "content": "hi"}], config=GenerateConfig(max_tokens=8, grammar=broken))


@needs_llama
@pytest.mark.llamacpp
def test_enum_with_a_quote_no_longer_kills_the_process() -> None:
    """The reported crash (exit 139 on an evidence sentence with a double quote), in a child process."""
    from openseeker.llm import local_model as lm

    if not lm.is_installed(lm.MODELS["smollm2"]):
        pytest.skip("needs the embedded model")
    code = textwrap.dedent(
        """
        import json
        from openseeker.llm import GenerateConfig, LLMConfig, get_llm
        llm = get_llm(LLMConfig(model="llamacpp/smollm2", options={"n_ctx": 512, "n_threads": 2}))
        s = {"type": "object", "properties": {"e": {"type": "string", "enum": ['the "wise man"', "x"]}},
             "required": ["e"]}
        out = llm.generate_sync([{"role": "user", "content": "pick"}],
                                config=GenerateConfig(temperature=0, max_tokens=20, json_schema=s))
        print(json.loads(out.text)["e"])
        """
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, (res.returncode, res.stderr[-2000:])
    assert res.stdout.strip() in ('the "wise man"', "x")


_PAGES = [
    ("Harrow Quay", 'Harrow Quay is a port town whose founder was called "the wise man" by sailors. '
     "Its harbour master keeps records under C:\\harbour\\logs since 1850. The town [est. 1702] lies on "
     "the Brennan coast.", ["Brennan Coast", "Marta Ives"]),
    ("Brennan Coast", "The Brennan Coast is a shore of 84 km; locals say \\\"storm\\\" twice. "
     "Harrow Quay is its largest town {by far}. 「布伦南海岸」是一段海岸，长八十四公里。",
     ["Harrow Quay", "Marta Ives"]),
    ("Marta Ives", "Marta Ives was a sailor born in 1811 in Harrow Quay.\nShe wrote the log "
     + "that describes every voyage along the coast " * 40 + "in great detail.", ["Harrow Quay", "Brennan Coast"]),
]


@needs_llama
@pytest.mark.slow
@pytest.mark.llamacpp
def test_qa_synthesis_on_hostile_text_with_the_embedded_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Quotes, backslashes, line breaks, brackets, CJK punctuation and a very long sentence reach the
    evidence enum of the extraction and every later structured call (all checks on): no crash, no error."""
    from openseeker.corpus.base import MemoryCorpus
    from openseeker.llm import local_model as lm
    from openseeker.synth.config import QASynthConfig
    from openseeker.synth.qa import run_qa_synthesis

    if not lm.is_installed(lm.MODELS["smollm2"]):
        pytest.skip("needs the embedded model")
    corpus = MemoryCorpus.from_records(
        {"url": f"https://en.example.org/{t.replace(' ', '_')}", "title": t, "text": text,
         "links": [{"url": f"https://en.example.org/{x.replace(' ', '_')}", "anchor": x} for x in links]}
        for t, text, links in _PAGES
    )
    cfg = QASynthConfig.model_validate({
        "roles": {"default": {"model": "llamacpp/smollm2", "options": {"n_ctx": 2048, "n_threads": 2, "seed": 0},
                              "generation": {"temperature": 0.0}}},
        "out": str(tmp_path / "run"), "n": 3, "k": 2, "concurrency": 1, "max_reasks": 0, "progress": False,
        "seeds": {"min_text_chars": 20},
        "extract": {"page_chars": 2000, "total_chars": 4000, "max_tokens": 160},
        "question": {"max_tokens": 80},
        "checks": {"leak": "record", "shortcut": "record", "closed_book": "record", "oracle": "record",
                   "uniqueness": "record"},
    })
    res = run_qa_synthesis(cfg, corpus=corpus)
    assert res.errors == 0 and res.processed == 3, res
    assert not (tmp_path / "run" / "qa" / "errors.jsonl").exists()
