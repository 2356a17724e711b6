#!/usr/bin/env bash
# Installs npm dependencies when they are missing or older than the lock file.
# Plain bash on purpose: it runs before tsx and the rest of node_modules exist.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.swb-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  # npm ci takes ~2.5 min here, most of it compiling better-sqlite3 (no prebuilt binary offline). A
  # fresh checkout of the same lock file, Node and machine gets a copy of the last install (~5 s);
  # the copy is made right after npm ci, before anything runs in it.
  cache_dir="${SWB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/swarm-workbench}"
  key="$(cat package-lock.json package.json | sha256sum | cut -c1-16)-$(node -p 'process.version + "-" + process.arch + "-" + process.versions.modules')"
  cached="$cache_dir/node_modules-$key"
  if [ -d "$cached" ]; then
    echo "[setup] npm dependencies: a copy of this lock file's install ($cached)"
    rm -rf node_modules
    cp -a "$cached" node_modules
  else
    echo "[setup] installing npm dependencies (npm ci)..."
    npm ci --no-audit --no-fund --loglevel=error
    mkdir -p "$cache_dir"
    tmp="$cached.partial.$$"
    if cp -a node_modules "$tmp" 2>/dev/null && mv -T "$tmp" "$cached" 2>/dev/null; then
      # Keep the two newest installs.
      ls -dt "$cache_dir"/node_modules-* 2>/dev/null | grep -v '\.partial\.' | tail -n +3 | xargs -r rm -rf
    else
      rm -rf "$tmp"
    fi
  fi
  touch "$stamp"
fi
