#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of crawlstream from
# Debian 12 packages. Idempotent and quiet on success: when everything is
# already installed it does nothing and prints nothing.
#
#   bash scripts/install-deps.sh          # needs root (or sudo)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang clang-19 libfuzzer-19-dev libclang-rt-19-dev
  # required libraries
  librdkafka-dev libcurl4-openssl-dev libgumbo-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  protobuf-compiler libprotobuf-dev zlib1g-dev libssl-dev
  # text handling: script conversion, charset detection, unicode, domains,
  # language identification
  libopencc-dev opencc libuchardet-dev libicu-dev libpsl-dev libidn2-dev
  libcld2-dev
  # config and JSON
  libyaml-cpp-dev nlohmann-json3-dev libxml2-dev
  # the fetcher's per-URL crawl state store
  librocksdb-dev
  # real parts used by tests and benchmarks
  nginx-light kcat python3 python3-kafka python3-protobuf python3-yaml python3-lz4
  python3-confluent-kafka  # a read_committed Python consumer (python3-kafka 2.0.2 is not one)
  curl wrk procps iproute2 openssl
  # a real Apache Kafka for tests (scripts/kafka.sh fetches its jars)
  default-jre-headless maven
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: failed to install: ${missing[*]}" >&2
  exit 1
fi
