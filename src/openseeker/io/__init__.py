"""Reading and writing records: JSONL files, shards."""

from openseeker.io.jsonl import append_jsonl, dumps_line, iter_jsonl, read_jsonl, write_jsonl

__all__ = ["append_jsonl", "dumps_line", "iter_jsonl", "read_jsonl", "write_jsonl"]
