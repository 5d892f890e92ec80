#!/usr/bin/env bash
# Create .venv in the repo if missing and install Taorui with its pinned dependencies.
# Re-running is cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $PY" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.taorui-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing Taorui and its dependencies into .venv (a few minutes the first time)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$want" > "$stamp"
fi
# The browser tests (tests/test_console_browser.py) drive Debian's chromium through Playwright's
# Python client; never `playwright install` (it downloads a browser).
if [ ! -x /usr/bin/chromium ]; then
  as_root=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; else as_root="none"; fi
  fi
  if [ "$as_root" != none ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian's chromium and chromium-driver for the browser tests" >&2
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver \
      || { $as_root apt-get update && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; } \
      || echo "[setup] could not install chromium; the browser tests will fail until: apt-get install -y chromium chromium-driver" >&2
  else
    echo "[setup] /usr/bin/chromium is missing and neither root nor sudo is available:" \
         "the browser tests will fail until someone runs (as root): apt-get install -y chromium chromium-driver" >&2
  fi
fi
