from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openseeker.errors import ConfigError, DataError, OpenSeekerError, PrerequisiteError, missing_extra
from openseeker.io.jsonl import append_jsonl, iter_jsonl, read_jsonl, write_jsonl
from openseeker.records import Record
from openseeker.registry import Registry


@dataclass
class Child(Record):
    name: str
    score: float = 0.0


@dataclass
class Parent(Record):
    id: str
    kids: list[Child] = field(default_factory=list)
    best: Child | None = None
    by_name: dict[str, Child] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def test_record_round_trip_nested(tmp_path: Path) -> None:
    p = Parent("p1", [Child("a", 1.0), Child("b")], Child("a", 1.0), {"b": Child("b")})
    d = p.to_dict()
    assert d["kids"][0] == {"name": "a", "score": 1.0}
    assert Parent.from_dict(d) == p
    write_jsonl(tmp_path / "x.jsonl.gz", [p, p])
    rows = read_jsonl(tmp_path / "x.jsonl.gz")
    assert [Parent.from_dict(r) for r in rows] == [p, p]
    # unknown keys from newer writers are kept, not dropped
    q = Parent.from_dict({**d, "new_field": 3})
    assert q.extra == {"new_field": 3}


def test_jsonl_errors_name_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"a": 1}\n{"a": \n[1]\n')
    with pytest.raises(DataError, match=r"bad\.jsonl at line 2"):
        list(iter_jsonl(f))
    bad: list = []
    assert list(iter_jsonl(f, skip_bad=True, bad=bad)) == [{"a": 1}]
    assert [b["line"] for b in bad] == [2, 3]
    g = tmp_path / "trunc.jsonl.gz"
    g.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-30])
    with pytest.raises(DataError, match="corrupt or truncated"):
        list(iter_jsonl(g))
    with pytest.raises(DataError, match="not found"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))
    append_jsonl(tmp_path / "a.jsonl", [{"x": 1}, Child("c")])
    assert read_jsonl(tmp_path / "a.jsonl") == [{"x": 1}, {"name": "c", "score": 0.0}]


def test_registry_lazy_and_suggestions() -> None:
    reg: Registry[str] = Registry("thing")
    calls = []

    @reg.register("alpha")
    def _alpha(x: int) -> str:
        calls.append(x)
        return f"a{x}"

    assert calls == []  # nothing built at registration
    assert reg.create("alpha", 3) == "a3"
    assert "alpha" in reg and reg.names() == ["alpha"]
    with pytest.raises(ConfigError, match="Did you mean 'alpha'"):
        reg.get("alpah")


def test_error_hierarchy_and_install_hint() -> None:
    e = missing_extra("llama_cpp", "local", "The llamacpp provider")
    assert isinstance(e, PrerequisiteError) and isinstance(e, OpenSeekerError)
    assert "pip install 'openseeker[local]'" in str(e)
    assert DataError("bad", path="f.xml", position="byte 10").to_dict() == {"type": "DataError", "message": "f.xml at byte 10: bad"}
