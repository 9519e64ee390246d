#!/usr/bin/env bash
# Installs GraphiQL and React from npm (versions pinned in internal/console/package*.json)
# and copies their browser bundles into internal/console/assets/ to be embedded into the
# frontend. Without npm the console page explains what is missing; the API still works.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/.dev/console"
out="$root/internal/console/assets"

if ! command -v npm >/dev/null; then
  echo "dev/console-assets: npm not found; the API console will not be built in (install Node.js to get it)" >&2
  exit 0
fi
mkdir -p "$work"
cp "$root/internal/console/package.json" "$root/internal/console/package-lock.json" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$work/node_modules/react/umd/react.production.min.js" \
   "$work/node_modules/react-dom/umd/react-dom.production.min.js" \
   "$work/node_modules/graphiql/graphiql.min.js" \
   "$work/node_modules/graphiql/graphiql.min.css" "$out/"
echo "dev/console-assets: GraphiQL bundles copied to internal/console/assets" >&2
