#!/usr/bin/env bash
# Fault test (docs/operations.md): SIGKILL in the middle of the two largest writes (bench/kill_test.py).
#   (a) `python -m app import-gias` on a generated extract of KILL_ROWS (50,000) schools, killed
#       KILL_REPEATS (3) times at different points once it has begun writing;
#   (b) `python -m app serve` handling POST /api/v1/indicators/bulk (5,000 items), killed KILL_REPEATS
#       times at different points of the request, then started again.
# After each kill: PRAGMA integrity_check is ok on SQLite (on PostgreSQL: the killed transaction is
# gone and amcheck passes), and the write happened entirely or not at all; a re-run of the import
# succeeds, the restarted server answers.
#
#   bash scripts/kill-test.sh                                       # SQLite, files in a temporary directory
#   KILL_ROWS=10000 KILL_REPEATS=2 bash scripts/kill-test.sh        # the shortened form scripts/test.sh runs
#   (KILL_TIMEOUT, 1800 s: the bound on each part)
#   DATABASE_URL=postgresql+psycopg://app:app@127.0.0.1:5432/app bash scripts/kill-test.sh
#
# On PostgreSQL the URL names the server: each part runs in a database of its own there
# (<name>_kill_gias, <name>_kill_bulk), dropped afterwards. KILL_KEEP=1 keeps the working directory
# (extracts, the imports' and the servers' logs). Exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
KILL_ROWS="${KILL_ROWS:-50000}"
KILL_REPEATS="${KILL_REPEATS:-3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/kill-test.XXXXXX")"
export KILL_TEST_PIDS="$work/pids"  # every process the driver starts, by PID
scratch=()
child=""

cleanup() {
  # The driver first (TERM: it stops its server itself), then anything of ours it left.
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  # The driver stops what it starts; this is for when the driver itself was stopped: our PIDs only,
  # and only while they are still the project's processes.
  if [ -f "$KILL_TEST_PIDS" ]; then
    while read -r pid; do
      if ps -o args= -p "$pid" 2>/dev/null | grep -q -- "-m app"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <"$KILL_TEST_PIDS"
  fi
  for url in "${scratch[@]}"; do $PY bench/scratch_db.py drop "$url" || true; done
  if [ -z "${KILL_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
for part in gias bulk; do
  url="$($PY bench/scratch_db.py create "${DATABASE_URL:-}" --name "kill_$part" --dir "$work")"
  scratch+=("$url")
  # In the background, waited for: bash would otherwise defer a signal's trap until the driver ended.
  timeout --signal=TERM --kill-after=15 "${KILL_TIMEOUT:-1800}" \
    $PY bench/kill_test.py --database-url "$url" --part "$part" --rows "$KILL_ROWS" --repeats "$KILL_REPEATS" \
      --work "$work/$part" &
  child=$!
  wait "$child" || status=1
  child=""
done
exit "$status"
