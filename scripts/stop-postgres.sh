#!/usr/bin/env bash
# Stop a server started by scripts/start-postgres.sh and remove its data directory.
# Usage: bash scripts/stop-postgres.sh DATA_DIR
set -euo pipefail
data="$1"
[ -d "$data" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" = "0" ]; then
  (cd / && su postgres -s /bin/bash -c "'$bin/pg_ctl' -D '$data' -m fast -w stop >/dev/null")
else
  "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
fi
rm -rf "$data" "$data.initdb.log"
