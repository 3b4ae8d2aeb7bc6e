"""Secret values the process knows, and their removal from everything that leaves it.

A provider may echo what it was sent (a search API that returns the request headers in its body, an error
page that quotes the ``Authorization`` header), so redacting secrets by *field name* is not enough: every
known secret *value* is replaced by ``***`` wherever it turns up. The values come from

* the API keys the web backends read (:class:`openseeker.web.keys.KeyPool` registers them);
* the configuration: ``SecretStr`` values, fields named like a secret (``api_key``, ``token``,
  ``password``, ``authorization``...) and the environment variables named by ``*_env`` fields
  (:func:`register_config`);
* environment variables whose names say they hold a secret (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``,
  ``*PASSWORD*``; :func:`register_environment`).

:func:`scrub` / :func:`scrub_bytes` are applied to tool responses, the tool cache and cassettes, stage
logs and ``errors.jsonl``, and the CLI's error lines; :class:`SecretFilter` does it for log handlers.
Values shorter than :data:`MIN_CHARS` are not registered: they are not credible secrets, and replacing
them everywhere would garble ordinary text.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, SecretStr

REDACTED = "***"
MIN_CHARS = 8
_SECRET_ENV = re.compile(r"(API_?KEYS?|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.I)
_SECRET_FIELD = ("api_key", "apikey", "token", "secret", "password", "authorization")

_lock = threading.Lock()
_values: set[str] = set()
_pattern: tuple[re.Pattern[str], re.Pattern[bytes]] | None = None


def register(*values: str | None) -> None:
    """Remember secret values (and their percent-encoded forms) for :func:`scrub`."""
    global _pattern
    new = set()
    for value in values:
        if not isinstance(value, str):
            continue
        value = value.strip()
        if len(value) >= MIN_CHARS:
            new |= {value, quote(value, safe="")}
            if value.lower().startswith("bearer "):
                new.add(value[7:].strip())
    with _lock:
        if not new <= _values:
            _values.update(new)
            _pattern = None


def _patterns() -> tuple[re.Pattern[str], re.Pattern[bytes]] | None:
    global _pattern
    with _lock:
        if _pattern is None and _values:
            ordered = sorted(_values, key=len, reverse=True)  # the longest first: no partial leftovers
            text = "|".join(re.escape(v) for v in ordered)
            _pattern = (re.compile(text), re.compile(text.encode("utf-8")))
        return _pattern


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    p = _patterns()
    return p[0].sub(REDACTED, text) if p is not None and text else text


def scrub_bytes(data: bytes) -> bytes:
    """:func:`scrub` for bytes (UTF-8 text, JSON)."""
    p = _patterns()
    return p[1].sub(REDACTED.encode(), data) if p is not None and data else data


def register_environment(environ: Mapping[str, str] | None = None) -> None:
    """Register the values of environment variables whose names say they hold secrets (comma-separated
    lists included, as the key rotation reads them)."""
    environ = os.environ if environ is None else environ
    for name, value in environ.items():
        if _SECRET_ENV.search(name) and not name.upper().endswith(("_ENV", "_FILE", "_PATH")):
            register(*value.split(","))


def is_secret_name(name: str) -> bool:
    """Whether a field or key named ``name`` holds a secret (names of variables, ``*_env``, do not)."""
    n = name.lower()
    return not n.endswith(("_env", "_envs")) and any(m in n for m in _SECRET_FIELD)


def register_config(value: Any, name: str = "", environ: Mapping[str, str] | None = None) -> None:
    """Register the secrets held by a config (a model, mapping or list, at any depth): ``SecretStr``
    values, string values of secret-named fields, and the values of the variables ``*_env`` fields name."""
    environ = os.environ if environ is None else environ
    if isinstance(value, SecretStr):
        register(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            register_config(getattr(value, field), field, environ)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            register_config(v, str(k), environ)
    elif isinstance(value, list | tuple):
        for v in value:
            register_config(v, name, environ)
    elif isinstance(value, str):
        if is_secret_name(name):
            register(value)
        elif name.lower().endswith(("key_env", "key_envs")) and value in environ:
            register(*environ[value].split(","))


class SecretFilter(logging.Filter):
    """A handler filter that scrubs every registered secret from the records it passes (message,
    arguments and traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _patterns() is None:
            return True
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True
