#!/usr/bin/env bash
# Installs the deploy checks' npm packages (Kubernetes/KEDA/prometheus-
# operator schemas, PromQL parser, YAML) into tests/deploy/node_modules,
# exactly as pinned by package-lock.json. Quiet and quick when they are
# already installed. Needs node and npm (Node.js >= 20).
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ -d node_modules/kubernetes-models ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "setup.sh: npm not found (apt-get install nodejs npm)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup.sh: npm ci failed" >&2
  exit 1
fi
