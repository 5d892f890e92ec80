#!/usr/bin/env bash
# The durable-state tests again with their state in PostgreSQL (TAORUI_DATABASE_URL): the gate's
# ledger, approvals and audit log, the paper broker's book, the graph's checkpoints, crashes and
# the console's API over them. A server of Debian's is started on loopback for the run and
# removed after (scripts/postgres.sh). Called by scripts/test.sh after the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
DURABLE_TESTS=(tests/test_guardrails_*.py tests/test_gate_*.py tests/test_paper_broker.py
               tests/test_graph_state.py tests/test_graph_kill.py tests/test_trading_crash.py
               tests/test_server_api.py)
pg=$(mktemp -d /tmp/taorui-ci-pg-XXXXXX)
chmod 711 "$pg"  # as root the server runs as the postgres user, who must reach its folder
trap 'bash scripts/postgres.sh stop "$pg/data"; rm -rf "$pg"' EXIT
port=${TAORUI_TEST_PG_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
url=$(bash scripts/postgres.sh start "$pg/data" "$port")
echo "[test] the durable-state tests again, on Postgres at $url" >&2
TAORUI_DATABASE_URL="$url" .venv/bin/python -m pytest -q -p no:cacheprovider "${DURABLE_TESTS[@]}"
