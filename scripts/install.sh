#!/usr/bin/env bash
# Install openseeker and everything it needs into ./.venv (idempotent; safe to re-run).
#   - torch is installed first, pinned, so that the CPU build is used and no CUDA packages are pulled;
#   - llama-cpp-python (extra `local`) has no wheel on PyPI and compiles once (~5 min on 2 cores, then cached by pip);
#   - Chromium (Debian package) is only used by the test that opens the HTML evaluation report;
#   - bubblewrap (Debian package) isolates the local code sandbox of the OpenSeeker-v2 tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
EXTRAS="${OPENSEEKER_EXTRAS:-local,web,train,dense,mcp,ray,dev}"

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
if [[ ",$EXTRAS," == *",train,"* ]]; then
  .venv/bin/pip install 'torch==2.13.0'
fi
.venv/bin/pip install -e ".[${EXTRAS}]"

if [[ ",$EXTRAS," == *",dev,"* ]] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
      || echo "warning: could not install chromium; the HTML report browser test will be skipped" >&2
  else
    echo "note: chromium not found and not root; the HTML report browser test will be skipped" >&2
  fi
fi
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap) \
      || echo "warning: could not install bubblewrap; the local code sandbox (and its tests) will be unavailable" >&2
  else
    echo "note: bubblewrap not found and not root; install the 'bubblewrap' package for the local code sandbox" >&2
  fi
fi
echo "openseeker installed in .venv ($(.venv/bin/openseeker --version))"
