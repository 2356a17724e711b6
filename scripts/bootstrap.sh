#!/usr/bin/env bash
# Installs npm dependencies when they are missing or older than the lock file.
# Plain bash on purpose: it runs before tsx and the rest of node_modules exist.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.swb-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "[setup] installing npm dependencies (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
