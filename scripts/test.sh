#!/usr/bin/env bash
# The second README command: install what is needed and run every test:
#   1. the suite on SQLite;  2. the same suite on a real PostgreSQL server;
#   3. the real-browser tests (Chromium) in a pytest process of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/setup-chromium.sh
PG_URL="$(bash scripts/setup-postgres.sh app_test | tail -n 1)"

status=0
run() {
  local label="$1"; shift
  echo "==> $label"
  set +e; "$@"; local code=$?; set -e
  # pytest exit 5 means no tests ran: that is a failure here, never a pass.
  if [ "$code" -ne 0 ]; then echo "!! $label failed (exit $code)"; status=1; fi
}

run "lint (ruff)" .venv/bin/ruff check app tests bench migrations
run "tests on SQLite" env -u TEST_DATABASE_URL .venv/bin/pytest -q -m "not browser" --ignore=tests/browser
run "schemathesis CLI against a live server (SQLite)" env -u DATABASE_URL bash scripts/schemathesis-live.sh
run "tests on PostgreSQL" env TEST_DATABASE_URL="$PG_URL" .venv/bin/pytest -q -m "not browser" --ignore=tests/browser
run "schemathesis CLI against a live server (PostgreSQL)" bash scripts/schemathesis-live.sh "$PG_URL"
# Load and SIGKILL faults, shortened (docs/operations.md): each in databases of its own, servers stopped.
run "load test on SQLite (10 s)" env -u DATABASE_URL LOAD_SECONDS=10 bash scripts/load.sh
run "load test on PostgreSQL (10 s)" env DATABASE_URL="$PG_URL" LOAD_SECONDS=10 bash scripts/load.sh
run "kill test on SQLite" env -u DATABASE_URL KILL_ROWS=5000 KILL_REPEATS=2 KILL_TIMEOUT=600 bash scripts/kill-test.sh
run "kill test on PostgreSQL" env DATABASE_URL="$PG_URL" KILL_ROWS=5000 KILL_REPEATS=2 KILL_TIMEOUT=600 bash scripts/kill-test.sh
run "browser tests (Chromium)" .venv/bin/pytest -q -p no:cacheprovider tests/browser
exit $status
