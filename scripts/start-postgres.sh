#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 (Debian's packages) for the test suite and
# print its SQLAlchemy URL. Usage: url=$(bash scripts/start-postgres.sh [port [data-file]])
# With data-file, the server's data directory is written there (for scripts/stop-postgres.sh).
# Installs the server with apt-get when it is missing. Needs root (CI) or a postgres install.
set -euo pipefail
port="${1:-5433}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }) >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
data=$(mktemp -d /tmp/cgt-monitor-pg.XXXXXX)
if [ -n "${2:-}" ]; then echo "$data" >"$2"; fi
cd /  # the postgres user may not be allowed into the caller's folder
run_as=()
if [ "$(id -u)" = "0" ]; then
  chown postgres "$data"
  run_as=(su postgres -s /bin/bash -c)
else
  run_as=(bash -c)
fi
"${run_as[@]}" "'$bin/initdb' -D '$data' -A trust -U postgres >'$data.initdb.log' 2>&1"
"${run_as[@]}" "'$bin/pg_ctl' -D '$data' -o \"-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=off\" -l '$data/server.log' -w start >/dev/null"
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
