"""A local imitation of the E2B sandbox API, for testing the ``e2b`` backend without an account or a network.

**This is an imitation, not E2B.** It is written from E2B's public API description (the REST sandbox API:
``POST /sandboxes`` (and ``/v2/sandboxes``), ``POST .../connect``, ``GET``/``DELETE /sandboxes/{id}``,
``POST .../timeout``), its in-sandbox daemon ``envd`` (``GET /health``, ``POST /files``, and the
Connect-RPC ``process.Process/Start`` stream, served with the SDK's own generated service classes), and
the code interpreter's ``POST /execute`` stream of JSON lines. One HTTP server plays all three; the
SDK is pointed at it with ``api_url`` and ``sandbox_url`` (requests name their sandbox in the
``E2b-Sandbox-Id`` header, as the SDK sends them). Each sandbox is a temporary folder standing for
``/home/user``; commands and code run as plain subprocesses there. It isolates **nothing**: use it only
with trusted test code. Python cells run in a fresh interpreter (no kernel state between cells).

Usage::

    with E2BImitation() as fake:
        cfg = SandboxConfig(backend="e2b", e2b_api_url=fake.url, e2b_sandbox_url=fake.url)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

HOME = "/home/user"

# Runs one cell and prints the outcome as the interpreter's JSON lines (the driver is ours).
_CELL = r"""
import ast, json, sys, traceback, io, contextlib
src = sys.stdin.read()
out, err = io.StringIO(), io.StringIO()
events = []
g = {"__name__": "__main__"}
try:
    tree = ast.parse(src)
    last = ast.Expression(tree.body.pop().value) if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(tree, "<cell>", "exec"), g)
        value = eval(compile(last, "<cell>", "eval"), g) if last is not None else None
    if value is not None:
        events.append({"type": "result", "text": repr(value), "is_main_result": True})
except BaseException as e:
    events.append({"type": "error", "name": type(e).__name__, "value": str(e),
                   "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__))})
lines = []
if out.getvalue():
    lines.append({"type": "stdout", "text": out.getvalue(), "timestamp": 0})
if err.getvalue():
    lines.append({"type": "stderr", "text": err.getvalue(), "timestamp": 0})
for e in lines + events:
    print(json.dumps(e))
"""


class E2BImitation:
    """Serve the imitation on a free loopback port in a background thread (see the module docstring).

    Attributes:
        url: the base URL for both ``api_url`` and ``sandbox_url``.
        sandboxes: sandbox id -> its folder (the live ones).
        killed: ids deleted through the API, in order.
        requests: ``(method, path)`` of every request, in order.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="e2b-imitation-"))
        self.sandboxes: dict[str, Path] = {}
        self.killed: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------- files

    def path(self, sandbox_id: str, path: str) -> Path:
        """The host path of ``path`` in a sandbox (``/home/user/...`` or relative to it)."""
        folder = self.sandboxes[sandbox_id]
        inside = os.path.normpath(os.path.join(HOME, path))
        rel = os.path.relpath(inside, HOME)
        if rel.startswith(".."):
            rel = inside.lstrip("/")  # elsewhere in the sandbox: kept under the folder too
        return folder / rel

    # -------------------------------------------------------------------------------- app

    def app(self) -> Any:
        import protobuf
        from e2b.envd.process import process_pb
        from e2b.envd.process.process_connect import Process as ProcessService
        from e2b.envd.process.process_connect import ProcessASGIApplication
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response, StreamingResponse
        from starlette.routing import Route

        fake = self
        oneof: Any = protobuf.Oneof  # untyped: the field names are checked by the SDK's own client

        def info(sid: str) -> dict[str, Any]:
            return {
                "templateID": "imitation",
                "sandboxID": sid,
                "clientID": "imitation",
                "envdVersion": "0.4.0",
            }

        async def create(request: Request) -> Response:
            sid = "imi" + uuid.uuid4().hex[:12]
            folder = fake.root / sid
            folder.mkdir()
            fake.sandboxes[sid] = folder
            return JSONResponse(info(sid), status_code=201)

        async def connect(request: Request) -> Response:
            sid = request.path_params["sid"]
            if sid not in fake.sandboxes:
                return JSONResponse({"code": 404, "message": f"sandbox {sid} not found"}, status_code=404)
            return JSONResponse(info(sid), status_code=200)

        async def get_or_delete(request: Request) -> Response:
            sid = request.path_params["sid"]
            if sid not in fake.sandboxes:
                return JSONResponse({"code": 404, "message": f"sandbox {sid} not found"}, status_code=404)
            if request.method == "DELETE":
                shutil.rmtree(fake.sandboxes.pop(sid), ignore_errors=True)
                fake.killed.append(sid)
                return Response(status_code=204)
            return JSONResponse({**info(sid), "state": "running", "startedAt": "2026-01-01T00:00:00Z",
                                 "endAt": "2026-01-01T01:00:00Z", "cpuCount": 2, "memoryMB": 512,
                                 "diskSizeMB": 1024})  # fmt: skip

        async def set_timeout(request: Request) -> Response:
            return Response(status_code=204)

        def sandbox_of(request: Request) -> str | None:
            sid = request.headers.get("e2b-sandbox-id", "")
            return sid if sid in fake.sandboxes else None

        async def health(request: Request) -> Response:
            return Response(status_code=204 if sandbox_of(request) else 502)

        async def files(request: Request) -> Response:
            sid = sandbox_of(request)
            if sid is None:
                return JSONResponse({"code": 502, "message": "sandbox not found"}, status_code=502)
            form = await request.form()
            written = []
            for _, upload in form.multi_items():
                target_path = request.query_params.get("path") or getattr(upload, "filename", "") or "file"
                target = fake.path(sid, target_path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(await upload.read())  # type: ignore[union-attr]
                written.append({"name": target.name, "type": "file", "path": target_path})
            return JSONResponse(written)

        async def execute(request: Request) -> Response:
            sid = sandbox_of(request)
            if sid is None:
                return JSONResponse({"code": 502, "message": "sandbox not found"}, status_code=502)
            body = await request.json()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-c", _CELL, cwd=fake.sandboxes[sid], env=_env(fake.sandboxes[sid]),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate(str(body["code"]).encode())

            async def lines() -> AsyncIterator[bytes]:
                for line in out.decode().splitlines():
                    yield (line + "\n").encode()
                yield (json.dumps({"type": "end_of_execution"}) + "\n").encode()

            return StreamingResponse(lines(), media_type="application/x-ndjson")

        class Process(ProcessService):
            async def start(self, request: Any, ctx: Any) -> AsyncIterator[Any]:
                sid = ctx.request_headers.get("e2b-sandbox-id", "")
                folder = fake.sandboxes[sid]
                cfg = request.process
                cwd = fake.path(sid, cfg.cwd) if cfg.cwd else folder
                proc = await asyncio.create_subprocess_exec(
                    cfg.cmd, *cfg.args, cwd=cwd, env={**_env(folder), **dict(cfg.envs or {})},
                    stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                event = process_pb.ProcessEvent
                yield process_pb.StartResponse(
                    event=event(event=oneof("start", event.StartEvent(pid=proc.pid)))
                )
                out, err = await proc.communicate()
                for name, data in (("stdout", out), ("stderr", err)):
                    if data:
                        data_event = event.DataEvent(output=oneof(name, data))
                        yield process_pb.StartResponse(event=event(event=oneof("data", data_event)))
                code = proc.returncode or 0
                end = event.EndEvent(exit_code=code, exited=True, status=f"exit status {code}")
                yield process_pb.StartResponse(event=event(event=oneof("end", end)))

        process_app = ProcessASGIApplication(Process())

        def dispatch(app: Any) -> Any:
            async def wrapped(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    fake.requests.append((scope["method"], scope["path"]))
                    if scope["path"].startswith("/process.Process/"):
                        await process_app(scope, receive, send)
                        return
                await app(scope, receive, send)

            return wrapped

        starlette = Starlette(
            routes=[
                Route("/sandboxes", create, methods=["POST"]),
                Route("/v2/sandboxes", create, methods=["POST"]),
                Route("/sandboxes/{sid}/connect", connect, methods=["POST"]),
                Route("/v2/sandboxes/{sid}/connect", connect, methods=["POST"]),
                Route("/sandboxes/{sid}/timeout", set_timeout, methods=["POST"]),
                Route("/sandboxes/{sid}", get_or_delete, methods=["GET", "DELETE"]),
                Route("/health", health, methods=["GET"]),
                Route("/files", files, methods=["POST"]),
                Route("/execute", execute, methods=["POST"]),
            ]
        )
        return dispatch(starlette)

    # -------------------------------------------------------------------------------- serving

    def start(self) -> E2BImitation:
        import uvicorn

        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="e2b-imitation")
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the E2B imitation did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> E2BImitation:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _env(folder: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
