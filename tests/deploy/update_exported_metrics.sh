#!/usr/bin/env bash
# Regenerates tests/deploy/exported_metrics.txt from real scrapes of the
# services' /metrics (URLs, or files saved from them), so that the
# dashboard and alert checks compare against what the binaries export.
#
#   bash tests/deploy/update_exported_metrics.sh \
#     http://127.0.0.1:9464/metrics http://127.0.0.1:9465/metrics ...
#
# Scrape after some traffic: prometheus-cpp prints a labelled family only
# once it has a series. Families missing from the scrapes but present in
# the current file are kept (with a warning) unless --prune is given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prune=0
inputs=()
for a in "$@"; do
  case "$a" in --prune) prune=1 ;; *) inputs+=("$a") ;; esac
done
[ ${#inputs[@]} -gt 0 ] || { echo "usage: $0 [--prune] URL_OR_FILE..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for src in "${inputs[@]}"; do
  if [[ "$src" =~ ^https?:// ]]; then curl -fsS --max-time 10 "$src" >"$tmp/$i.txt"; else cp "$src" "$tmp/$i.txt"; fi
  i=$((i + 1))
done
/usr/bin/python3 - "$here/exported_metrics.txt" "$prune" "$tmp"/*.txt <<'PY'
import re, sys
out, prune, files = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
families, types = {}, {}
for f in files:
    for line in open(f, encoding="utf-8"):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            types[m.group(1)] = m.group(2); families.setdefault(m.group(1), set()); continue
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if not m:
            continue
        name = m.group(1)
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[: -len(suf)]) in ("histogram", "summary"):
                fam = name[: -len(suf)]
        labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or "")) - {"le", "quantile"}
        families.setdefault(fam, set()).update(labels)
families = {k: v for k, v in families.items() if k.startswith("crawlstream_")}
header, old = [], {}
for line in open(out, encoding="utf-8"):
    if line.startswith("#"):
        header.append(line); continue
    parts = line.split()
    if parts:
        old[parts[0]] = set(parts[1:])
for name in sorted(set(old) - set(families)):
    if prune:
        print(f"removed {name} (not in the scrapes)", file=sys.stderr)
    else:
        print(f"kept {name}: not in the scrapes (use --prune to drop)", file=sys.stderr)
        families[name] = old[name]
with open(out, "w", encoding="utf-8") as fh:
    fh.writelines(header)
    for name in sorted(families):
        fh.write(" ".join([name] + sorted(families[name])) + "\n")
print(f"wrote {len(families)} metric families to {out}", file=sys.stderr)
PY
