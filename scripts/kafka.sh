#!/usr/bin/env bash
# Runs a real Apache Kafka 3.9.1 cluster on 127.0.0.1 for tests, benchmarks
# and users without Docker: N combined broker+controller JVMs (KRaft, static
# controller quorum), each on OS-picked free ports with its heap capped at
# 512 MiB and everything it writes (config, data, log, pid) under one
# directory D.
#
#   bash scripts/kafka.sh start [--nodes N] [--dir D] [--owner PID]
#       Formats (first time) and starts the cluster, waits until all N
#       brokers answer, prints the bootstrap list ("127.0.0.1:p1,...") as
#       the LAST stdout line. Progress goes to stderr. Starting a D that
#       already holds a stopped cluster restarts it with its data and ports.
#       --owner PID: when PID exits, the cluster is stopped and D removed
#       (a test's safety net if it dies before its own teardown).
#   bash scripts/kafka.sh stop --dir D [--timeout S]
#       SIGTERM to every node, waits S seconds (default 30), then SIGKILL.
#   bash scripts/kafka.sh status --dir D       one line per node; 0 if all up
#   bash scripts/kafka.sh kill-node  --dir D --node I   SIGKILL (a crash)
#   bash scripts/kafka.sh stop-node  --dir D --node I   clean stop
#   bash scripts/kafka.sh start-node --dir D --node I   restart one node
#   bash scripts/kafka.sh classpath     resolve the jars, print the classpath
#
# The jars come from Maven Central through scripts/kafka/pom.xml (pinned
# versions, checksums verified): downloaded once into the local Maven
# repository (~/.m2/repository, or $CRAWLSTREAM_KAFKA_M2), the classpath
# cached in $CRAWLSTREAM_KAFKA_CACHE (default build/kafka/). D defaults to
# build/kafka/cluster. Needs java (17+), mvn, python3 and kcat.
set -euo pipefail

readonly KAFKA_VERSION=3.9.1
readonly HEAP=512m
repo_root=$(cd "$(dirname "$0")/.." && pwd)
readonly repo_root
readonly pom="$repo_root/scripts/kafka/pom.xml"
cache_dir=${CRAWLSTREAM_KAFKA_CACHE:-$repo_root/build/kafka}

cmd=""
nodes=""
dir="$cache_dir/cluster"
node=""
timeout_s=30
owner=""

die() { echo "kafka.sh: $*" >&2; exit 1; }
say() { echo "kafka.sh: $*" >&2; }

parse_args() {
  [ $# -ge 1 ] || die "usage: kafka.sh start|stop|status|kill-node|stop-node|start-node|classpath [options] (see the script's header)"
  cmd=$1; shift
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=$2; shift 2 ;;
      --dir) dir=$2; shift 2 ;;
      --node) node=$2; shift 2 ;;
      --timeout) timeout_s=$2; shift 2 ;;
      --owner) owner=$2; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  [[ -z $nodes || $nodes =~ ^[1-9][0-9]*$ ]] || die "--nodes must be a positive integer, got '$nodes'"
  [[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds, got '$timeout_s'"
  [ "$cmd" = start ] && mkdir -p "$dir"
  if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi
}

# --- jars -----------------------------------------------------------------

# Prints the broker's classpath, asking Maven only when the cached one is
# missing or names a jar that is gone.
resolve_classpath() {
  local cp_file="$cache_dir/classpath-$KAFKA_VERSION.txt"
  if [ -s "$cp_file" ] && classpath_complete "$cp_file"; then
    cat "$cp_file"; return
  fi
  command -v mvn >/dev/null || die "mvn not found (bash scripts/install-deps.sh installs maven)"
  mkdir -p "$cache_dir"
  local m2_args=() log="$cache_dir/mvn.log"
  [ -n "${CRAWLSTREAM_KAFKA_M2:-}" ] && m2_args=("-Dmaven.repo.local=$CRAWLSTREAM_KAFKA_M2")
  say "resolving Apache Kafka $KAFKA_VERSION from Maven Central (first time only, ~85 MB)"
  if ! mvn -B -q -C -f "$pom" "${m2_args[@]}" dependency:build-classpath \
       -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_file.$$" >"$log" 2>&1; then
    cat "$log" >&2
    die "maven could not resolve $pom (log: $log)"
  fi
  mv "$cp_file.$$" "$cp_file"
  cat "$cp_file"
}

classpath_complete() {
  local jar
  local IFS=:
  for jar in $(cat "$1"); do [ -f "$jar" ] || return 1; done
}

# --- cluster layout -------------------------------------------------------
# D/cluster.env      NODES, CLUSTER_ID, BROKER_PORTS, CONTROLLER_PORTS
# D/log4j.properties
# D/node-I/{server.properties,data/,server.log,pid}

node_dir() { echo "$dir/node-$1"; }
pid_file() { echo "$dir/node-$1/pid"; }

# Prints `count` distinct free TCP ports on 127.0.0.1, chosen by the OS.
pick_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

load_cluster() {
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (run: kafka.sh start --dir $dir)"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  read -r -a broker_ports <<<"$BROKER_PORTS"
  read -r -a controller_ports <<<"$CONTROLLER_PORTS"
}

bootstrap() {
  local i out=""
  for ((i = 1; i <= NODES; i++)); do out+="${out:+,}127.0.0.1:${broker_ports[i - 1]}"; done
  echo "$out"
}

write_cluster_env() {
  local ports all
  all=$(pick_ports $((2 * nodes)))
  read -r -a ports <<<"$all"
  local cluster_id
  cluster_id=$(java -cp "$classpath" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  [ -n "$cluster_id" ] || die "StorageTool random-uuid printed nothing"
  cat >"$dir/cluster.env" <<EOF
NODES=$nodes
CLUSTER_ID=$cluster_id
BROKER_PORTS="${ports[*]:0:nodes}"
CONTROLLER_PORTS="${ports[*]:nodes:nodes}"
EOF
}

write_log4j() {
  cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
}

# server.properties of node I: broker and controller in one JVM, small
# settings for tests (replication factors capped by the node count).
write_node_config() {
  local i=$1 voters="" j
  local rf=$((NODES < 3 ? NODES : 3)) isr=$((NODES < 2 ? NODES : 2))
  for ((j = 1; j <= NODES; j++)); do voters+="${voters:+,}$j@127.0.0.1:${controller_ports[j - 1]}"; done
  mkdir -p "$(node_dir "$i")/data"
  cat >"$(node_dir "$i")/server.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${broker_ports[i - 1]},CONTROLLER://127.0.0.1:${controller_ports[i - 1]}
advertised.listeners=PLAINTEXT://127.0.0.1:${broker_ports[i - 1]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$(node_dir "$i")/data
num.partitions=3
default.replication.factor=$rf
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
# the 10 MiB deploy/README.md gives the topics (kafka.max_message_bytes 8 MiB)
message.max.bytes=10485760
replica.fetch.max.bytes=10485760
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
# The cleaner looks for compactable logs every second (default 15 s), so a
# test of compaction does not wait for it.
log.cleaner.backoff.ms=1000
EOF
}

format_node() {
  local i=$1
  java -cp "$classpath" -Dlog4j.configuration="file:$dir/log4j.properties" \
    kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$(node_dir "$i")/server.properties" \
    >"$(node_dir "$i")/format.log" 2>&1 \
    || { cat "$(node_dir "$i")/format.log" >&2; die "formatting node $i failed"; }
}

# --- processes ------------------------------------------------------------

# The pid of node I if that process is alive and is this node's JVM (a
# stale pid file whose number was reused names someone else: ignored).
node_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(node_dir "$1")/server.properties" || return 1
  echo "$pid"
}

launch_node() {
  local i=$1 nd
  nd=$(node_dir "$i")
  node_pid "$i" >/dev/null && die "node $i already runs (pid $(node_pid "$i"))"
  nohup java -Xmx$HEAP -Xms64m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" -Dkafka.logs.dir="$nd" \
    -cp "$classpath" kafka.Kafka "$nd/server.properties" \
    </dev/null >>"$nd/server.log" 2>&1 &
  echo $! >"$(pid_file "$i")"
}

# Waits until no started node has died and the cluster's metadata lists
# every node that runs (brokers register only once the controller quorum
# has a leader).
wait_ready() {
  local want=0 deadline=$((SECONDS + ${CRAWLSTREAM_KAFKA_START_TIMEOUT:-180})) i bs
  bs=$(bootstrap)
  for ((i = 1; i <= NODES; i++)); do [ -f "$(pid_file "$i")" ] && want=$((want + 1)); done
  while ((SECONDS < deadline)); do
    for ((i = 1; i <= NODES; i++)); do
      if [ -f "$(pid_file "$i")" ] && ! node_pid "$i" >/dev/null; then
        tail -n 30 "$(node_dir "$i")/server.log" >&2
        die "node $i exited during start (log: $(node_dir "$i")/server.log)"
      fi
    done
    if kcat -L -b "$bs" -m 2 2>/dev/null | grep -q "^ *$want brokers:"; then return 0; fi
    sleep 0.5
  done
  die "cluster did not answer with $want brokers within the timeout (logs: $dir/node-*/server.log)"
}

stop_node() {
  local i=$1 sig=${2:-TERM} pid deadline
  pid=$(node_pid "$i") || { rm -f "$(pid_file "$i")"; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout_s))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "node $i (pid $pid) still up after ${timeout_s}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$(pid_file "$i")"
}

# A detached watcher: when `owner` exits, stop the cluster and remove D.
watch_owner() {
  nohup bash -c '
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    [ -f "$3/cluster.env" ] || exit 0
    bash "$2" stop --dir "$3" --timeout 10 && rm -rf "$3"
  ' kafka-owner-watch "$owner" "$repo_root/scripts/kafka.sh" "$dir" \
    </dev/null >/dev/null 2>&1 &
}

# --- commands -------------------------------------------------------------

cmd_start() {
  command -v java >/dev/null || die "java not found (bash scripts/install-deps.sh installs default-jre-headless)"
  command -v kcat >/dev/null || die "kcat not found (bash scripts/install-deps.sh installs it)"
  classpath=$(resolve_classpath)
  local i fresh=0
  if [ ! -f "$dir/cluster.env" ]; then
    fresh=1
    nodes=${nodes:-1}
    write_cluster_env
  fi
  load_cluster
  [ -z "$nodes" ] || [ "$NODES" = "$nodes" ] || die "$dir holds a $NODES-node cluster, not $nodes"
  write_log4j
  if [ "$fresh" = 1 ]; then
    for ((i = 1; i <= NODES; i++)); do write_node_config "$i"; done
    for ((i = 1; i <= NODES; i++)); do format_node "$i" & done
    wait_all_or_die "formatting"
  fi
  trap stop_if_start_failed EXIT
  for ((i = 1; i <= NODES; i++)); do launch_node "$i"; done
  [ -n "$owner" ] && watch_owner
  wait_ready
  start_ok=1
  say "$NODES node(s) up, cluster $CLUSTER_ID, data in $dir"
  bootstrap
}

# A start that fails leaves no JVM behind.
start_ok=0
stop_if_start_failed() {
  [ "$start_ok" = 1 ] && return
  say "start failed: stopping the nodes it launched"
  timeout_s=5
  cmd_stop
}

wait_all_or_die() {
  local job
  for job in $(jobs -p); do wait "$job" || die "$1 failed"; done
}

cmd_stop() {
  [ -f "$dir/cluster.env" ] || return 0
  load_cluster
  local i
  for ((i = 1; i <= NODES; i++)); do stop_node "$i" & done
  wait
}

cmd_status() {
  load_cluster
  local i pid rc=0
  for ((i = 1; i <= NODES; i++)); do
    if pid=$(node_pid "$i"); then
      echo "node $i up pid $pid broker 127.0.0.1:${broker_ports[i - 1]} rss_kib $(awk '/VmRSS/{print $2}' "/proc/$pid/status")"
    else
      echo "node $i down broker 127.0.0.1:${broker_ports[i - 1]}"; rc=3
    fi
  done
  echo "bootstrap $(bootstrap)"
  return $rc
}

check_node_arg() {
  [[ $node =~ ^[1-9][0-9]*$ ]] && ((node <= NODES)) || die "--node must be 1..$NODES, got '$node'"
}

cmd_kill_node() { load_cluster; check_node_arg; stop_node "$node" KILL; }
cmd_stop_node() { load_cluster; check_node_arg; stop_node "$node" TERM; }

cmd_start_node() {
  load_cluster; check_node_arg
  classpath=$(resolve_classpath)
  launch_node "$node"
  wait_ready
  bootstrap
}

main() {
  parse_args "$@"
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill-node) cmd_kill_node ;;
    stop-node) cmd_stop_node ;;
    start-node) cmd_start_node ;;
    classpath) resolve_classpath ;;
    *) die "unknown command '$cmd'" ;;
  esac
}

main "$@"
