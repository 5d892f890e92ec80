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

bash scripts/test_postgres.sh
