"""Budgets: the most calls and the most spend one run may use on paid web tools.

Counters live in SQLite (the tool cache's file by default), per run name and backend, so a stage that
stops and resumes later keeps counting where it stopped. A call that would go over a limit raises
:class:`BudgetExceededError` *before* it is sent; stages stop cleanly on it and resume when re-run with
a larger budget. Only calls that reach a provider are charged: cache hits and replays are free.

Options (``tools.options.budget``)::

    budget: {run: my-run, max_calls: 5000, max_spend: 5.0, path: runs/web.sqlite}
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openseeker.errors import BudgetExceededError, ConfigError
from openseeker.tools.base import FetchedPage, PageFetcher, SearchBackend, SearchHit
from openseeker.web.cache import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budget_usage (
    run TEXT NOT NULL,
    backend TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    spend REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run, backend)
);
"""


@dataclass
class Usage:
    """What one run has used, per backend."""

    run: str
    calls: dict[str, int]
    spend: dict[str, float]

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_spend(self) -> float:
        return sum(self.spend.values())


class BudgetStore:
    """Usage counters in an SQLite file (``":memory:"`` for a process-local budget)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = (
            connect(path)
            if self.path != ":memory:"
            else sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        )
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def usage(self, run: str) -> Usage:
        """The counters of ``run`` (zeros when it never called anything)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT backend, calls, spend FROM budget_usage WHERE run = ?", (run,)
            ).fetchall()
        return Usage(run, {b: c for b, c, _ in rows}, {b: s for b, _, s in rows})

    def runs(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT DISTINCT run FROM budget_usage ORDER BY run")]

    def charge(
        self,
        run: str,
        backend: str,
        calls: int,
        spend: float,
        *,
        max_calls: int | None,
        max_spend: float | None,
    ) -> None:
        """Add ``calls``/``spend`` to ``run``, atomically, unless that would go over a limit.

        Raises:
            BudgetExceededError: the limit would be exceeded; nothing is charged.
        """
        with self._lock:
            # IMMEDIATE takes the write lock first, so two processes cannot both pass the check
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                total_calls, total_spend = self._conn.execute(
                    "SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(spend), 0) FROM budget_usage WHERE run = ?",
                    (run,),
                ).fetchone()
                if max_calls is not None and total_calls + calls > max_calls:
                    raise BudgetExceededError(
                        f"Run {run!r} has used {total_calls} of its {max_calls} web tool calls. Raise "
                        f"tools.options.budget.max_calls and re-run to resume."
                    )
                if max_spend is not None and total_spend + spend > max_spend + 1e-12:
                    raise BudgetExceededError(
                        f"Run {run!r} has spent {total_spend:.4f} of its web tool budget of {max_spend:g}. Raise "
                        f"tools.options.budget.max_spend and re-run to resume."
                    )
                self._conn.execute(
                    "INSERT INTO budget_usage(run, backend, calls, spend) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(run, backend) DO UPDATE SET calls = calls + excluded.calls, "
                    "spend = spend + excluded.spend",
                    (run, backend, calls, spend),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def reset(self, run: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM budget_usage WHERE run = ?", (run,))


@dataclass
class Budget:
    """The limits of one run, and where its usage is counted."""

    store: BudgetStore
    run: str = "default"
    max_calls: int | None = None
    max_spend: float | None = None

    @classmethod
    def from_options(
        cls,
        options: dict[str, Any],
        default_path: str | None,
        store_factory: Callable[[str], BudgetStore] = BudgetStore,
    ) -> Budget | None:
        """Build from ``tools.options.budget``; ``None`` when no budget is configured.

        The counters go to ``budget.path``, else ``default_path`` (the tool cache), else a process-wide
        in-memory store (not persisted: a resumed run starts counting from zero).
        """
        opts = options.get("budget")
        if not opts:
            return None
        if not isinstance(opts, dict):
            raise ConfigError("tools.options.budget must be a mapping (run, max_calls, max_spend, path).")
        unknown = set(opts) - {"run", "max_calls", "max_spend", "path"}
        if unknown:
            raise ConfigError(f"Unknown keys in tools.options.budget: {', '.join(sorted(unknown))}.")
        path = opts.get("path") or default_path or ":memory:"
        try:
            max_calls = None if opts.get("max_calls") is None else int(opts["max_calls"])
            max_spend = None if opts.get("max_spend") is None else float(opts["max_spend"])
        except (TypeError, ValueError) as e:
            raise ConfigError(f"Invalid tools.options.budget: {e}") from None
        return cls(store_factory(str(path)), str(opts.get("run") or "default"), max_calls, max_spend)

    def charge(self, backend: str, cost: float, calls: int = 1) -> None:
        """Count ``calls`` calls costing ``cost`` each, or raise :class:`BudgetExceededError`."""
        self.store.charge(
            self.run, backend, calls, cost * calls, max_calls=self.max_calls, max_spend=self.max_spend
        )

    def usage(self) -> Usage:
        return self.store.usage(self.run)


class BudgetedSearch:
    """Charges the budget for every call that reaches the search backend."""

    def __init__(self, inner: SearchBackend, budget: Budget, cost: float):
        self.inner, self.budget, self.cost, self.name = inner, budget, cost, inner.name

    def __repr__(self) -> str:
        return f"BudgetedSearch({self.inner!r}, run={self.budget.run!r})"

    async def search(self, query: str, top_k: int = 10) -> list[SearchHit]:
        self.budget.charge(self.name, self.cost)
        return await self.inner.search(query, top_k)


class BudgetedFetch:
    """Charges the budget for every call that reaches the fetcher."""

    def __init__(self, inner: PageFetcher, budget: Budget, cost: float):
        self.inner, self.budget, self.cost, self.name = inner, budget, cost, inner.name

    def __repr__(self) -> str:
        return f"BudgetedFetch({self.inner!r}, run={self.budget.run!r})"

    async def fetch(self, url: str) -> FetchedPage:
        self.budget.charge(self.name, self.cost)
        return await self.inner.fetch(url)
