#!/usr/bin/env bash
# Puts crawl requests for one or more URLs on `crawl.requests`, the way the
# fetcher expects them: a crawlstream.v1.CrawlRequest protobuf, key = the
# URL's host (lower case, no port), headers content-type/schema/producer.
#
#   bash docker/seed.sh [--kind page|feed|sitemap] [--brokers HOST:PORT]
#                       [--docker] [--out FILE] URL...
#
#   --brokers B   bootstrap servers for the host's kcat (default
#                 localhost:29092, the compose stack's host listener)
#   --docker      run kcat in the compose network instead (service `kcat`,
#                 profile `tools`), for hosts without kcat
#   --out FILE    only write the encoded record of the (single) URL to FILE
#   --topic T     default crawl.requests
#
# The encoder writes fields url (1), kind (2), requested_at (5), origin (7)
# by hand so that nothing but bash and kcat is needed; tests/deploy decodes
# its output with the real schema.
set -euo pipefail
export LC_ALL=C

brokers=localhost:29092
kind=page
topic=crawl.requests
use_docker=0
out=""
urls=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kind) kind=$2; shift 2 ;;
    --kind=*) kind=${1#*=}; shift ;;
    --brokers) brokers=$2; shift 2 ;;
    --brokers=*) brokers=${1#*=}; shift ;;
    --topic) topic=$2; shift 2 ;;
    --topic=*) topic=${1#*=}; shift ;;
    --docker) use_docker=1; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "seed.sh: unknown option $1" >&2; exit 2 ;;
    *) urls+=("$1"); shift ;;
  esac
done
[ ${#urls[@]} -gt 0 ] || { echo "seed.sh: give at least one URL (see --help)" >&2; exit 2; }
case "$kind" in
  page) kind_num=1 ;; feed) kind_num=2 ;; sitemap) kind_num=3 ;;
  *) echo "seed.sh: --kind must be page, feed or sitemap" >&2; exit 2 ;;
esac

# Appends the protobuf varint of $1 to the file $2.
varint() {
  local v=$1 file=$2
  while [ "$v" -ge 128 ]; do
    printf "\\x$(printf '%02x' $(( (v & 127) | 128 )))" >>"$file"
    v=$(( v >> 7 ))
  done
  printf "\\x$(printf '%02x' "$v")" >>"$file"
}
# Appends a length-delimited field: tag byte, length, bytes.
bytes_field() {
  local tag=$1 value=$2 file=$3
  varint "$tag" "$file"
  varint "${#value}" "$file"
  printf '%s' "$value" >>"$file"
}
encode() {
  local url=$1 file=$2
  : >"$file"
  bytes_field $(( (1 << 3) | 2 )) "$url" "$file"          # url
  varint $(( (2 << 3) | 0 )) "$file"; varint "$kind_num" "$file"  # kind
  local ts; ts=$(mktemp)
  varint $(( (1 << 3) | 0 )) "$ts"; varint "$(date +%s)" "$ts"    # Timestamp.seconds
  varint $(( (5 << 3) | 2 )) "$file"                       # requested_at
  varint "$(stat -c %s "$ts")" "$file"
  cat "$ts" >>"$file"; rm -f "$ts"
  bytes_field $(( (7 << 3) | 2 )) "cli" "$file"            # origin
}
host_of() {
  local url=$1
  if [[ ! "$url" =~ ^[Hh][Tt][Tt][Pp][Ss]?://([^/?#@]*@)?(\[[^]]*\]|[^/?#:]+) ]]; then
    echo "seed.sh: not an absolute http(s) URL: $url" >&2; return 1
  fi
  local host=${BASH_REMATCH[2]}
  printf '%s' "${host,,}"
}

if [ -n "$out" ]; then
  [ ${#urls[@]} -eq 1 ] || { echo "seed.sh: --out takes one URL" >&2; exit 2; }
  host_of "${urls[0]}" >/dev/null
  encode "${urls[0]}" "$out"
  exit 0
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
here=$(cd "$(dirname "$0")" && pwd)
for i in "${!urls[@]}"; do
  url=${urls[$i]}
  host=$(host_of "$url")
  encode "$url" "$dir/req-$i.bin"
  chmod 644 "$dir/req-$i.bin"
  headers=(-H content-type=application/x-protobuf -H schema=crawlstream.v1.CrawlRequest
           -H producer=seed.sh)
  if [ "$use_docker" = 1 ]; then
    docker compose -f "$here/compose.yaml" --profile tools run --rm -T \
      -v "$dir:/seed:ro" kcat -P -b kafka:9092 -t "$topic" -k "$host" "${headers[@]}" \
      "/seed/req-$i.bin"
  else
    command -v kcat >/dev/null || { echo "seed.sh: kcat not found (apt-get install kcat, or use --docker)" >&2; exit 1; }
    kcat -P -b "$brokers" -t "$topic" -k "$host" "${headers[@]}" "$dir/req-$i.bin"
  fi
  echo "seeded $url (key $host) on $topic"
done
