"""Security of the local (bubblewrap) sandbox: what sandboxed code cannot reach, and the limits that stop it.

Each test runs real code under real bubblewrap; they skip (with the reason) where bwrap cannot run.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import psutil
import pytest

from openseeker.tools.config import SandboxConfig
from openseeker.tools.sandbox.local import LocalSandbox


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _box(cfg: SandboxConfig) -> tuple[LocalSandbox, str]:
    backend = LocalSandbox(cfg)
    return backend, await backend.create(600)


_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before() -> None:
    # processes this pytest process already had (a session's Ray cluster, servers of other fixtures) are not
    # a test's leftovers
    _BEFORE.clear()
    _BEFORE.update(c.pid for c in psutil.Process().children(recursive=True))


def _leftovers(uid: int | None) -> list[psutil.Process]:
    """Processes still running as the sandbox's own uid (as root), or below this test process (bwrap) and
    started by the test."""
    out = []
    for c in psutil.Process().children(recursive=True):
        try:
            if c.pid not in _BEFORE and c.status() != psutil.STATUS_ZOMBIE:
                out.append(c)
        except psutil.Error:
            pass  # gone meanwhile
    if uid is not None:
        for p in psutil.process_iter(["uids", "status"]):
            try:
                if p.info["status"] != psutil.STATUS_ZOMBIE and p.info["uids"].real == uid:
                    out.append(p)
            except (psutil.Error, TypeError, AttributeError):
                pass
    return out


def test_no_network_even_to_the_hosts_loopback(sandbox_cfg: SandboxConfig) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]

    async def go() -> str:
        backend, sid = await _box(sandbox_cfg)
        code = f"import socket\ns = socket.socket()\ns.settimeout(3)\ns.connect(('127.0.0.1', {port}))\nprint('connected')"
        res = await backend.run_python(sid, code)
        cmd = await backend.run_command(sid, f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected")
        await backend.kill(sid)
        return repr(res) + repr(cmd)

    out = run(go())
    assert "connected" not in out.replace("'connected'", "")  # the echo never ran
    assert "ConnectionRefusedError" in out or "Network is unreachable" in out
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing ever reached the listener
    listener.close()


def test_no_read_outside_its_folder(sandbox_cfg: SandboxConfig, tmp_path: Path) -> None:
    run_folder = tmp_path / "run"
    run_folder.mkdir()
    (run_folder / "secret.txt").write_text("run-folder-secret")
    home = str(Path.home())

    async def go() -> tuple[str, str, str]:
        backend = LocalSandbox(sandbox_cfg)
        other = await backend.create(600)
        await backend.write_file(other, "/home/user/theirs.txt", b"other-sandbox-secret")
        sid = await backend.create(600)
        probe = (
            "import os\n"
            f"paths = [{str(run_folder)!r}, {home!r}, {os.getcwd()!r}, {str(sandbox_cfg.root)!r}, '/etc/passwd', "
            "'/etc/shadow', '/root', '/var', '/opt', '/sys']\n"
            "print({p: os.path.exists(p) for p in paths})\n"
            "print(sorted(os.listdir('/')))"
        )
        res = await backend.run_python(sid, probe)
        found = await backend.run_command(
            sid, "grep -rs 'secret' / --exclude-dir=proc --exclude-dir=usr --exclude-dir=sys -l; true"
        )
        mine = await backend.run_command(sid, "ls -a /home/user /home")
        await backend.kill(sid)
        await backend.kill(other)
        return repr(res), found.stdout, mine.stdout

    res, found, mine = run(go())
    assert "True" not in res.split("Logs:")[1].split("\\n")[0], res  # not one of those paths exists inside
    assert "run-folder-secret" not in found and "theirs.txt" not in found and found.strip() == "", found
    assert "theirs.txt" not in mine


def test_empty_environment_except_what_is_allowed(
    sandbox_cfg: SandboxConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-must-not-leak")
    monkeypatch.setenv("SERPER_API_KEY", "serper-must-not-leak")
    cfg = sandbox_cfg.model_copy(update={"env": {"ALLOWED_VAR": "yes"}})

    async def go() -> tuple[str, str]:
        backend, sid = await _box(cfg)
        py = await backend.run_python(sid, "import os\nsorted(os.environ.items())")
        sh = await backend.run_command(sid, "env")
        await backend.kill(sid)
        return repr(py), sh.stdout

    py, sh = run(go())
    assert "must-not-leak" not in py + sh
    keys = {line.split("=", 1)[0] for line in sh.splitlines()}
    assert keys <= {"PATH", "HOME", "LANG", "TMPDIR", "ALLOWED_VAR", "PWD", "SHLVL", "_"}, keys
    assert "('ALLOWED_VAR', 'yes')" in py


def test_fork_bomb_is_stopped_by_the_process_limit(sandbox_cfg: SandboxConfig) -> None:
    cfg = sandbox_cfg.model_copy(update={"timeout_seconds": 4})
    counter = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(30)\n"
        "            os._exit(0)\n        n += 1\nexcept OSError as e:\n    print(n, type(e).__name__)"
    )

    async def go() -> tuple[str, object]:
        backend, sid = await _box(cfg)
        counted = await backend.run_python(sid, counter)
        bomb = await backend.run_command(sid, ":(){ :|:& };: ; sleep 60")
        uids.append(backend._meta(sid)["uid"])
        await backend.kill(sid)
        return repr(counted), bomb

    uids: list[int | None] = []
    counted, bomb = run(go())
    n = int(counted.split("stdout: ['")[1].split()[0])
    assert 0 < n < cfg.max_processes, counted  # forks beyond the limit failed with EAGAIN
    assert "BlockingIOError" in counted
    assert bomb.exit_code == 124 and "time limit" in bomb.error  # type: ignore[attr-defined]
    assert not _leftovers(uids[0])  # the whole tree is gone


def test_memory_hog_is_stopped(sandbox_cfg: SandboxConfig) -> None:
    async def go() -> tuple[str, str]:
        backend, sid = await _box(sandbox_cfg)
        big = await backend.run_python(sid, "x = bytearray(4 * 1024**3)")
        grow = await backend.run_python(
            sid, "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024**2))"
        )
        await backend.kill(sid)
        return repr(big), repr(grow)

    big, grow = run(go())
    assert "MemoryError" in big and "MemoryError" in grow


def test_endless_loop_is_stopped_by_cpu_time_and_sleep_by_wall_clock(sandbox_cfg: SandboxConfig) -> None:
    cfg = sandbox_cfg.model_copy(update={"timeout_seconds": 120, "cpu_seconds": 1})

    async def go() -> tuple[object, object, object]:
        backend, sid = await _box(cfg)
        spin = await backend.run_python(sid, "while True:\n    pass")
        shell_spin = await backend.run_command(sid, "while :; do :; done")
        backend.cfg = cfg.model_copy(update={"timeout_seconds": 2})
        sleeper = await backend.run_command(sid, "(setsid sleep 300 &) ; sleep 300")
        uids.append(backend._meta(sid)["uid"])
        await backend.kill(sid)
        return spin, shell_spin, sleeper

    uids: list[int | None] = []
    spin, shell_spin, sleeper = run(go())
    assert "CPU-time limit" in repr(spin)
    assert "CPU-time limit" in shell_spin.error  # type: ignore[attr-defined]
    assert sleeper.exit_code == 124 and "time limit" in sleeper.error  # type: ignore[attr-defined]
    assert not _leftovers(uids[0])  # the detached sleeper died with the sandbox


def test_output_is_truncated_at_the_cap(sandbox_cfg: SandboxConfig) -> None:
    async def go() -> tuple[object, object]:
        backend, sid = await _box(sandbox_cfg)
        flood = await backend.run_command(sid, "yes 'openseeker'")
        py = await backend.run_python(sid, "print('z' * 200_000)")
        await backend.kill(sid)
        return flood, py

    flood, py = run(go())
    assert len(flood.stdout) == sandbox_cfg.max_output_bytes  # type: ignore[attr-defined]
    assert "output passed" in flood.error  # type: ignore[attr-defined]
    assert len(repr(py)) < sandbox_cfg.max_output_bytes + 1000 and "output passed" in repr(py)


def test_file_size_and_disk_quota(sandbox_cfg: SandboxConfig) -> None:
    async def go() -> tuple[object, object]:
        backend, sid = await _box(sandbox_cfg)
        big = await backend.run_command(sid, "head -c 20M /dev/zero > big.bin")
        many = await backend.run_command(
            sid, "for i in $(seq 1 10); do head -c 7M /dev/zero > f$i.bin; done; sleep 5"
        )
        await backend.kill(sid)
        return big, many

    big, many = run(go())
    assert "file-size limit" in big.error  # type: ignore[attr-defined]
    assert "disk quota" in many.error  # type: ignore[attr-defined]


_SYSCALLS = """
import ctypes, errno, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def tried(name, *args):
    r = getattr(libc, name)(*args)
    return name + "=" + ("ok" if r == 0 else errno.errorcode[ctypes.get_errno()])
# PTRACE_ATTACH to a process that does not exist: ESRCH if the call is allowed, EPERM if filtered
print(tried("ptrace", 16, 999999, 0, 0), tried("unshare", 0x10000000), tried("mount", b"none", b"/tmp", b"tmpfs", 0, None))
print(subprocess.run(["sh", "-c", "echo child ok"], capture_output=True, text=True).stdout.strip())
"""


def test_system_call_filter(sandbox_cfg: SandboxConfig) -> None:
    """Tracing, new namespaces and mounts are refused inside (EPERM) while programs still start; with
    seccomp: off the same ptrace is allowed, so the filter is what refuses it."""
    from openseeker.tools.sandbox import seccomp

    if not seccomp.available():
        pytest.skip("libseccomp or pyseccomp is not installed")

    async def go(cfg: SandboxConfig) -> str:
        backend, sid = await _box(cfg)
        res = await backend.run_python(sid, _SYSCALLS)
        await backend.kill(sid)
        return repr(res)

    filtered = run(go(sandbox_cfg.model_copy(update={"seccomp": "on"})))
    assert "ptrace=EPERM" in filtered and "unshare=EPERM" in filtered and "mount=EPERM" in filtered, filtered
    assert "child ok" in filtered
    unfiltered = run(go(sandbox_cfg.model_copy(update={"seccomp": "off"})))
    assert "ptrace=ESRCH" in unfiltered and "child ok" in unfiltered, unfiltered


def test_seccomp_on_without_libseccomp_refuses_to_start(
    sandbox_cfg: SandboxConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openseeker.errors import ConfigError
    from openseeker.tools.sandbox import seccomp

    def missing() -> Path:
        raise seccomp.SeccompUnavailable("cannot load libseccomp (test)")

    monkeypatch.setattr(seccomp, "program", missing)
    with pytest.raises(ConfigError, match="pyseccomp"):
        LocalSandbox(sandbox_cfg.model_copy(update={"seccomp": "on"}))
    assert LocalSandbox(sandbox_cfg.model_copy(update={"seccomp": "auto"})).seccomp is None  # with a warning
