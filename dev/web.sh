#!/usr/bin/env bash
# Builds and checks the web app under web/ (React + TypeScript + Vite, see web/package.json).
#   dev/web.sh build   npm ci when the lockfile changed, then vite build into
#                      internal/webapp/dist/app (embedded into the frontend)
#   dev/web.sh check   the generated GraphQL types are current (codegen, then git diff),
#                      the TypeScript compiles (strict), and the Vitest tests pass
# Without npm, build explains what is missing and exits 0 (the frontend then serves a page
# saying how to build the app), except under CI=true, where the app must be built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/web"

if ! command -v npm >/dev/null; then
  echo "dev/web: npm not found; the web app is not built (install Node.js >= 20.19 and npm)" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
# npm ci only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

case "${1:-build}" in
build)
  npx vite build --logLevel warn
  ;;
check)
  npx graphql-codegen --config codegen.ts --silent
  if ! git -C "$root" diff --exit-code --stat -- web/src/graphql || [ -n "$(git -C "$root" ls-files --others --exclude-standard -- web/src/graphql)" ]; then
    echo "dev/web: web/src/graphql is stale: run 'cd web && npm run codegen' and commit the result" >&2
    exit 1
  fi
  npx tsc --noEmit -p .
  npx vitest run
  ;;
*)
  echo "usage: dev/web.sh [build|check]" >&2
  exit 2
  ;;
esac
