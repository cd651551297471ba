#!/bin/sh
# Fetch-side load benchmark: nginx on 127.0.0.1 serves PAGES distinct URLs
# of ~50 KB (one file behind every URL, so nothing big lands on disk);
# wrk and fetcher_load_bench fetch them in the same run. Prints both rates
# and their ratio. The Kafka publishing half of the issue's benchmark needs
# the fetcher service (main.cc) and is not measured here.
#
#   bench/fetcher/load.sh [BUILD_DIR] [PAGES=10000] [CONCURRENCY=64]
set -eu
BUILD_DIR=${1:-build-fetcher}
PAGES=${2:-10000}
CONCURRENCY=${3:-64}
BENCH=$(find "$BUILD_DIR" -name fetcher_load_bench -type f | head -n 1)
[ -x "$BENCH" ] || { echo "fetcher_load_bench not found under $BUILD_DIR" >&2; exit 2; }

WORK=$(mktemp -d)
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
[ -n "${KEEP:-}" ] && echo "workdir $WORK"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/site" "$WORK/tmp"
chmod 755 "$WORK"  # nginx workers may run as another user
/usr/bin/python3 - "$WORK/site/page.html" <<'PY'
import sys
para = "<p>" + "新闻正文，测试页面。" * 40 + "</p>\n"
body = "<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title></head><body>\n"
while len(body.encode()) < 50 * 1024:
    body += para
open(sys.argv[1], "w").write(body + "</body></html>\n")
PY
printf 'User-agent: *\nAllow: /\n' > "$WORK/site/robots.txt"
cat > "$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/site;
    location = /robots.txt { }
    location /p/ { default_type text/html; try_files /page.html =404; }
  }
}
CONF
nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" &
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "nginx did not start" >&2; cat "$WORK/error.log" >&2; exit 1; }
  sleep 0.1
done

seq 0 $((PAGES - 1)) | sed "s|^|http://127.0.0.1:$PORT/p/|; s|$|.html|" > "$WORK/urls.txt"
cat > "$WORK/paths.lua" <<LUA
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/p/" .. (i % $PAGES) .. ".html")
end
LUA

curl -s -o /dev/null -w "probe: HTTP %{http_code}, %{size_download} bytes\n" "http://127.0.0.1:$PORT/p/1.html"
echo "== wrk (1 thread, $CONCURRENCY connections, 10 s)"
WRK_OUT=$(wrk -t1 -c"$CONCURRENCY" -d10s -s "$WORK/paths.lua" "http://127.0.0.1:$PORT/")
echo "$WRK_OUT"
WRK_RPS=$(echo "$WRK_OUT" | awk '/Requests\/sec/ {print $2}')

echo "== fetcher_load_bench ($PAGES pages, $CONCURRENCY in flight, one thread)"
OUT=$("$BENCH" "$WORK/urls.txt" "$CONCURRENCY" || true)
echo "$OUT"
RATE=$(echo "$OUT" | sed -n 's/.*pages_per_s=\([0-9.]*\).*/\1/p')
/usr/bin/python3 -c "print('ratio fetcher/wrk = %.2f' % ($RATE / $WRK_RPS))"
