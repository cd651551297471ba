#!/usr/bin/env bash
# Copies config/*.yaml into deploy/base/config/, where the Kustomize
# configMapGenerator can read them (kustomize does not load files from
# outside its root). tests/deploy fails while the copies differ.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for s in fetcher extractor dedup; do
  if [ -f "$root/config/$s.yaml" ]; then
    cp "$root/config/$s.yaml" "$root/deploy/base/config/$s.yaml"
  else
    echo "sync-config: config/$s.yaml does not exist" >&2
    exit 1
  fi
done
echo "deploy/base/config/ is up to date"
