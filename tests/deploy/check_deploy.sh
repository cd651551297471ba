#!/usr/bin/env bash
# Checks docker/ and deploy/ without a Docker engine or a cluster.
#
#   bash tests/deploy/check_deploy.sh [BUILD_DIR]     (from the repo root;
#                                                      BUILD_DIR default: build)
#
#  1. kubectl kustomize renders every overlay;
#  2. the rendered objects validate against the Kubernetes, KEDA and
#     prometheus-operator schemas bundled in npm packages, strictly (unknown
#     fields are errors) -- validate_k8s.mjs;
#  3. the rendered objects follow the deploy rules (probes, securityContext,
#     resources, grace period > drain, PDB, KEDA max = partitions, network
#     policy, topic settings, Kafka credentials only from the Secret: the
#     services' kafka.extra_file, KEDA's TriggerAuthentication, the topics
#     Job's --command-config; none in a ConfigMap) -- check_deploy.py manifests;
#  4. docker/compose.yaml: services, images, health checks, depends_on
#     conditions, topic settings (by running the topic script against stub
#     Kafka tools), Prometheus and Grafana wiring, alert rules equal;
#  5. docker/Dockerfile: stages, user, exec-form HEALTHCHECK, build packages
#     vs scripts/install-deps.sh, runtime packages vs the NEEDED libraries of
#     the built binaries;
#  6. docker/seed.sh writes a CrawlRequest that protoc decodes;
#  7. every config/*.yaml passes its binary's --check-config, alone and with
#     the environment compose and each overlay give it;
#  8. the dashboard's and the alerts' PromQL parse and name only exported
#     metrics and labels (exported_metrics.txt, external_metrics.txt).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${1:-build}
here=tests/deploy
py=/usr/bin/python3
[ -x "$py" ] || py=python3
passed=0
failed=0
failed_names=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() {  # step NAME COMMAND...
  local name=$1; shift
  local out="$tmp/step.out"
  if "$@" >"$out" 2>&1; then
    passed=$((passed + 1))
    echo "PASS  $name"
    grep -E '^(skip|SKIP)' "$out" | sed 's/^/      /'
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "FAIL  $name"
    grep -vE '^ok: ' "$out" | sed 's/^/      /'
  fi
}
skip() { echo "SKIP  $1: $2"; }

# -- tools
if ! bash "$here/setup.sh"; then
  echo "deploy checks: cannot install the npm packages (tests/deploy/setup.sh)"
  echo "0 passed, 1 failed"
  exit 1
fi
kubectl=$(command -v kubectl || true)

# -- 1-3: Kubernetes
overlays=()
for d in deploy/overlays/*/; do overlays+=("$(basename "$d")"); done
for o in "${overlays[@]}"; do
  if [ -z "$kubectl" ]; then
    step "kustomize render $o" false
    echo "      kubectl not found (Debian: apt-get install kubernetes-client)"
    continue
  fi
  step "kustomize render $o" sh -c "'$kubectl' kustomize 'deploy/overlays/$o' > '$tmp/$o.yaml'"
  [ -s "$tmp/$o.yaml" ] || continue
  step "schema validation $o" node "$here/validate_k8s.mjs" "$tmp/$o.yaml"
  step "deploy rules $o" "$py" "$here/check_deploy.py" manifests "$o" "$tmp/$o.yaml"
done

# -- 4-6: compose, Dockerfile, topic script, seed script, config copies
step "compose stack" "$py" "$here/check_deploy.py" compose
step "topic script" "$py" "$here/check_deploy.py" topics
step "Dockerfile" "$py" "$here/check_deploy.py" dockerfile "$build"
step "seed script" "$py" "$here/check_deploy.py" seed
step "config copies in deploy/base/config" "$py" "$here/check_deploy.py" copies

# -- 7: --check-config
# Environment a deployment gives a service: compose's, and each overlay's.
"$py" - "$tmp" "${overlays[@]}" <<'PY' || true
import os, sys, yaml
tmp, overlays = sys.argv[1], sys.argv[2:]
c = yaml.safe_load(open("docker/compose.yaml"))
for s in ("fetcher", "extractor", "dedup"):
    env = c["services"].get(s, {}).get("environment", {}) or {}
    open(f"{tmp}/env-compose-{s}", "w").write("".join(f"{k}={v}\n" for k, v in env.items()))
for o in overlays:
    path = f"{tmp}/{o}.yaml"
    if not os.path.exists(path):
        continue
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    cms = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    # kafka.extra_file comes from the Secret: the rendered one (dev), else
    # an empty stand-in (prod creates its Secret outside git).
    import base64
    secrets = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "Secret"}
    props = secrets.get("crawlstream-kafka-client", {}).get("librdkafka.properties")
    extra_file = f"{tmp}/{o}-librdkafka.properties"
    open(extra_file, "w").write(base64.b64decode(props).decode() if props else "# stand-in for the Secret\n")
    for d in docs:
        if d["kind"] not in ("Deployment", "StatefulSet"):
            continue
        c0 = d["spec"]["template"]["spec"]["containers"][0]
        env = {}
        for ef in c0.get("envFrom", []):
            env.update(cms.get(ef.get("configMapRef", {}).get("name"), {}))
        for e in c0.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"].replace("$(POD_NAME)", "pod-0")
        if "CRAWLSTREAM_KAFKA_EXTRA_FILE" in env:
            env["CRAWLSTREAM_KAFKA_EXTRA_FILE"] = extra_file
        s = d["metadata"]["name"].replace("crawlstream-", "")
        open(f"{tmp}/env-{o}-{s}", "w").write("".join(f"{k}={v}\n" for k, v in env.items()))
PY
check_config() {  # check_config BINARY CONFIG [ENVFILE] [ARGS...]
  local bin=$1 cfg=$2 envfile=${3:-}
  shift 3 || shift $#
  local envs=(PATH="$PATH")
  if [ -n "$envfile" ]; then
    while IFS= read -r line; do [ -n "$line" ] && envs+=("$line"); done <"$envfile"
  fi
  env -i "${envs[@]}" "$bin" "$@" --config "$cfg" --check-config
}
for cfg in config/*.yaml; do
  name=$(basename "$cfg" .yaml)
  case "$name" in
    fetcher|extractor|dedup)
      bin="$build/services/$name/crawlstream-$name"
      if [ ! -x "$bin" ]; then
        skip "check-config $cfg" "$bin not built"
        continue
      fi
      step "check-config $cfg" check_config "$bin" "$cfg" ""
      for envfile in "$tmp"/env-*-"$name"; do
        [ -f "$envfile" ] || continue
        where=${envfile#"$tmp"/env-}; where=${where%-"$name"}
        step "check-config $cfg with the $where environment" check_config "$bin" "$cfg" "$envfile"
      done
      ;;
    broker|crawlstream)
      bin="$build/services/cli/crawlstream"
      sub=$([ "$name" = broker ] && echo broker || echo run)
      if [ ! -x "$bin" ]; then
        skip "check-config $cfg" "$bin not built"
      elif ! "$bin" "$sub" --help 2>&1 | grep -q -- --check-config; then
        skip "check-config $cfg" "\`crawlstream $sub\` has no --check-config in this build"
      else
        step "check-config $cfg (crawlstream $sub)" env -i PATH="$PATH" "$bin" "$sub" --config "$cfg" --check-config
      fi
      ;;
    *)
      skip "check-config $cfg" "no binary is known for it (add it to tests/deploy/check_deploy.sh)"
      ;;
  esac
done

# -- 8: PromQL against exported metrics
rules=(--rules docker/prometheus/alerts.yml)
for o in "${overlays[@]}"; do [ -s "$tmp/$o.yaml" ] && rules+=(--rules "$tmp/$o.yaml"); done
step "dashboard and alert metrics are exported" node "$here/check_promql.mjs" \
  --exported "$here/exported_metrics.txt" --external "$here/external_metrics.txt" \
  --dashboard deploy/grafana/crawlstream.json "${rules[@]}"

echo
if [ "$failed" -gt 0 ]; then
  echo "failed: ${failed_names[*]}"
fi
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
