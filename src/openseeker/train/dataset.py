"""Turn an export into tokenized training rows, with a report of everything kept, cut or left out."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from openseeker.io.jsonl import write_jsonl
from openseeker.train.config import SFTTrainConfig
from openseeker.train.data import iter_conversations
from openseeker.train.render import TokenizerLike, tokenize_conversation


@dataclasses.dataclass
class DataReport:
    """Counts of the data preparation, written to ``<out>/data_report.json`` and printed.

    Attributes:
        rows_read: rows in the export.
        formats: rows per input shape.
        kept: rows that became training samples (``truncated`` included).
        truncated: samples cut at an assistant-turn boundary to fit ``max_seq_length``.
        dropped: rows left out, by reason (``overlong``, ``incorrect``, ``no_assistant_turn``, ``max_samples``).
        unlabeled: rows without a correctness label (kept, even with ``only_correct``).
        assistant_turns / assistant_turns_without_think: to spot exports that lost the reasoning.
        tokens_total / tokens_trainable: over the kept samples, after truncation.
        length_max / length_mean / length_p50: per kept sample, after truncation (tokens).
        full_length_max: longest sample before truncation (tokens).
        max_seq_length / overlong_policy: the settings that produced these counts.
    """

    rows_read: int = 0
    formats: dict[str, int] = dataclasses.field(default_factory=dict)
    kept: int = 0
    truncated: int = 0
    dropped: dict[str, int] = dataclasses.field(default_factory=dict)
    unlabeled: int = 0
    assistant_turns: int = 0
    assistant_turns_without_think: int = 0
    tokens_total: int = 0
    tokens_trainable: int = 0
    length_max: int = 0
    length_mean: float = 0.0
    length_p50: float = 0.0
    full_length_max: int = 0
    max_seq_length: int = 0
    overlong_policy: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """One paragraph for the console."""
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items())) or "none"
        return (
            f"{self.rows_read} rows read; {self.kept} kept ({self.truncated} truncated at a turn boundary); "
            f"dropped: {drops}; policy {self.overlong_policy} at {self.max_seq_length} tokens; "
            f"{self.tokens_trainable}/{self.tokens_total} tokens trainable; "
            f"longest sample {self.full_length_max} tokens before truncation"
        )


@dataclasses.dataclass
class PreparedData:
    """Tokenized rows (``id``/``input_ids``/``labels``, in memory unless streamed to a file) and the report."""

    rows: list[dict[str, Any]]
    report: DataReport
    rejects: list[dict[str, Any]]
    arrow_path: Path | None = None


def iter_prepared(
    path: str | Path,
    tokenizer: TokenizerLike,
    cfg: SFTTrainConfig,
    report: DataReport,
    rejects: list[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """Yield tokenized rows of an export, filling ``report`` and ``rejects`` as it goes.

    Every row that does not become a sample is appended to ``rejects`` with its source and reason.
    """
    report.max_seq_length, report.overlong_policy = cfg.max_seq_length, cfg.overlong
    formats: Counter[str] = Counter(report.formats)
    dropped: Counter[str] = Counter(report.dropped)
    lengths: list[int] = []

    def reject(conv_id: str, source: str, reason: str, **extra: Any) -> None:
        dropped[reason] += 1
        rejects.append({"id": conv_id, "source": source, "reason": reason, **extra})

    for conv in iter_conversations(path):
        report.rows_read += 1
        formats[conv.fmt] += 1
        if conv.correct is None:
            report.unlabeled += 1
        if cfg.only_correct and conv.correct is False:
            reject(conv.id, conv.source, "incorrect")
            continue
        if cfg.max_samples is not None and len(lengths) >= cfg.max_samples:
            reject(conv.id, conv.source, "max_samples")
            continue
        asst = [m for m in conv.messages if m["role"] == "assistant"]
        report.assistant_turns += len(asst)
        report.assistant_turns_without_think += sum(1 for m in asst if "<think>" not in m["content"])
        sample = tokenize_conversation(conv.messages, tokenizer, cfg.max_seq_length, cfg.overlong)
        report.full_length_max = max(report.full_length_max, sample.full_length)
        if sample.status == "no_trainable_tokens":
            reject(conv.id, conv.source, "no_assistant_turn")
            continue
        if sample.status == "dropped_overlong":
            reject(conv.id, conv.source, "overlong", tokens=sample.full_length)
            continue
        if sample.status == "truncated":
            report.truncated += 1
        lengths.append(len(sample.input_ids))
        report.tokens_total += len(sample.input_ids)
        report.tokens_trainable += sample.trainable_tokens
        report.kept, report.formats, report.dropped = len(lengths), dict(formats), dict(dropped)
        yield {"id": conv.id, "input_ids": sample.input_ids, "labels": sample.labels}
    report.kept, report.formats, report.dropped = len(lengths), dict(formats), dict(dropped)
    if lengths:
        report.length_max = max(lengths)
        report.length_mean = round(statistics.fmean(lengths), 1)
        report.length_p50 = float(statistics.median(lengths))


def prepare_sft_data(path: str | Path, tokenizer: TokenizerLike, cfg: SFTTrainConfig) -> PreparedData:
    """Read and tokenize a whole export in memory (small exports, inspection, tests)."""
    report = DataReport()
    rejects: list[dict[str, Any]] = []
    rows = list(iter_prepared(path, tokenizer, cfg, report, rejects))
    return PreparedData(rows, report, rejects)


def prepare_sft_data_to_file(
    path: str | Path, tokenizer: TokenizerLike, cfg: SFTTrainConfig, arrow_path: Path, batch_rows: int = 64
) -> PreparedData:
    """Tokenize an export straight into an Arrow stream file, so memory stays flat at any export size.

    The paper-scale export (11.7k samples of ~70k tokens) is about 0.8 billion token ids: far too many for
    Python lists, but a few GB as int32 Arrow columns that :meth:`datasets.Dataset.from_file` memory-maps.
    The file is written under a temporary name and renamed when complete.
    """
    import pyarrow as pa

    schema = pa.schema(
        [("id", pa.string()), ("input_ids", pa.list_(pa.int32())), ("labels", pa.list_(pa.int32()))]
    )
    report = DataReport()
    rejects: list[dict[str, Any]] = []
    arrow_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = arrow_path.with_name(arrow_path.name + ".tmp")
    batch: list[dict[str, Any]] = []
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for row in iter_prepared(path, tokenizer, cfg, report, rejects):
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
    tmp.replace(arrow_path)
    return PreparedData([], report, rejects, arrow_path)


def write_data_report(out_dir: Path, prepared: PreparedData) -> Path:
    """Write ``data_report.json`` and ``data_rejects.jsonl`` into the run folder; return the report path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "data_report.json"
    path.write_bytes(orjson.dumps(prepared.report.to_dict(), option=orjson.OPT_INDENT_2))
    write_jsonl(out_dir / "data_rejects.jsonl", prepared.rejects)
    return path


def read_data_report(out_dir: Path) -> DataReport:
    """Load ``data_report.json`` back (other ranks read what rank 0 wrote)."""
    return DataReport(**orjson.loads((out_dir / "data_report.json").read_bytes()))
