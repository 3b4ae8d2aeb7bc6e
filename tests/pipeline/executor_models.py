"""Scripted models for the Ray executor tests, reachable from a stage config as ``scripted/executor_models:...``
in the Ray workers (the session's cluster puts this folder on their path).

They play the QA pipeline with the scripted model of ``tests/synth/conftest.py``. Switches are files in
``$OPENSEEKER_TEST_SCRATCH`` (a worker's environment is fixed when the cluster starts):

* ``kill-<theme>``: the worker process kills itself (SIGKILL) when it extracts facts for ``<theme>``; the
  file is removed first, so Ray's retry of the shard gets past it;
* ``fail-<theme>``: extracting for ``<theme>`` raises (an input error, retried by the next run);
* ``onefact-<theme>``: extracting for ``<theme>`` gives one fact only (the seed is then rejected).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location("synth_fixtures", Path(__file__).parents[1] / "synth" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = sys.modules["synth_fixtures"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
_SCRIPT = _fixtures.Script()
_ONE_FACT = _fixtures.Script(extract="one_fact")
_THEME = re.compile(r'central entity is "(.+?)"')


def _switch(kind: str, messages: list[dict[str, Any]]) -> bool:
    scratch = os.environ.get("OPENSEEKER_TEST_SCRATCH")
    user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    m = _THEME.search(user)
    if not scratch or not m:
        return False
    flag = Path(scratch) / f"{kind}-{m.group(1)}"
    if not flag.exists():
        return False
    if kind == "kill":
        flag.unlink()
    return True


def qa(messages: list[dict[str, Any]], tools: Any, config: Any) -> Any:
    """The QA pipeline's scripted model, with the kill and fail switches."""
    if _switch("kill", messages):
        os.kill(os.getpid(), signal.SIGKILL)
    if _switch("fail", messages):
        raise RuntimeError("a transient failure (test switch)")
    if _switch("onefact", messages):
        return _ONE_FACT(messages, tools, config)
    return _SCRIPT(messages, tools, config)


def agent(messages: list[dict[str, Any]], tools: Any, config: Any) -> str:
    """An agent that answers at once."""
    return "<think>\nI know this.\n</think>\n\n<answer>Paris</answer>"
