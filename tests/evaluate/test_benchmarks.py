"""Loaders: in-memory decryption of generated fixtures and (when present) the real encrypted files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from openseeker.errors import ConfigError, DataError
from openseeker.evaluate.benchmarks import get_benchmark, select_items
from openseeker.evaluate.benchmarks.crypto import (
    decrypt_browsecomp,
    decrypt_xbench,
    encrypt_browsecomp,
    encrypt_xbench,
)


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()}


def test_crypto_roundtrip_and_schemes_differ():
    text = "巴塞罗那 Barcelona 1992"
    assert decrypt_browsecomp(encrypt_browsecomp(text, "pw"), "pw") == text
    assert decrypt_xbench(encrypt_xbench(text, "canary"), "canary") == text
    assert encrypt_browsecomp(text, "canary") != encrypt_xbench(text, "canary")
    with pytest.raises(ValueError):
        decrypt_browsecomp("!!!not base64!!!", "pw")


def test_browsecomp_fixture(bc_csv, qa_rows):
    before = _files(bc_csv.parent)
    items = get_benchmark("browsecomp").load(bc_csv)
    assert [(i.question, i.answer, i.topic) for i in items] == qa_rows
    assert [i.id for i in items] == ["1", "2", "3"]
    assert _files(bc_csv.parent) == before  # nothing written


def test_browsecomp_bad_row_names_position(tmp_path, bc_csv):
    rows = list(csv.reader(bc_csv.open(encoding="utf-8")))
    rows[2][1] = encrypt_browsecomp("x", "another password") + "%%"
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(DataError, match="data row 2"):
        get_benchmark("browsecomp").load(bad)


def test_browsecomp_zh_fixture(bczh_xlsx, qa_rows):
    items = get_benchmark("browsecomp-zh").load(bczh_xlsx.parent)
    assert [(i.question, i.answer, i.topic) for i in items] == qa_rows
    assert all(i.lang == "zh" for i in items)


REVISED_HEADER = ["Unnamed: 0", "raw_problem", "raw_answer", "tag", "reason", "answer", "answer_diff", "canary"]


def _revised_csv(path: Path, rows: list[tuple[str, str, str, str, str]], canary: str = "browsecomp-zh-revised"):
    """A file in the revised release's layout (every column but the canary encrypted; empty cells empty),
    built from our own rows (question, raw answer, tag, reason, answer)."""
    pw = "browsecomp-zh-revised"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(REVISED_HEADER)
        for i, (q, raw, tag, reason, ans) in enumerate(rows):
            cells = [str(i), q, raw, tag, reason, ans, str(raw != ans)]
            w.writerow([encrypt_browsecomp(c, pw) if c else "" for c in cells] + [canary])
    return path


ZH_ROWS = [
    ("哪座城市举办了1992年夏季奥运会？", "巴塞罗那", "", "", "巴塞罗那"),
    ("《红楼梦》的作者是谁？", "高鹗", "原答案错误", "前八十回的作者是曹雪芹", "曹雪芹"),
    ("柏林墙在哪一年倒塌？", "1989年", "", "", "1989年"),
]


def test_browsecomp_zh_revised_csv(tmp_path):
    _revised_csv(tmp_path / "browsecomp-zh-encrypted.csv", ZH_ROWS)
    before = _files(tmp_path)
    items = get_benchmark("browsecomp-zh-revised").load(tmp_path)  # a folder holding the release file
    assert [i.id for i in items] == ["0", "1", "2"] and _files(tmp_path) == before
    assert [(i.question, i.answer) for i in items] == [(q, a) for q, _, _, _, a in ZH_ROWS]
    changed = items[1].meta
    assert changed == {"raw_answer": "高鹗", "answer_diff": True, "tag": "原答案错误", "reason": "前八十回的作者是曹雪芹"}
    assert items[0].meta == {"raw_answer": "巴塞罗那", "answer_diff": False, "tag": "", "reason": ""}
    # a wrong canary (here the original release's password) is a clear error naming the file
    bad = _revised_csv(tmp_path / "wrong.csv", ZH_ROWS, canary="BrowseComp-ZH")
    with pytest.raises(DataError, match=r"wrong\.csv at data row 1: cannot decrypt column .* canary"):
        get_benchmark("browsecomp-zh-revised").load(bad)
    # the xlsx of the original release is not the revised release
    xlsx = tmp_path / "x.xlsx"
    xlsx.touch()
    with pytest.raises(DataError, match="is a CSV"):
        get_benchmark("browsecomp-zh-revised").load(xlsx)


@pytest.mark.shared
def test_real_browsecomp_zh_revised(shared_dir):
    """The real release, when the lead has put it beside the others (it is not in ../shared by default)."""
    folder = shared_dir / "data" / "benchmarks" / "browsecomp-zh-revised"
    if not (folder / "browsecomp-zh-encrypted.csv").exists():
        pytest.skip(f"the revised release is not in {folder}")
    items = get_benchmark("browsecomp-zh-revised").load(folder)
    assert len(items) == 289 and sum(i.meta["answer_diff"] for i in items) == 24


def test_implausible_decryption_is_an_error(tmp_path):
    """A canary that is wrong but still yields valid UTF-8 gives garbage; the loader refuses it."""
    right, wrong = "A" * 40, ">" * 40  # XOR-ing with the difference (0x7f) turns letters into controls
    p = tmp_path / "DeepSearch-2510.csv"
    with open(p, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "prompt", "answer", "reference_steps", "canary"])
        for i in range(5):
            w.writerow([i, encrypt_xbench(f"which city hosted the games number {i}", right),
                        encrypt_xbench("barcelona", right), "", wrong])
    with pytest.raises(DataError, match=r"DeepSearch-2510\.csv: decrypted text is implausible"):
        get_benchmark("xbench-deepsearch-2510").load(p)
    from openseeker.evaluate.benchmarks.base import check_plausible

    with pytest.raises(DataError, match="Chinese"):
        check_plausible(["latin text only"] * 25, path=p, lang="zh")
    check_plausible(["中文问题"] * 25, path=p, lang="zh")


def test_empty_benchmark_file_is_an_error(tmp_path):
    empty = tmp_path / "qa.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="holds no questions"):
        get_benchmark("custom").load(empty)
    header_only = tmp_path / "DeepSearch-2510.csv"
    header_only.write_text("id,prompt,answer,reference_steps,canary\n", encoding="utf-8")
    with pytest.raises(DataError, match="holds no questions"):
        get_benchmark("xbench-deepsearch-2510").load(header_only)


def test_xbench_fixture(xbench_csv, qa_rows):
    items = get_benchmark("xbench-deepsearch-2510").load(xbench_csv)
    assert [(i.id, i.question, i.answer) for i in items] == [
        (str(n), q, a) for n, (q, a, _) in enumerate(qa_rows, 1)
    ]
    assert items[0].meta["reference_steps"] == "1. search"


def test_unpinned_file_warns(xbench_csv, caplog):
    # a file that is not the pinned release is read, with a warning naming the difference
    with caplog.at_level("WARNING"):
        items = get_benchmark("xbench-deepsearch").load(xbench_csv.parent)
    assert len(items) == 3 and "not the pinned release" in caplog.text


def test_custom_and_synth(tmp_path, qa_jsonl):
    items = get_benchmark("custom").load(qa_jsonl)
    assert [i.id for i in items] == ["q0", "q1", "q2"] and items[1].answer == "曹雪芹"
    csvp = tmp_path / "qa.csv"
    csvp.write_text("question,answer,aliases\nWho?,Ada,Augusta Ada|Lady Lovelace\n", encoding="utf-8")
    (c,) = get_benchmark("custom").load(csvp)
    assert c.aliases == ["Augusta Ada", "Lady Lovelace"] and c.id == "1"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 1"):
        get_benchmark("custom").load(bad)
    run = tmp_path / "run"
    (run / "qa").mkdir(parents=True)
    (run / "qa" / "00000.jsonl").write_text(qa_jsonl.read_text(encoding="utf-8"), encoding="utf-8")
    (run / "qa" / "errors.jsonl").write_text('{"key": "z", "error": "boom"}\n', encoding="utf-8")
    assert len(get_benchmark("synth").load(run)) == 3


def test_hle_text_only(tmp_path):
    p = tmp_path / "hle.jsonl"
    rows = [
        {
            "id": "a",
            "question": "q1",
            "image": "",
            "answer": "1",
            "answer_type": "exactMatch",
            "category": "Math",
        },
        {"id": "b", "question": "q2", "image": "data:image/png;base64,xx", "answer": "2", "category": "Math"},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    items = get_benchmark("hle").load(p)
    assert [i.id for i in items] == ["a"] and items[0].topic == "Math"
    assert items[0].meta["image_questions_skipped"] == 1


def test_widesearch_loader(tmp_path):
    (tmp_path / "widesearch_gold").mkdir()
    ev = {
        "unique_columns": ["name"],
        "required": ["name", "year"],
        "eval_pipeline": {"year": {"preprocess": ["norm_str"], "metric": ["exact_match"]}},
    }
    (tmp_path / "widesearch.jsonl").write_text(
        json.dumps({"instance_id": "ws_en_001", "query": "q", "evaluation": json.dumps(ev), "language": "en"})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "widesearch_gold" / "ws_en_001.csv").write_text("Name,Year\nA,2001\n", encoding="utf-8")
    # a custom file name (not the official one): the row count is not enforced
    (tmp_path / "mine.jsonl").write_text((tmp_path / "widesearch.jsonl").read_text(), encoding="utf-8")
    (item,) = get_benchmark("widesearch").load(tmp_path / "mine.jsonl")
    assert item.meta["gold"] == [{"name": "A", "year": "2001"}] and item.meta["evaluation"]["required"] == [
        "name",
        "year",
    ]


def test_select_items(qa_jsonl):
    items = get_benchmark("custom").load(qa_jsonl)
    chosen, spec = select_items(items, ids=["q2", "q0"])
    assert [i.id for i in chosen] == ["q2", "q0"] and spec["ids"] == ["q2", "q0"]
    a, spec_a = select_items(items, sample=2, seed=7)
    b, _ = select_items(items, sample=2, seed=7)
    assert [i.id for i in a] == [i.id for i in b] and len(a) == 2 and spec_a["seed"] == 7
    assert select_items(items, limit=1)[1]["selected_ids"] == ["q0"]
    with pytest.raises(ConfigError, match="nope"):
        select_items(items, ids=["nope"])


def test_missing_data_message():
    with pytest.raises(ConfigError, match="eval download"):
        get_benchmark("browsecomp").load(None)


# --- the real encrypted files (skipped when ../shared is absent) ---------------------------------
@pytest.mark.shared
def test_real_browsecomp_zh(bench_dir):
    folder = bench_dir / "browsecomp-zh"
    before = _files(folder)
    items = get_benchmark("browsecomp-zh").load(folder)
    assert len(items) == 289
    assert all(i.question and i.answer for i in items)
    assert len({i.topic for i in items}) == 11
    assert Counter(i.lang for i in items) == {"zh": 289}
    assert _files(folder) == before


@pytest.mark.shared
def test_real_xbench_2505(bench_dir):
    folder = bench_dir / "xbench-deepsearch"
    items = get_benchmark("xbench-deepsearch").load(folder)
    assert len(items) == 100 and [i.id for i in items] == [str(n) for n in range(1, 101)]
    assert all(i.question and i.answer for i in items)


@pytest.mark.shared
def test_real_answers_pass_the_exact_path_and_the_rules(bench_dir):
    """Every real Chinese gold answer, written back as an agent would, is recognised without an LLM: by the
    explicit exact-match option and by the rules judge."""
    import asyncio

    from openseeker.judge import get_judge

    async def check(items, style, wrap):
        judge = get_judge(style, None, lang="zh")
        return [await judge.judge(i.question, i.answer, wrap(i.answer)) for i in items]

    zh = get_benchmark("browsecomp-zh").load(bench_dir / "browsecomp-zh")
    wrap_zh = lambda a: f"<think>…</think>\n<answer>{a}</answer>"  # noqa: E731
    vs = asyncio.run(check(zh, "exact+browsecomp", wrap_zh))
    assert all(v.correct and v.method == "exact" for v in vs)
    vs = asyncio.run(check(zh, "rules", wrap_zh))
    assert all(v.correct and v.method == "rules" for v in vs)
    # without the option nothing is decided without a model
    assert asyncio.run(check(zh[:3], "browsecomp", wrap_zh))[0].correct is None
    xb = get_benchmark("xbench-deepsearch").load(bench_dir / "xbench-deepsearch")
    vs = asyncio.run(check(xb, "exact+xbench", lambda a: f"推理过程……\n最终答案：{a}"))
    assert all(v.correct and v.method == "exact" for v in vs)


def test_a_benchmark_is_one_object_with_its_safety_hints(monkeypatch):
    import openseeker.agent
    from openseeker.evaluate.benchmarks import Benchmark
    from openseeker.evaluate.runner import EvalConfig, build_eval_agent, judge_style
    from openseeker.llm import Roles, RolesConfig

    bc = get_benchmark("browsecomp")
    assert bc.judge_style == "browsecomp" and bc.score is None
    assert "openaipublic.blob.core.windows.net/simple-evals/*" in bc.hints()  # where its file is published
    assert judge_style(EvalConfig(benchmark="browsecomp", judge="official")) == "browsecomp"
    assert judge_style(EvalConfig(benchmark="xbench-deepsearch", judge="rules+official")) == "rules+xbench"
    ws = get_benchmark("widesearch")
    assert ws.score is not None and judge_style(EvalConfig(benchmark="widesearch", judge="binary")) == "table"
    # the agent under evaluation is kept away from where the benchmark's answers are published
    roles = Roles(RolesConfig())
    seen = []
    monkeypatch.setattr(openseeker.agent, "build_agent", lambda roles, tools, agent: seen.append(tools))
    mine = Benchmark("mine", lambda p: [], blocklist=("answers.example.org/*",))
    for bench in (mine, None):
        build_eval_agent(EvalConfig(benchmark="custom", tools={"blocklist": ["x.org/*"]}), roles, bench)
    assert seen[0].blocklist == ["x.org/*", "answers.example.org/*"] and seen[1].blocklist == ["x.org/*"]
