#!/usr/bin/env bash
# Seeds the demo (called by dev/run.sh with LOOKOUT_URL and LOOKOUT_TOKEN set).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec go run ./dev/seed -dir "$root/.dev/demo" -hook "$root/dev/git-hooks/lookout-push"
