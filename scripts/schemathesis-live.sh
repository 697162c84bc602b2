#!/usr/bin/env bash
# schemathesis' CLI against a live server (issue 11, the peer test suite): `python -m app serve` on a
# free loopback port, on a database of its own whose one partnership holds only schools imported
# from a GIAS extract (tests/gias_csv.py writes it; `import-gias` loads it), called with a read-write
# token. Checks not_a_server_error and response_schema_conformance over the examples, coverage and
# fuzzing phases. Most generated URNs and flag-rule names are real ones (a schemathesis dictionary),
# so that the operations on a school reach one.
#
#   bash scripts/schemathesis-live.sh                     # SQLite, a file in a temporary directory
#   bash scripts/schemathesis-live.sh postgresql+psycopg://app:app@127.0.0.1:5432/app_test
#   DATABASE_URL=postgresql+psycopg://... bash scripts/schemathesis-live.sh
#
# On PostgreSQL the URL names the server: the run uses a database of its own there (<name>_live),
# made afresh and dropped afterwards. Bounded: LIVE_MAX_EXAMPLES (default 5) cases per operation and
# phase, LIVE_TIMEOUT (default 600) seconds at most for the CLI. LIVE_KEEP=1 keeps the working
# directory (the server's log, the CLI's JUnit report). The server is always stopped; exits non-zero
# on any failure, or if the database could not be prepared or the server did not start.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
URL="${1:-${DATABASE_URL:-}}"
MAX_EXAMPLES="${LIVE_MAX_EXAMPLES:-5}"
TIMEOUT="${LIVE_TIMEOUT:-600}"
SCHOOLS=15000  # rows of the extract (about 150 LAs); the partnership imports those of LA 874
work="$(mktemp -d "${TMPDIR:-/tmp}/schemathesis-live.XXXXXX")"
database=""
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

cleanup() {
  stop_server
  if [ -n "$database" ]; then $PY bench/scratch_db.py drop "$database" || echo "!! could not drop the run's database"; fi
  if [ -z "${LIVE_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

database="$($PY bench/scratch_db.py create "$URL" --name live --dir "$work")"
engine="${database%%:*}"; engine="${engine%%+*}"
cli() { DATABASE_URL="$database" ENVIRONMENT=development $PY -m app "$@"; }
{
  cli migrate
  $PY -c "import sys; from tests.gias_csv import national_extract; national_extract(sys.argv[1], rows=$SCHOOLS)" \
    "$work/gias.csv"
  cli create-partnership --name "Live Schools Partnership" --slug live --la-code 874
  cli import-gias "$work/gias.csv" --partnership live --la 874
  cli create-token --partnership live --name schemathesis-live --scopes read,write | tail -n 1 >"$work/token"
} >"$work/prepare.log" 2>&1 || { echo "preparing the database failed:"; cat "$work/prepare.log"; exit 1; }

# The dictionaries: the partnership's URNs (all imported) and the flag rules' names.
DATABASE_URL="$database" $PY - "$work/schemathesis.toml" <<'EOF'
import json
import sys
from sqlalchemy import select
from app.db import all_tenants, session_scope
from app.models.school import School
from app.services.flag_rules import RULES
with session_scope(write=False) as session, all_tenants(session):
    urns = sorted(session.scalars(select(School.urn)))
if not urns:
    sys.exit("the GIAS import made no schools")
with open(sys.argv[1], "w") as config:
    config.write(f"[dictionaries]\nurns = {{ values = {json.dumps(urns)} }}\n"
                 f"rules = {{ values = {json.dumps(sorted(RULES))} }}\n\n"
                 '[parameters]\n"path.urn" = { dictionary = "urns", probability = 0.8 }\n'
                 '"path.rule" = { dictionary = "rules", probability = 0.8 }\n')
print(f"{len(urns)} schools")
EOF

start_server "$database" "$work/server.log"
base="$url"

echo "schemathesis against $base ($engine; LA 874 of a $SCHOOLS-row GIAS extract), $MAX_EXAMPLES examples per operation"
report=()  # the CLI's JUnit report, when the working directory is kept
if [ -n "${LIVE_KEEP:-}" ]; then report=(--report junit --report-junit-path "$work/junit.xml"); fi
status=0
# One worker: with two threads, hypothesis' description of a lambda (ast.parse) failed now and then
# with "AST constructor recursion depth mismatch" (Python 3.11's parser is not safe across threads).
timeout --signal=TERM --kill-after=15 "$TIMEOUT" \
  .venv/bin/st --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --header "Authorization: Bearer $(cat "$work/token")" \
    --max-examples "$MAX_EXAMPLES" --workers 1 --request-timeout 30 \
    --generation-database none --no-color "${report[@]}" || status=$?
stop_server
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 124 ] && echo "!! schemathesis ran past $TIMEOUT s"
  if grep -q " 500 \|Traceback" "$work/server.log"; then
    echo "the server's log (errors):"; grep -B 2 -A 25 "Traceback" "$work/server.log" | head -n 80 || true
  fi
fi
exit "$status"
