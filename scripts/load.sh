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
server_pid=""
child=""
scratch=""

alive() { local state; state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1; [[ "$state" != Z* ]]; }
stop_server() {
  # Our server only, by its PID: SIGTERM (a graceful stop), SIGKILL if it lingers past 15 s.
  [ -n "$server_pid" ] || return 0
  if alive "$server_pid"; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do alive "$server_pid" || break; sleep 0.1; done
    alive "$server_pid" && kill -KILL "$server_pid" 2>/dev/null
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
# A command in the background, waited for: a signal to this script is handled at once (bash defers
# its traps until a foreground command ends), and the trap can end the command by its PID.
in_background() {
  "$@" &
  child=$!
  local code=0
  wait "$child" || code=$?
  child=""
  return "$code"
}
cleanup() {
  if [ -n "$child" ] && alive "$child"; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  stop_server
  if [ -n "$scratch" ]; then $PY bench/scratch_db.py drop "$scratch" || true; fi
  if [ -z "${LOAD_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {  # $1: the log file; sets server_pid and url
  local port
  port="$($PY -c 'from bench.common import free_port; print(free_port())')"
  url="http://127.0.0.1:$port"
  DATABASE_URL="$scratch" ENVIRONMENT="${ENVIRONMENT:-development}" \
    $PY -m app serve --host 127.0.0.1 --port "$port" >"$1" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null --max-time 2 "$url/" && alive "$server_pid" && return 0
    alive "$server_pid" || break
    sleep 0.2
  done
  echo "the server did not start:"; tail -n 40 "$1"; exit 1
}

scratch="$($PY bench/scratch_db.py create "${DATABASE_URL:-}" --name load --dir "$work")"
engine="${scratch%%:*}"; engine="${engine%%+*}"
DATABASE_URL="$scratch" $PY -m app migrate >"$work/prepare.log" 2>&1 \
  && DATABASE_URL="$scratch" $PY -m app generate --scale small --tokens-file "$work/tokens.json" \
    >>"$work/prepare.log" 2>&1 \
  || { echo "preparing the database failed:"; cat "$work/prepare.log"; exit 1; }

start_server "$work/server.log"
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
start_server "$work/server-after.log"
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
