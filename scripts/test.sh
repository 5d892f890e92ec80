#!/usr/bin/env bash
# The whole suite: set up, lint, type-check, then pytest. Used by .ci/run.
# A whole run (no arguments) then runs the durable-state tests again with their state in
# PostgreSQL (TAORUI_DATABASE_URL), on a server of Debian's started on loopback and removed
# after; TAORUI_TEST_POSTGRES=0 skips that pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/ruff check .
.venv/bin/python -m mypy
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
if [ "$rc" != 0 ] || [ "$#" != 0 ] || [ "${TAORUI_TEST_POSTGRES:-1}" = 0 ]; then exit "$rc"; fi

# The same durable-state tests on Postgres: the gate's ledger, approvals and audit log, the
# paper broker's book, the graph's checkpoints, crashes and the console's API over them.
DURABLE_TESTS=(tests/test_guardrails_*.py tests/test_gate_*.py tests/test_paper_broker.py
               tests/test_graph_state.py tests/test_graph_kill.py tests/test_trading_crash.py
               tests/test_server_api.py)
pg=$(mktemp -d /tmp/taorui-ci-pg-XXXXXX)
chmod 711 "$pg"  # as root the server runs as the postgres user, who must reach its folder
trap 'bash scripts/postgres.sh stop "$pg/data"; rm -rf "$pg"' EXIT
url=$(bash scripts/postgres.sh start "$pg/data" "${TAORUI_TEST_PG_PORT:-55439}")
echo "[test] the durable-state tests again, on Postgres at $url" >&2
set +e
TAORUI_DATABASE_URL="$url" .venv/bin/python -m pytest -q -p no:cacheprovider "${DURABLE_TESTS[@]}"
rc=$?
set -e
exit "$rc"
