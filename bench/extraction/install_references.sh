#!/usr/bin/env bash
# Installs the reference extractors that bench/extraction/score.py compares
# crawlstream with (score.py itself needs only the standard library):
#   - readability-lxml + html-text from Debian, for /usr/bin/python3;
#   - trafilatura (pinned in requirements-references.txt) in a virtualenv at
#     build/ref-venv (or $1).
# Needs root for apt-get when the Debian packages are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:-build/ref-venv}
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "install_references.sh: need root to apt-get install $*" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"; }
}

if ! /usr/bin/python3 -c 'import readability, html_text' 2>/dev/null; then
  apt_install python3-readability python3-html-text
fi
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --disable-pip-version-check -q \
  -r bench/extraction/requirements-references.txt
echo "readability: $(/usr/bin/python3 bench/extraction/references.py version readability)"
echo "trafilatura: $("$venv/bin/python" bench/extraction/references.py version trafilatura) in $venv"
