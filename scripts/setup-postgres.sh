#!/usr/bin/env bash
# Install (if missing) and start a real PostgreSQL server from Debian's packages, with a role
# and a database for the tests. Idempotent: a second run changes nothing.
# Prints the DATABASE_URL to use on its last line.
set -euo pipefail
DB="${1:-app_test}"

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
VERSION="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  pg_createcluster "$VERSION" main >&2
fi
install -d -o postgres -g postgres -m 2775 /run/postgresql
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  # Tests only: durability is not needed, speed is.
  pg_conftool "$VERSION" main set fsync off >&2
  pg_conftool "$VERSION" main set synchronous_commit off >&2
  pg_conftool "$VERSION" main set full_page_writes off >&2
  pg_ctlcluster "$VERSION" main start >&2
fi
for _ in $(seq 1 30); do
  runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break
  sleep 0.5
done
psql_admin() { runuser -u postgres -- psql -qtAX -h /run/postgresql "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='app'")" != "1" ]; then
  psql_admin -c "CREATE ROLE app LOGIN PASSWORD 'app' SUPERUSER" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
  runuser -u postgres -- createdb -h /run/postgresql -O app "$DB" >&2
fi
echo "postgresql+psycopg://app:app@127.0.0.1:5432/$DB"
