#!/usr/bin/env bash
# The dashboard and the alert rules against a real Prometheus (Debian's
# package) scraping a real fedcrm-aggregator every second while it runs rounds:
#
#  1. `fedcrm simulate --transport https` runs one round; it leaves behind the
#     federation's certificates, the silos' CSVs and the aggregator's store,
#     whose release log holds the round configuration;
#  2. a fedcrm-aggregator is started on that store, Prometheus scrapes it and
#     loads the alert rules;
#  3. two more rounds run with fedcrm-worker processes, as the operator's Jobs
#     would: one where a silo drops out (succeeds), one where two of three
#     drop out (fails); one request is answered 404;
#  4. obs_check.py live: every expression evaluates, every dashboard panel on
#     aggregator metrics returns data, every rule is healthy;
#  5. the aggregator is stopped and FedcrmAggregatorDown must go pending.
#
# A fedcrm-operator runs too, with --leader-elect, against a real hub API
# server (tests/kube/run-with-clusters.sh; the script re-runs itself under it
# when FEDCRM_KUBE_HUB_KUBECONFIG is unset) holding a RegionSilo and a
# FederatedRound that fails admission: it leads, reconciles, and exports its
# controller, queue and ledger series, so every dashboard panel, the
# operator's included, must return data (obs_check.py live --operator), and
# FedcrmOperatorNoLeader must stay silent.
#
# Usage: live-test.sh BIN_DIR      (BIN_DIR holds fedcrm, fedcrm-aggregator, fedcrm-worker, fedcrm-operator)
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 BIN_DIR" >&2; exit 2; }
if [[ -z "${FEDCRM_KUBE_HUB_KUBECONFIG:-}" ]]; then
  exec "$(dirname "${BASH_SOURCE[0]}")/../kube/run-with-clusters.sh" "$0" "$@"
fi
bin="$(cd "$1" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/fedcrm-observability-XXXXXX)"
pids=()
passed=0

cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  if [[ ${passed} -eq 1 ]]; then
    rm -rf "${work}"
  else
    echo "live-test: FAILED; logs kept in ${work}" >&2
  fi
}
trap cleanup EXIT

step() { echo "live-test: $*"; }

# Polls `$@` every 0.2 s for up to $timeout seconds.
wait_for() {
  local timeout=$1; shift
  local until=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [[ ${SECONDS} -lt ${until} ]] || return 1
    sleep 0.2
  done
}

fed="${work}/federation"
step "first round with fedcrm simulate (certificates, data, release log)"
"${bin}/fedcrm" simulate -f "${repo}/examples/churn.yaml" --transport https --rounds 1 \
  --work-dir "${fed}" --quiet >"${work}/simulate.out"

step "starting fedcrm-aggregator on the same store"
"${bin}/fedcrm-aggregator" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --tls-cert "${fed}/tls/aggregator.crt" --tls-key "${fed}/tls/aggregator.key" \
  --ca "${fed}/tls/ca.crt" --data-dir "${fed}/aggregator" \
  --coordinator-identity fedcrm-simulate >"${work}/aggregator.log" 2>&1 &
aggregator_pid=$!
pids+=("${aggregator_pid}")
wait_for 30 grep -q '"tls_port"' "${work}/aggregator.log" || { echo "aggregator did not start" >&2; exit 1; }
read -r tls_port metrics_port < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if "\"tls_port\"" in line:
        j = json.loads(line); print(j["tls_port"], j["metrics_port"]); break' "${work}/aggregator.log")

step "a RegionSilo and a FederatedRound on the hub for the operator"
kubectl=("${FEDCRM_KUBECTL}" --kubeconfig "${FEDCRM_KUBE_HUB_KUBECONFIG}")
"${kubectl[@]}" apply -f "${repo}/crds" >/dev/null
"${kubectl[@]}" wait --for=condition=Established crd --all --timeout=60s >/dev/null
"${kubectl[@]}" create namespace fedcrm >/dev/null
"${kubectl[@]}" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: hub-eu-1
  labels: {topology.kubernetes.io/region: eu-west-1, fedcrm.io/pool: eu}
YAML
python3 -c '
import sys, yaml
silo = yaml.safe_load(open(sys.argv[1]))
silo["spec"]["worker"]["nodeSelector"] = {"fedcrm.io/pool": "eu"}
print(yaml.safe_dump(silo))' "${repo}/examples/kubernetes/regionsilo-eu-west.yaml" \
  | "${kubectl[@]}" apply -f - >/dev/null
# Two participants needed, one silo: the round fails admission, which
# exercises the round controller without calling the aggregator.
python3 -c '
import sys, yaml
round = yaml.safe_load(open(sys.argv[1]))
round["spec"].pop("baseModel", None)
print(yaml.safe_dump(round))' "${repo}/examples/kubernetes/federatedround-churn.yaml" \
  | "${kubectl[@]}" apply -f - >/dev/null

step "starting fedcrm-operator against the hub"
operator_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${bin}/fedcrm-operator" --kubeconfig "${FEDCRM_KUBE_HUB_KUBECONFIG}" --namespace fedcrm \
  --aggregator-url "https://127.0.0.1:${tls_port}" --aggregator-ca "${fed}/tls/ca.crt" \
  --coordinator-cert "${fed}/tls/coordinator.crt" --coordinator-key "${fed}/tls/coordinator.key" \
  --leader-elect --leader-election-namespace fedcrm --poll-interval-ms 500 \
  --metrics-listen "127.0.0.1:${operator_port}" >"${work}/operator.log" 2>&1 &
pids+=("$!")
wait_for 30 curl -fsS "http://127.0.0.1:${operator_port}/metrics" || { echo "operator did not serve metrics" >&2; exit 1; }
operator_phase() {
  "${kubectl[@]}" -n fedcrm get federatedround churn-adhoc-1 -o jsonpath='{.status.phase}' | grep -qx Failed
}
wait_for 60 operator_phase || { echo "the operator never settled the round" >&2; exit 1; }
curl -fsS "http://127.0.0.1:${operator_port}/metrics" >"${work}/operator-metrics.txt"
promtool check metrics <"${work}/operator-metrics.txt"
grep -qx 'fedcrm_leader_election_master_status 1' "${work}/operator-metrics.txt" \
  || { echo "expected the operator to lead" >&2; exit 1; }
grep -q '^fedcrm_silo_epsilon_budget{namespace="fedcrm",silo="eu-west"} 3' "${work}/operator-metrics.txt" \
  || { echo "expected the silo's ledger gauges" >&2; exit 1; }

prom_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
prom="http://127.0.0.1:${prom_port}"
cat >"${work}/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${repo}/helm/fedcrm/files/prometheus-rules.yaml
scrape_configs:
  - job_name: fedcrm-aggregator
    static_configs:
      - targets: ["127.0.0.1:${metrics_port}"]
  - job_name: fedcrm-operator
    static_configs:
      - targets: ["127.0.0.1:${operator_port}"]
YAML
step "starting Prometheus on ${prom}, scraping 127.0.0.1:${metrics_port}"
prometheus --config.file="${work}/prometheus.yml" --storage.tsdb.path="${work}/prometheus" \
  --web.listen-address="127.0.0.1:${prom_port}" >"${work}/prometheus.log" 2>&1 &
pids+=("$!")
wait_for 60 curl -fsS "${prom}/-/ready" || { echo "Prometheus did not become ready" >&2; exit 1; }

# Coordinator requests over mutual TLS: PUT a round derived from the first
# release's configuration, or GET any path. Prints the HTTP status.
coordinator() {
  python3 - "$@" <<'PY'
import json, ssl, sys, urllib.error, urllib.request
fed, port, method, path = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=f"{fed}/tls/ca.crt")
ctx.load_cert_chain(f"{fed}/tls/coordinator.crt", f"{fed}/tls/coordinator.key")
body = None
if method == "PUT":
    release = json.loads(open(f"{fed}/aggregator/releases.jsonl").readline())
    config = release["config"]
    config["baseModel"] = release["digest"]
    config["deadlines"] = {"phaseSeconds": 3, "maskedInputSeconds": 6}
    # Score each released model on the workers' held-out fifth (--test-fraction
    # 0.2), so the dashboard's model-metric panel has a series.
    config["evaluation"] = {"holdoutFraction": 0.2}
    body = json.dumps(config).encode()
request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=body, method=method,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, context=ctx, timeout=10) as answer:
        print(answer.status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

silos=(eu-west us-east apac-southeast)
# run_round ROUND FAIL_AT_EU FAIL_AT_US: one worker per silo, to completion.
run_round() {
  local round=$1
  local -a fail_at=("$2" "$3" "")
  local status
  status="$(coordinator "${fed}" "${tls_port}" PUT "/v1/rounds/${round}")"
  [[ "${status}" == 201 ]] || { echo "PUT ${round}: ${status}" >&2; exit 1; }
  local -a workers=()
  for i in "${!silos[@]}"; do
    local silo="${silos[$i]}"
    local -a extra=()
    [[ -z "${fail_at[$i]}" ]] || extra=(--fail-at "${fail_at[$i]}")
    "${bin}/fedcrm-worker" --aggregator-url "https://127.0.0.1:${tls_port}" --round "${round}" \
      --silo "${silo}" --data "${fed}/data/${silo}.csv" \
      --tls-cert "${fed}/tls/${silo}.crt" --tls-key "${fed}/tls/${silo}.key" --ca "${fed}/tls/ca.crt" \
      --test-fraction 0.2 --split-seed $((7 + i)) --poll-interval-ms 100 "${extra[@]}" \
      >"${work}/worker-${round}-${silo}.log" 2>&1 &
    workers+=("$!")
  done
  for pid in "${workers[@]}"; do wait "${pid}" || true; done  # killed workers exit non-zero
}

step "round r2: eu-west drops out before its masked input (recovers)"
run_round churn-demo-r2 training/masked ""
step "round r3: two of three silos drop out at the key advertisement (fails)"
run_round churn-demo-r3 training/keys training/keys
[[ "$(coordinator "${fed}" "${tls_port}" GET /v1/rounds/no-such-round)" == 404 ]] \
  || { echo "expected a 404 for an unknown round" >&2; exit 1; }

query_nonempty() {
  curl -fsS --get "${prom}/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'
}
step "waiting until Prometheus has scraped both outcomes and the 404"
wait_for 30 query_nonempty 'fedcrm_rounds_total{result="failed"} > 0 and on() fedcrm_rounds_total{result="succeeded"} > 0 and on() fedcrm_round_dropouts_total >= 3 and on() fedcrm_aggregator_requests_total{code="404"}' \
  || { echo "Prometheus never saw the rounds' outcomes" >&2; exit 1; }
sleep 3  # a few more scrapes, so that rate() has points on both sides of the rounds

step "evaluating the dashboard's and the rules' expressions"
python3 "${repo}/tests/observability/obs_check.py" live "${repo}" "${prom}" --operator

# alert_active NAME: the alert is pending or firing in Prometheus.
alert_active() {
  curl -fsS "${prom}/api/v1/alerts" | python3 -c '
import json, sys
alerts = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(a["labels"]["alertname"] == sys.argv[1] for a in alerts) else 1)' "$1"
}
step "the operator leads: FedcrmOperatorNoLeader must stay silent"
alert_active FedcrmOperatorNoLeader && { echo "FedcrmOperatorNoLeader while the operator leads" >&2; exit 1; }
alert_active FedcrmAggregatorDown && { echo "FedcrmAggregatorDown while the aggregator is up" >&2; exit 1; }

step "stopping the aggregator: FedcrmAggregatorDown must go pending"
kill "${aggregator_pid}"
wait "${aggregator_pid}" || true
wait_for 30 alert_active FedcrmAggregatorDown || { echo "FedcrmAggregatorDown did not go pending" >&2; exit 1; }

passed=1
step "PASSED"
