#!/usr/bin/env bash
# Ensures a Postgres server for Lookout and prints the two database URLs as shell
# assignments (DATABASE_URL=..., CODEINSIGHTS_DATABASE_URL=...), so callers can `eval` it.
#
# With DATABASE_URL set, that server is used as it is: the script only makes sure the insights
# database exists next to it (unless CODEINSIGHTS_DATABASE_URL is set too). Without it, a
# private cluster lives under .dev/postgres (initialised on first use, started when stopped,
# reused otherwise). The cluster is for development and tests only: it trusts loopback
# connections and runs with fsync off.
#
# Safe to run concurrently (make run, several `go test` processes): one flock guards it.
#
# `dev/postgres.sh stop` (make stop) stops the private cluster; it leaves a server named by
# DATABASE_URL alone.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
devdir="${LOOKOUT_DEV_DIR:-$root/.dev}"
pgdir="$devdir/postgres"
port="${LOOKOUT_PG_PORT:-5477}"
mainDB="${LOOKOUT_DB_NAME:-lookout}"
insightsDB="${LOOKOUT_INSIGHTS_DB_NAME:-lookout_codeinsights}"

log() { echo "dev/postgres: $*" >&2; }

pgbin() {
  local name="$1"
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  command -v "$name" || { log "cannot find $name; install PostgreSQL (apt-get install postgresql)"; exit 1; }
}

# as_pg runs a command as the cluster owner: initdb and postgres refuse to run as root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_db() { # url-of-maintenance-db dbname
  local url="$1" name="$2"
  local exists
  exists=$(psql "$url" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$name'")
  if [ "$exists" != 1 ]; then
    psql "$url" -Xq -c "CREATE DATABASE \"$name\"" 2>/dev/null ||
      [ "$(psql "$url" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" = 1 ]
    log "created database $name"
  fi
}

if [ "${1:-}" = stop ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    log "DATABASE_URL names a server of your own: nothing to stop"
    exit 0
  fi
  # The cluster is where the start below put it: .dev/postgres, or as root the /var/tmp
  # directory keyed by the checkout's path.
  alt="/var/tmp/lookout-postgres-$(printf '%s' "$devdir" | sha1sum | cut -c1-10)"
  [ ! -s "$pgdir/data/PG_VERSION" ] && [ -s "$alt/data/PG_VERSION" ] && pgdir="$alt"
  if [ ! -s "$pgdir/data/PG_VERSION" ]; then
    log "no development cluster in $pgdir"
    exit 0
  fi
  exec 9>"$devdir/postgres.lock"
  flock 9
  if as_pg "$(pgbin pg_ctl)" -D "$pgdir/data" status >/dev/null 2>&1; then
    as_pg "$(pgbin pg_ctl)" -D "$pgdir/data" -m fast -w stop >/dev/null
    log "stopped the development Postgres in $pgdir (make run starts it again)"
  else
    log "the development Postgres in $pgdir is not running"
  fi
  exit 0
fi

if [ -n "${DATABASE_URL:-}" ]; then
  if [ -z "${CODEINSIGHTS_DATABASE_URL:-}" ] && [ "${DISABLE_CODE_INSIGHTS:-}" != true ]; then
    # Same server, sibling database: swap the path of the URL.
    base="${DATABASE_URL%%\?*}"
    query=""
    [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
    CODEINSIGHTS_DATABASE_URL="${base%/*}/${insightsDB}${query}"
    ensure_db "$DATABASE_URL" "$insightsDB"
  fi
  echo "DATABASE_URL='$DATABASE_URL'"
  echo "CODEINSIGHTS_DATABASE_URL='${CODEINSIGHTS_DATABASE_URL:-}'"
  exit 0
fi

mkdir -p "$devdir"
exec 9>"$devdir/postgres.lock"
flock 9

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# As root the cluster runs as the postgres user, who must be able to reach the data
# directory; a checkout under a private home (/root/...) is not reachable, so the cluster
# then lives under /var/tmp, keyed by the checkout's path.
if [ "$(id -u)" = 0 ] && [ ! -s "$pgdir/data/PG_VERSION" ]; then
  mkdir -p "$pgdir"
  chown postgres: "$pgdir"
  if ! runuser -u postgres -- test -w "$pgdir"; then
    pgdir="/var/tmp/lookout-postgres-$(printf '%s' "$devdir" | sha1sum | cut -c1-10)"
    log "postgres cannot reach $devdir; using $pgdir"
  fi
fi

if [ ! -s "$pgdir/data/PG_VERSION" ]; then
  log "initialising a private cluster in $pgdir"
  rm -rf "$pgdir"
  mkdir -p "$pgdir/data"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$pgdir"
  as_pg "$(pgbin initdb)" -D "$pgdir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 ||
    { cat "$pgdir/initdb.log" >&2; exit 1; }
  cat >>"$pgdir/data/postgresql.conf" <<EOF
# Lookout development cluster
listen_addresses = '127.0.0.1'
port = $port
# TCP only: a socket path under a deep checkout can exceed the 107-byte limit.
unix_socket_directories = ''
max_connections = 400
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_duration_statement = -1
EOF
fi

url_of() { echo "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable"; }

if ! as_pg "$(pgbin pg_ctl)" -D "$pgdir/data" status >/dev/null 2>&1; then
  log "starting Postgres on 127.0.0.1:$port"
  as_pg "$(pgbin pg_ctl)" -D "$pgdir/data" -l "$pgdir/postgres.log" -w -t 60 start >/dev/null 2>&1 9>&- || {
    last=$(tail -20 "$pgdir/postgres.log")
    echo "$last" >&2
    if grep -q "Address already in use" <<<"$last"; then
      log "port $port is taken by another server (another checkout's cluster?): stop it, or set LOOKOUT_PG_PORT to a free port"
    fi
    exit 1
  }
fi

for _ in $(seq 1 50); do
  psql "$(url_of postgres)" -XtAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done

ensure_db "$(url_of postgres)" "$mainDB"
ensure_db "$(url_of postgres)" "$insightsDB"

echo "DATABASE_URL='$(url_of "$mainDB")'"
echo "CODEINSIGHTS_DATABASE_URL='$(url_of "$insightsDB")'"
