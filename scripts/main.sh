#!/usr/bin/env bash
# The main job on the embedded defaults, offline: set up, then run one instruction end to end
# through the agent graph (offline planner, sample store, FinRL on synthetic GOLD).
# Pass your own instruction as arguments: bash scripts/main.sh "mine momentum factors on csi_syn"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TAORUI_HOME=${TAORUI_HOME:-$PWD/.taorui_home}
if [ "$#" -eq 0 ]; then
  set -- "用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议"
fi
exec .venv/bin/taorui ask "$@"
