#!/usr/bin/env bash
# Load test (docs/operations.md): locust, headless, LOAD_USERS (50) users reading and writing (80/20,
# bench/locustfile.py) for LOAD_SECONDS (60) against a real `python -m app serve` on loopback, on a
# database of its own with generated data (`generate --scale small`). Then: 0 failures (no 5xx, no
# dropped connection, no unexpected status), 0 "database is locked" in the server's log, and every
# acknowledged write read back through the API of the server started again on the same database.
#
#   bash scripts/load.sh                                   # SQLite, a file in a temporary directory
#   LOAD_SECONDS=10 bash scripts/load.sh                   # the shortened form scripts/test.sh runs
#   DATABASE_URL=postgresql+psycopg://app:app@127.0.0.1:5432/app bash scripts/load.sh
#
# On PostgreSQL the URL names the server: the test runs in a database of its own there (<name>_load),
# dropped afterwards. LOAD_KEEP=1 keeps the working directory (logs, locust's CSV, the write record).
# Prints one summary line; exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LOAD_SECONDS="${LOAD_SECONDS:-60}"
LOAD_USERS="${LOAD_USERS:-50}"
work="$(mktemp -d "${TMPDIR:-/tmp}/load.XXXXXX")"
scratch=""
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

cleanup() {
  stop_child
  stop_server
  if [ -n "$scratch" ]; then $PY bench/scratch_db.py drop "$scratch" || true; fi
  if [ -z "${LOAD_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scratch="$($PY bench/scratch_db.py create "${DATABASE_URL:-}" --name load --dir "$work")"
engine="${scratch%%:*}"; engine="${engine%%+*}"
DATABASE_URL="$scratch" $PY -m app migrate >"$work/prepare.log" 2>&1 \
  && DATABASE_URL="$scratch" $PY -m app generate --scale small --tokens-file "$work/tokens.json" \
    >>"$work/prepare.log" 2>&1 \
  || { echo "preparing the database failed:"; cat "$work/prepare.log"; exit 1; }

start_server "$scratch" "$work/server.log"
locust_status=0
LOAD_TOKENS="$work/tokens.json" LOAD_RECORD="$work/record.json" \
  in_background timeout --signal=TERM --kill-after=15 $((LOAD_SECONDS + 120)) \
  .venv/bin/locust -f bench/locustfile.py --headless --only-summary -u "$LOAD_USERS" -r "$LOAD_USERS" \
    -t "${LOAD_SECONDS}s" --stop-timeout 10 --host "$url" --csv "$work/locust" \
    >"$work/locust.log" 2>&1 || locust_status=$?
stop_server
if [ ! -s "$work/record.json" ] || [ ! -s "$work/locust_stats.csv" ]; then
  echo "locust did not finish (exit $locust_status):"; tail -n 40 "$work/locust.log"; exit 1
fi

# Every acknowledged write, read back from the database through a server started afresh on it.
start_server "$scratch" "$work/server-after.log"
check_status=0
in_background $PY bench/load_check.py --url "$url" --tokens "$work/tokens.json" --record "$work/record.json" \
  --stats "$work/locust" --log "$work/server.log" --log "$work/server-after.log" \
  --label "load ($engine, $LOAD_USERS users, ${LOAD_SECONDS} s)" || check_status=$?
stop_server
if [ "$check_status" -ne 0 ]; then
  echo "locust's summary:"; grep -A 30 -E "^(Error report|Response time percentiles)" "$work/locust.log" | head -n 40 || true
  echo "the server's log (last lines):"; tail -n 20 "$work/server.log"
fi
exit "$check_status"
