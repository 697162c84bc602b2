#!/usr/bin/env bash
# Install what the project needs, from PyPI and npm only: the Python environment (uv, from the
# lock file) and the front-end packages (GOV.UK Frontend, htmx, axe-core), then build the CSS.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.9" 2>&1 | grep -v "is ignored" || true
fi
uv sync --frozen --quiet "$@"

if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --silent --no-audit --no-fund 2>&1 | grep -v "Unknown user config" || true
fi
npm run --silent build:css 2>&1 | grep -v "Unknown user config" || true
test -s app/static/dist/app.css
