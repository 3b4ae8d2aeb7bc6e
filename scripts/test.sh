#!/usr/bin/env bash
# Lint (ruff), type-check (mypy) and run the test suite (pytest). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
.venv/bin/pytest -q -p no:cacheprovider --timeout=900 "$@"
