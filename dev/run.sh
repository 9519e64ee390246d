#!/usr/bin/env bash
# make run: the whole development set-up on a fresh machine. Starts (or reuses) Postgres,
# builds both binaries, migrates, seeds a demo, runs the frontend and a worker, and prints
# the API console URL and an admin access token. The terminal gets short log lines
# (SRC_LOG_FORMAT=human, info level); .dev/logs keeps the same. Ctrl-C stops both
# processes; Postgres keeps running under .dev/postgres for the next run (make stop
# stops it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1mrun:\033[0m %s\n' "$*" >&2; }

command -v go >/dev/null || { echo "Go is required (https://go.dev/dl/)" >&2; exit 1; }
command -v git >/dev/null || { echo "git is required" >&2; exit 1; }
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null && [ -z "${DATABASE_URL:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing PostgreSQL"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is required: install it (apt-get install postgresql) or set DATABASE_URL" >&2
    exit 1
  fi
fi

# Searches read git packs in process through the system zlib (cgo). Without zlib's
# headers the build would fail: install them, or build without cgo (blobs are then read
# through git cat-file, about half again as slow).
if command -v gcc >/dev/null && ! echo '#include <zlib.h>' | gcc -E - >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing zlib's headers"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zlib1g-dev >/dev/null
  else
    say "zlib's headers are missing (apt-get install zlib1g-dev): building without cgo"
    export CGO_ENABLED=0
  fi
fi

say "downloading Go modules"
go mod download
say "building"
make --no-print-directory console-assets >/dev/null
say "building the web app"
make --no-print-directory web
mkdir -p bin
version="$(git log -1 --format='%H_%cs' 2>/dev/null | sed 's/^\(.\{12\}\)[^_]*/\1/')"
go build -ldflags "-X github.com/lookout/lookout/internal/version.stamp=${version}" -o bin/ ./cmd/frontend ./cmd/worker

eval "$(dev/postgres.sh)"
export DATABASE_URL CODEINSIGHTS_DATABASE_URL
export SRC_LOG_LEVEL="${SRC_LOG_LEVEL:-info}" SRC_LOG_FORMAT="${SRC_LOG_FORMAT:-human}"
# The caches belong with this checkout's database: in a shared $TMPDIR another checkout's
# janitor would remove this one's shards (repository ids repeat across databases).
export REPOS_DIR="${REPOS_DIR:-$root/.dev/repos}" INDEX_DIR="${INDEX_DIR:-$root/.dev/index}"
# .dev may not exist yet: with DATABASE_URL set, dev/postgres.sh makes nothing.
mkdir -p "$REPOS_DIR" .dev/logs
# Code host tokens and campaign credentials are stored encrypted: the development set-up
# makes its own key once and keeps it with the development database.
if [ -z "${ENCRYPTION_KEY:-}" ]; then
  [ -s .dev/encryption.key ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > .dev/encryption.key)
  ENCRYPTION_KEY="$(cat .dev/encryption.key)"
  export ENCRYPTION_KEY
fi
# The site admin's password: chosen once for the development database and kept beside it,
# so that every make run can print it (the frontend sets it when it creates the admin).
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  [ -s .dev/admin-password ] || (umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > .dev/admin-password)
  ADMIN_PASSWORD="$(cat .dev/admin-password)"
  export ADMIN_PASSWORD
fi
export FRONTEND_ADDR="${FRONTEND_ADDR:-127.0.0.1:3080}"
export WORKER_ADDR="${WORKER_ADDR:-127.0.0.1:3081}"
export EXTERNAL_URL="${EXTERNAL_URL:-http://${FRONTEND_ADDR}}"

say "migrating"
bin/frontend migrate

pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# wait_ready NAME ADDR LOG: waits up to 30 s for NAME's /readyz; on failure says what it
# answered and shows the last lines of its log, and exits.
wait_ready() {
  local name="$1" addr="$2" log="$3" answer="" code=""
  for _ in $(seq 1 150); do
    answer="$(curl -sS -m 3 -w '\n%{http_code}' "http://${addr}/readyz" 2>&1)" || true
    code="${answer##*$'\n'}"
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  say "the ${name} did not become ready within 30 s. /readyz answered:"
  answer="$(printf '%s' "${answer%$'\n'*}")" # without the status code and blank lines
  printf '%s\n' "$answer" | sed 's/^/    /' >&2
  say "last lines of ${log}:"
  tail -n 20 "$log" | sed 's/^/    /' >&2
  exit 1
}

# The binaries write through tee by process substitution, not a pipe: $! is then the
# binary itself, which cleanup stops (with a pipe it was tee, and a stopped make run
# left the frontend running, holding its port).
bin/frontend > >(tee .dev/logs/frontend.log) 2>&1 &
pids+=($!)
wait_ready frontend "$FRONTEND_ADDR" .dev/logs/frontend.log

bin/worker > >(tee .dev/logs/worker.log) 2>&1 &
pids+=($!)
wait_ready worker "$WORKER_ADDR" .dev/logs/worker.log

token="$(bin/frontend admin create-token --user "${ADMIN_USERNAME:-admin}" --note "make run")"
if [ -x dev/seed.sh ]; then
  say "seeding the demo"
  LOOKOUT_URL="http://${FRONTEND_ADDR}" LOOKOUT_TOKEN="$token" dev/seed.sh || say "seeding failed (the services keep running)"
fi

secret_file=.dev/demo/.webhook-secret
demo_secret="$( [ -s "$secret_file" ] && cat "$secret_file" || echo "(none: the demo was not seeded)")"
cat >&2 <<MSG

  Lookout is running.
    Web app:       ${EXTERNAL_URL}/   (sign in as ${ADMIN_USERNAME:-admin}, password ${ADMIN_PASSWORD})
    API console:   ${EXTERNAL_URL}/api/console#token=${token}
    GraphQL API:   ${EXTERNAL_URL}/.api/graphql
    Admin token:   ${token}   (another one: make token)
    Demo repositories: .dev/demo/*, a GIT connection with webhook secret ${demo_secret}
                   (their post-commit hook announces each commit to ${EXTERNAL_URL}/.api/webhooks/git)

  Try:
    curl -s -H 'Authorization: token ${token}' \\
      -d '{"query":"{ currentUser { username siteAdmin } }"}' ${EXTERNAL_URL}/.api/graphql

  Logs are in .dev/logs (SRC_LOG_LEVEL=debug for every detail).
  Ctrl-C stops Lookout; make stop then stops its Postgres.

MSG
wait
