#!/usr/bin/env bash
# The main job on the embedded defaults, offline: set up, then run the data tour.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TAORUI_HOME=${TAORUI_HOME:-$PWD/.taorui_home}
exec .venv/bin/taorui tour "$@"
