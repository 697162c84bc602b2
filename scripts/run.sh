#!/usr/bin/env bash
# The first README command: install, migrate, load the demo partnership if it is missing, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --no-dev
export ENVIRONMENT="${ENVIRONMENT:-development}"
.venv/bin/python -m app migrate
.venv/bin/python -m app demo-data --if-empty
echo "Serving on http://127.0.0.1:${PORT:-8000}  (API docs: http://127.0.0.1:${PORT:-8000}/docs)"
exec .venv/bin/python -m app serve --host 127.0.0.1 --port "${PORT:-8000}"
