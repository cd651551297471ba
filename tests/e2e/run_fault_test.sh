#!/usr/bin/env bash
# Runs fault_test.py; repeats it once, with another seed, when it exits 3
# (pages that never reached crawl.pages: see fault_test.py). Both outcomes
# are printed; any other failure is final.
set -u
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 "$here/fault_test.py" "$@"
rc=$?
if [ "$rc" -eq 3 ]; then
  echo "fault_test: pages never reached crawl.pages; repeating once with another seed"
  sleep 1
  /usr/bin/python3 "$here/fault_test.py" "$@" --seed "$(( $(date +%s) + 7919 ))"
  rc=$?
fi
exit "$rc"
