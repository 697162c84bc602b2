#!/usr/bin/env bash
# Every benchmark, one after the other (`make bench`). Best on a quiet machine: the HTTP ones pin
# the server to CPU 0 and the load to CPU 1, and every figure records the load average.
#
#   bash bench/run_all.sh                      # SQLite: data/bench/bench.db
#   BENCH_DATABASE_URL=postgresql+psycopg://app:app@127.0.0.1:5432/app_bench bash bench/run_all.sh
#
# The register is generated afresh (--force replaces an earlier generation) at national scale:
# about 67,000 schools in 151 partnerships, with their collaboratives, triads and visit records.
# Results: bench/results/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
URL="${BENCH_DATABASE_URL:-sqlite:///$PWD/data/bench/bench.db}"

# The raw baseline serialises with orjson, which the project itself does not need.
$PY -c "import orjson" 2>/dev/null || uv pip install --quiet --python "$PY" "orjson==3.11.4"

echo "==> GIAS import"
$PY bench/gias_import.py

echo "==> generating the national register into $URL"
DATABASE_URL="$URL" $PY -m app migrate
DATABASE_URL="$URL" $PY -m app generate --scale national --force

suffix=""
case "$URL" in postgresql*) suffix="-postgresql" ;; esac
echo "==> where an API request's time goes, layer by layer (in process), beside the raw baseline"
$PY bench/request_overhead.py --database-url "$URL" --results "bench/results/request_overhead$suffix.json"
echo "==> the API's lists (schools; collaboratives, triads, visits, audit events; action plans, milestones,"
echo "    support deployments and reports) against the raw baseline"
$PY bench/api_lists.py --database-url "$URL" --results "bench/results/api_lists$suffix.json"

echo "==> the pages of peer review, red flags, clinics, action plans and support against their own statements"
DATABASE_URL="$URL" $PY bench/pages.py
DATABASE_URL="$URL" $PY bench/pages.py --slug bench-national

echo "==> the partnership board (80 schools and the region), with its filtered fragment"
DATABASE_URL="$URL" $PY bench/board.py --results "bench/results/board$suffix.json"

echo "==> red flags"
$PY bench/flags.py --database-url "$URL" --results "bench/results/flags$suffix.json"

echo "==> figures in bulk: 5,000 items through the API, the service and the driver alone"
if [ -n "$suffix" ]; then
  $PY bench/indicators_bulk.py --postgresql-url "$URL"
else
  $PY bench/indicators_bulk.py
fi

echo "==> query plans of the peer-review lists"
$PY bench/query_plans.py --database-url "$URL"

echo "==> load: 50 clients, read-only then 80/20 mixed, one worker"
$PY bench/load.py --database-url "$URL" --results "bench/results/load$suffix.json"
echo "==> load on action plans and support deployments: 50 clients, read-only then 80/20 mixed, one worker"
$PY bench/load_plans.py --database-url "$URL" --results "bench/results/load_plans$suffix.json"
echo "==> load on groups and their dashboards: 50 clients, read-only then 80/20 mixed, one worker"
$PY bench/load_groups.py --database-url "$URL" --results "bench/results/load_groups$suffix.json"
if [ -n "$suffix" ]; then
  # The same load with 1 (above), 2 and 4 worker processes: how throughput scales with workers.
  for workers in 2 4; do
    echo "==> load on PostgreSQL with $workers workers"
    $PY bench/load.py --database-url "$URL" --workers "$workers" \
      --results "bench/results/load-postgresql-$workers-workers.json"
  done
fi

echo "==> the summary of every result beside its target: bench/results/summary.md"
$PY bench/summary.py
