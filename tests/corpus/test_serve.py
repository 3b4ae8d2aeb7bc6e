"""``openseeker corpus serve``: a real service (the CLI, uvicorn with two worker processes) over a generated
world; every answer equals the in-process store's, through our JSON API, the search/visit tools pointed at it
(``tools.corpus: http://...``), and the Search-R1 / ASearcher shapes."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openseeker.corpus import open_corpus
from openseeker.corpus.ingest import ingest
from openseeker.corpus.remote import RemoteCorpus
from openseeker.errors import PrerequisiteError
from openseeker.tools.base import fetchers, search_backends
from openseeker.tools.config import ToolsConfig
from openseeker.tools.search import SearchTool
from openseeker.tools.visit import VisitTool
from openseeker.worldgen import write_world

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    paths = write_world(root / "world", 3, 240, ("en", "zh"))
    ingest([paths["pages"]], root / "corpus")
    return root / "corpus"


@pytest.fixture(scope="module")
def service(corpus_dir: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "openseeker.cli.main", "corpus", "serve", str(corpus_dir), "--port", "0",
         "--workers", "2", "--threads", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Serving "), line + proc.stdout.read()
        url = line.split(" on ", 1)[1].split()[0]
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the service did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the supervisor and its workers
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _queries(store, n: int = 30) -> list[str]:
    rng = random.Random(5)
    out = ["", "zzzz-not-a-word", "river", "the"]
    for _ in range(n):
        page = store.get(rng.randrange(len(store)))
        words = page.text.split()
        if page.language == "zh":
            i = rng.randrange(max(1, len(page.text) - 6))
            out.append(page.text[i : i + 6])
        elif len(words) > 4:
            i = rng.randrange(len(words) - 3)
            out.append(" ".join(words[i : i + rng.randint(1, 4)]))
    return out


def test_json_api_equals_in_process(corpus_dir: Path, service: str) -> None:
    store = open_corpus(corpus_dir)
    remote = open_corpus(service)
    assert isinstance(remote, RemoteCorpus) and len(remote) == len(store)
    for q in _queries(store):
        for k in (1, 10):
            assert [h.to_dict() for h in remote.search(q, k)] == [h.to_dict() for h in store.search(q, k)], q
    rng = random.Random(1)
    for pid in [0, len(store) - 1, *rng.sample(range(len(store)), 15)]:
        page = store.get(pid)
        assert remote.get(pid) == page
        assert remote.get(page.url) == page and remote.get(page.title.upper()) == page
        assert remote.out_links(pid) == store.out_links(pid)
        assert remote.in_links(pid) == store.in_links(pid)
        assert remote.visit(page.url + "/") == (page, store.out_links(pid))
    assert remote.get("https://nowhere.test/x") is None and remote.get(10**9) is None


def test_tools_over_the_service_equal_local(corpus_dir: Path, service: str) -> None:
    """The search and visit tools give the agent the same text whether tools.corpus is the folder or the URL."""
    local_cfg, remote_cfg = ToolsConfig(corpus=str(corpus_dir)), ToolsConfig(corpus=service)
    tools = {
        name: (
            SearchTool(search_backends.create("corpus", cfg), top_k=5),
            VisitTool(fetchers.create("corpus", cfg), mode="raw"),
        )
        for name, cfg in (("local", local_cfg), ("remote", remote_cfg))
    }
    store = open_corpus(corpus_dir)
    urls = [store.get(i).url for i in (0, 7, 42)] + ["https://missing.test/page"]

    async def run(name: str) -> list[str]:
        search, visit = tools[name]
        out = [await search({"query": q}) for q in _queries(store, 10)[1:]]
        for u in urls:
            try:
                out.append(await visit({"url": u, "goal": "facts"}))
            except Exception as e:  # the tool error the model would read
                out.append(f"{type(e).__name__}: {e}")
        return out

    assert asyncio.run(run("remote")) == asyncio.run(run("local"))


def test_search_r1_and_asearcher_shapes(corpus_dir: Path, service: str) -> None:
    store = open_corpus(corpus_dir)
    queries = _queries(store, 8)[2:]
    r = httpx.post(service + "/retrieve", json={"queries": queries, "topk": 4}, timeout=30)
    assert r.status_code == 200
    result = r.json()["result"]
    assert len(result) == len(queries)
    for q, docs in zip(queries, result, strict=True):
        hits = store.search(q, 4)
        assert [d["document"]["id"] for d in docs] == [str(h.page_id) for h in hits]
        assert [d["score"] for d in docs] == [h.score for h in hits]
        for d, h in zip(docs, hits, strict=True):
            title, text = d["document"]["contents"].split("\n", 1)
            assert title == f'"{h.title}"' and text == h.snippet and d["document"]["url"] == h.url
    bare = httpx.post(service + "/retrieve", json={"queries": queries[:1], "topk": 2, "return_scores": False})
    assert [d["id"] for d in bare.json()["result"][0]] == [str(h.page_id) for h in store.search(queries[0], 2)]

    page = store.get(5)
    acc = httpx.post(service + "/access", json={"urls": [page.url, "https://missing.test/"]}).json()["result"]
    assert acc[1] is None
    assert acc[0]["contents"] == page.text and acc[0]["title"] == page.title
    assert acc[0]["links"] == [{"url": ln.target_url, "anchor": ln.anchor} for ln in store.out_links(5)]


def test_bad_requests_are_refused(service: str) -> None:
    bad = [
        ("/v1/search", b"not json"),
        ("/v1/search", b"[1, 2]"),
        ("/v1/search", b'{"query": "x", "top_k": 100000}'),
        ("/v1/search", b'{"query": "x", "mode": "magic"}'),
        ("/retrieve", b'{"queries": "one string"}'),
        ("/retrieve", b'{"queries": ["' + b"x" * 5000 + b'"]}'),
        ("/access", b'{"urls": [1]}'),
        ("/v1/search", b'{"query": "' + b"y" * (2 << 20) + b'"}'),
    ]
    for path, body in bad:
        r = httpx.post(service + path, content=body, timeout=30)
        assert r.status_code == 400 and "error" in r.json(), (path, r.text[:200])
    assert httpx.get(service + "/v1/page").status_code == 400
    assert httpx.get(service + "/v1/page", params={"key": "No such title"}).status_code == 404
    assert httpx.get(service + "/health").json()["status"] == "ok"


def test_unreachable_service_is_an_error_not_an_empty_result() -> None:
    with pytest.raises(PrerequisiteError, match="no corpus service"):
        RemoteCorpus("http://127.0.0.1:9")
