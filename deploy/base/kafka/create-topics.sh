#!/usr/bin/env bash
# Creates crawlstream's topics and brings their settings up to date.
# Idempotent: run it at every deploy (docker/compose.yaml `topics-init`,
# Kubernetes Job `crawlstream-topics`). Runs in the apache/kafka image.
#
# Environment (defaults are for a production cluster of >= 3 brokers):
#   BOOTSTRAP_SERVERS      kafka:9092
#   KAFKA_BIN              /opt/kafka/bin
#   COMMAND_CONFIG         optional client properties file (TLS, SASL)
#   REPLICATION_FACTOR     3
#   MIN_INSYNC_REPLICAS    2
#   PARTITIONS_REQUESTS    12   crawl.requests: bounds fetcher replicas
#   PARTITIONS_PAGES       12   crawl.pages: bounds extractor replicas
#   PARTITIONS_EXTRACTED   6    articles.extracted: bounds dedup replicas
#   PARTITIONS_ARTICLES    6    articles (compacted; never changed later)
#   PARTITIONS_DUPLICATES  3
#   PARTITIONS_DEADLETTER  3
#   crawl.state (compacted) always gets crawl.requests' count: the fetcher
#   keeps a URL's state in the partition number of its request's partition
#   WAIT_SECONDS           120  how long to wait for the brokers
#
# Partitions are only ever increased, and never for `articles`: a compacted
# topic keeps the latest record per key per partition, so moving keys to
# other partitions would leave two live records for one article.
# crawl.state grows with crawl.requests (it must stay co-partitioned, or the
# fetcher refuses to start): a host whose requests move to another
# partition then starts with no state there (its pages are fetched once
# more, conditionally when the old partition's validators are lost).
set -euo pipefail

BOOTSTRAP_SERVERS=${BOOTSTRAP_SERVERS:-kafka:9092}
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
RF=${REPLICATION_FACTOR:-3}
MIN_ISR=${MIN_INSYNC_REPLICAS:-2}
WAIT_SECONDS=${WAIT_SECONDS:-120}

client=(--bootstrap-server "$BOOTSTRAP_SERVERS")
if [ -n "${COMMAND_CONFIG:-}" ]; then client+=(--command-config "$COMMAND_CONFIG"); fi

DAY=86400000
MAX_MESSAGE=10485760   # 10 MiB >= kafka.max_message_bytes (8 MiB) + record overhead

# name | partitions | settings (comma-separated, no spaces)
TOPICS="
crawl.requests|${PARTITIONS_REQUESTS:-12}|cleanup.policy=delete,retention.ms=$((7 * DAY))
crawl.pages|${PARTITIONS_PAGES:-12}|cleanup.policy=delete,retention.ms=$((2 * DAY)),max.message.bytes=${MAX_MESSAGE}
articles.extracted|${PARTITIONS_EXTRACTED:-6}|cleanup.policy=delete,retention.ms=$((7 * DAY)),max.message.bytes=${MAX_MESSAGE}
articles|${PARTITIONS_ARTICLES:-6}|cleanup.policy=compact,min.compaction.lag.ms=3600000,delete.retention.ms=${DAY},segment.ms=${DAY},max.message.bytes=${MAX_MESSAGE}
articles.duplicates|${PARTITIONS_DUPLICATES:-3}|cleanup.policy=delete,retention.ms=$((30 * DAY))
crawl.deadletter|${PARTITIONS_DEADLETTER:-3}|cleanup.policy=delete,retention.ms=$((14 * DAY)),max.message.bytes=${MAX_MESSAGE}
crawl.state|${PARTITIONS_REQUESTS:-12}|cleanup.policy=compact,min.compaction.lag.ms=3600000,delete.retention.ms=${DAY},segment.ms=${DAY}
"

log() { echo "create-topics: $*" >&2; }

deadline=$(( $(date +%s) + WAIT_SECONDS ))
until "$KAFKA_BIN/kafka-broker-api-versions.sh" "${client[@]}" >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "brokers at $BOOTSTRAP_SERVERS not reachable after ${WAIT_SECONDS}s"
    exit 1
  fi
  sleep 2
done

while IFS='|' read -r name partitions settings; do
  [ -n "$name" ] || continue
  settings="$settings,min.insync.replicas=$MIN_ISR"
  config_args=()
  IFS=',' read -r -a pairs <<<"$settings"
  for kv in "${pairs[@]}"; do config_args+=(--config "$kv"); done

  current=$("$KAFKA_BIN/kafka-topics.sh" "${client[@]}" --describe --topic "$name" 2>/dev/null \
              | sed -n 's/.*PartitionCount:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n 1 || true)
  if [ -z "$current" ]; then
    log "creating $name: $partitions partitions, replication $RF, $settings"
    "$KAFKA_BIN/kafka-topics.sh" "${client[@]}" --create --if-not-exists --topic "$name" \
      --partitions "$partitions" --replication-factor "$RF" "${config_args[@]}"
  else
    if [ "$current" -lt "$partitions" ]; then
      if [ "$name" = "articles" ]; then
        log "NOT increasing partitions of compacted topic $name ($current -> $partitions): see deploy/README.md"
      else
        log "increasing partitions of $name: $current -> $partitions"
        "$KAFKA_BIN/kafka-topics.sh" "${client[@]}" --alter --topic "$name" --partitions "$partitions"
      fi
    fi
    log "updating settings of $name: $settings"
    "$KAFKA_BIN/kafka-configs.sh" "${client[@]}" --alter --entity-type topics \
      --entity-name "$name" --add-config "$settings"
  fi
done <<<"$TOPICS"
log "topics ready"
