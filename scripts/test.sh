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
# A whole run spreads the test modules over one worker per core (at most 4; a module's tests stay
# together, so its module fixtures are built once): on the 2-core machine about 13 min instead of 20.
# TAORUI_TEST_WORKERS=0 runs in one process; a run with arguments (one file, -k ...) is one process.
workers=${TAORUI_TEST_WORKERS:-$(n=$(nproc 2>/dev/null || echo 1); if [ "$n" -ge 4 ]; then echo 4; elif [ "$n" -ge 2 ]; then echo "$n"; else echo 0; fi)}
parallel=()
# (state in one PostgreSQL database, TAORUI_DATABASE_URL, is shared: those runs stay in one process)
if [ "$#" = 0 ] && [ "$workers" != 0 ] && [ -z "${TAORUI_DATABASE_URL:-}" ]; then parallel=(-n "$workers" --dist loadscope); fi
set +e
.venv/bin/python -m pytest -q "${parallel[@]}" "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
if [ "$rc" != 0 ] || [ "$#" != 0 ] || [ "${TAORUI_TEST_POSTGRES:-1}" = 0 ]; then exit "$rc"; fi

bash scripts/test_postgres.sh
