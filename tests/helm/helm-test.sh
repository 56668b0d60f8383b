#!/usr/bin/env bash
# The Helm chart (helm/fedcrm), proven rather than only written:
#   - helm lint with the default values, every feature on, and the silo values;
#   - helm template of each, every rendered object validated by kubeconform
#     (strict: unknown fields are errors) against schemas generated from the
#     test kube-apiserver's own OpenAPI v3 and from the CRDs: ours, and
#     cert-manager's and the Prometheus Operator's from their Go modules;
#   - the chart's CRDs byte-identical to crds/;
#   - values.schema.json refuses bad values;
#   - on real API servers (tests/kube): the rendered default chart applied
#     server-side to the hub, the silo values to a regional cluster, every
#     feature (less the third-party kinds, whose CRDs those servers lack) to
#     the hub, and a helm install + upgrade that keeps the generated CA.
# Prints "N passed, N failed". Run by CTest (helm.chart).
#
# Usage: helm-test.sh [--no-kube]     --no-kube: the static checks only
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
repo="$(pwd)"

with_kube=1
[[ "${1:-}" == "--no-kube" ]] && with_kube=0

# Build (or find cached) the API servers and start them, then come back here
# with clusters.env exported; run-with-clusters.sh stops them on exit.
if [[ ${with_kube} -eq 1 && -z "${FEDCRM_KUBE_HUB_URL:-}" ]]; then
  exec tests/kube/run-with-clusters.sh "${repo}/tests/helm/helm-test.sh" "$@"
fi

tools="$(tests/helm/build-tools.sh)" || { echo "0 passed, 1 failed"; exit 1; }
eval "${tools}"
helm="${FEDCRM_HELM}"
kubeconform="${FEDCRM_KUBECONFORM}"
chart=helm/fedcrm
work="$(mktemp -d /tmp/fedcrm-helm-XXXXXX)"
trap 'rm -rf "${work}"' EXIT
# Helm keeps no state of ours in $HOME.
export HELM_CACHE_HOME="${work}/helm/cache" HELM_CONFIG_HOME="${work}/helm/config"
export HELM_DATA_HOME="${work}/helm/data"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  [[ -z "${2:-}" ]] || head -n 30 <<<"$2" | while IFS= read -r line; do echo "     ${line}"; done
}

# check NAME COMMAND...: the command must succeed.
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then ok "${name}"; else fail "${name}" "${out}"; fi
}

# expect NAME PATTERN COMMAND...: the output must match PATTERN (any status).
expect() {
  local name="$1" pattern="$2" out
  shift 2
  out="$("$@" 2>&1)"
  if grep -qE -- "${pattern}" <<<"${out}"; then ok "${name}"; else fail "${name}" "${out}"; fi
}

# refuse NAME PATTERN COMMAND...: the command must fail with output matching PATTERN.
refuse() {
  local name="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    fail "${name}: expected a failure" "${out}"
  elif grep -qE -- "${pattern}" <<<"${out}"; then
    ok "${name}"
  else
    fail "${name}: wrong failure" "${out}"
  fi
}

all_values=tests/helm/values-all.yaml
silo_values="${chart}/values-silo.yaml"

# --- lint and template ------------------------------------------------------
check "helm lint (default values)" "${helm}" lint --strict "${chart}"
check "helm lint (every feature on)" "${helm}" lint --strict "${chart}" -f "${all_values}"
check "helm lint (silo values)" "${helm}" lint --strict "${chart}" -f "${silo_values}"
# The three tls modes render; "existing" only with its Secrets named.
check "helm lint (tls.mode=existing)" "${helm}" lint --strict "${chart}" \
  --set tls.mode=existing,tls.existing.caSecret=ca,tls.existing.aggregatorSecret=agg \
  --set tls.existing.coordinatorSecret=op

render() { # render NAME ARGS...: helm template into ${work}/NAME.yaml
  local name="$1"
  shift
  "${helm}" template fedcrm "${chart}" --namespace fedcrm "$@" >"${work}/${name}.yaml"
}
check "helm template (default values)" render default
check "helm template (every feature on)" render all -f "${all_values}"
check "helm template (silo values)" render silo -f "${silo_values}"
check "helm template (default, with CRDs)" render default-crds --include-crds
refuse "tls.mode=existing without its Secrets" "tls.existing.(ca|aggregator)Secret is required" \
  render existing --set tls.mode=existing

# kinds NAME: the sorted kinds rendered in NAME.yaml, one a line.
kinds() { python3 -c 'import sys, yaml
print("\n".join(sorted(d["kind"] for d in yaml.safe_load_all(open(sys.argv[1])) if d)))' \
  "${work}/$1.yaml"; }
default_kinds="$(kinds default)"
for kind in Deployment StatefulSet Service ServiceAccount ClusterRole Role RoleBinding \
  NetworkPolicy PodDisruptionBudget Secret ConfigMap Pod; do
  expect "default values render a ${kind}" "^${kind}$" echo "${default_kinds}"
done
all_kinds="$(kinds all)"
for kind in Certificate Issuer ServiceMonitor PrometheusRule Namespace; do
  expect "every feature on renders a ${kind}" "^${kind}$" echo "${all_kinds}"
done
silo_kinds="$(kinds silo)"
if grep -qE '^(Deployment|StatefulSet|Service)$' <<<"${silo_kinds}"; then
  fail "silo values render no operator or aggregator" "${silo_kinds}"
else
  ok "silo values render no operator or aggregator"
fi
expect "silo values render the remote operator's Role" "^Role$" echo "${silo_kinds}"

# What the brief of the chart promises, read off the rendered objects.
# shellcheck disable=SC2016
property() { # property NAME PYTHON_EXPR: EXPR over `objs` (the default render) is true
  local name="$1" expr="$2"
  check "${name}" python3 -c 'import sys, yaml
objs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def one(kind, suffix=""):
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(suffix)]
    assert len(found) == 1, (kind, suffix, len(found))
    return found[0]
ok = eval(sys.argv[2])
assert ok, sys.argv[2]' "${work}/default.yaml" "${expr}"
}
property "operator: 2 replicas with --leader-elect" \
  'one("Deployment")["spec"]["replicas"] == 2 and "--leader-elect" in one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]'
property "operator: probes on /healthz and /readyz of the metrics port" \
  '(lambda c: c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz" and c["readinessProbe"]["httpGet"]["port"] == "metrics" and "--metrics-listen=0.0.0.0:8080" in c["args"])(one("Deployment")["spec"]["template"]["spec"]["containers"][0])'
property "every container restricted (non-root 65532, read-only root, no capabilities, RuntimeDefault, no escalation)" \
  'all(c["securityContext"]["runAsNonRoot"] and c["securityContext"]["runAsUser"] == 65532 and c["securityContext"]["readOnlyRootFilesystem"] and c["securityContext"]["capabilities"]["drop"] == ["ALL"] and c["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault" and c["securityContext"]["allowPrivilegeEscalation"] is False for o in objs if o["kind"] in ("Deployment", "StatefulSet", "Pod") for c in (o["spec"] if o["kind"] == "Pod" else o["spec"]["template"]["spec"])["containers"])'
property "aggregator: --data-dir on a PVC" \
  '(lambda s: "--data-dir=/var/lib/fedcrm" in s["spec"]["template"]["spec"]["containers"][0]["args"] and s["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data" and any(m["name"] == "data" and m["mountPath"] == "/var/lib/fedcrm" for m in s["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]))(one("StatefulSet"))'
property "services: aggregator 8443 + 9090, operator metrics 8080" \
  'sorted(p["port"] for p in one("Service", "-aggregator")["spec"]["ports"]) == [8443, 9090] and [p["port"] for p in one("Service", "-operator-metrics")["spec"]["ports"]] == [8080]'
property "federation CA: kept on uninstall, tls.crt and tls.key" \
  '(lambda s: s["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep" and {"tls.crt", "tls.key"} <= set(s["data"]))(one("Secret", "-federation-ca"))'
property "operator RBAC: no wildcard, secrets only namespaced" \
  'all("*" not in r.get(k, []) for o in objs if o["kind"] in ("ClusterRole", "Role") for r in o["rules"] for k in ("verbs", "resources", "apiGroups")) and not any("secrets" in r["resources"] for o in objs if o["kind"] == "ClusterRole" and not o["metadata"]["name"].endswith("-silo") for r in o["rules"])'
property "dashboard ConfigMap labelled grafana_dashboard=1" \
  'one("ConfigMap", "-dashboard")["metadata"]["labels"]["grafana_dashboard"] == "1"'
property "helm test hook checks both /healthz" \
  '(lambda p: p["metadata"]["annotations"]["helm.sh/hook"] == "test" and p["spec"]["containers"][0]["args"][0].count("/healthz") == 2)(one("Pod"))'

# --- schemas and kubeconform ------------------------------------------------
schemas="${work}/schemas"
if [[ ${with_kube} -eq 1 ]]; then
  check "Kubernetes schemas from the API server's OpenAPI v3" \
    python3 tests/helm/openapi2jsonschema.py server "${schemas}" "${FEDCRM_KUBE_HUB_URL}" \
    --ca "${FEDCRM_KUBE_CA}" --cert "${FEDCRM_KUBE_ADMIN_CERT}" --key "${FEDCRM_KUBE_ADMIN_KEY}" \
    --strict
fi
check "CRD schemas (fedcrm, cert-manager, Prometheus Operator)" \
  python3 tests/helm/openapi2jsonschema.py crds "${schemas}" --strict crds/*.yaml \
  "${FEDCRM_CERT_MANAGER_CRDS}"/cert-manager.io_{certificates,issuers,clusterissuers}.yaml \
  "${FEDCRM_PROMETHEUS_OPERATOR_CRDS}"/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml

conform() { # conform FILE: strict validation, no schema may be missing
  "${kubeconform}" -strict -summary -output text \
    -schema-location "${schemas}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json" "$1"
}
if [[ ${with_kube} -eq 1 ]]; then
  for name in default all silo default-crds; do
    expect "kubeconform: every object of the ${name} render is valid" \
      "Invalid: 0, Errors: 0, Skipped: 0" conform "${work}/${name}.yaml"
  done
else
  # Without the API server only our CRDs' and the third-party kinds' schemas exist.
  python3 -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] in
        ("Certificate", "Issuer", "ServiceMonitor", "PrometheusRule")]
print(yaml.safe_dump_all(docs))' "${work}/all.yaml" >"${work}/third-party.yaml"
  expect "kubeconform: the cert-manager and monitoring objects are valid" \
    "Invalid: 0, Errors: 0, Skipped: 0" conform "${work}/third-party.yaml"
fi
# The validation must be able to fail: a misspelt field in a Kubernetes kind
# and in a third-party one.
if [[ ${with_kube} -eq 1 ]]; then
  sed 's/^  replicas: 2$/  replica: 2/' "${work}/default.yaml" >"${work}/bad-field.yaml"
  refuse "kubeconform refuses an unknown field" "additional properties 'replica' not allowed" \
    conform "${work}/bad-field.yaml"
fi
sed 's/^  issuerRef:$/  issuerReference:/' "${work}/all.yaml" >"${work}/bad-cert.yaml"
refuse "kubeconform refuses a bad cert-manager Certificate" "Certificate .*(issuerRef|issuerReference)" \
  conform "${work}/bad-cert.yaml"
for example in examples/kubernetes/*.yaml; do
  expect "kubeconform: ${example##*/} against the CRD schema" \
    "Invalid: 0, Errors: 0, Skipped: 0" conform "${example}"
done

# --- CRDs and values schema -------------------------------------------------
crd_diff() {
  diff <(cd crds && ls) <(cd "${chart}/crds" && ls) || return 1
  local f
  for f in crds/*.yaml; do cmp "${f}" "${chart}/crds/${f##*/}" || return 1; done
}
check "chart CRDs are byte-identical to crds/ (cp crds/*.yaml ${chart}/crds/)" crd_diff

refuse "values.schema.json refuses an unknown tls.mode" "tls/mode': value must be one of" \
  "${helm}" template fedcrm "${chart}" --set tls.mode=selfmade
refuse "values.schema.json refuses a string replica count" "operator/replicas': got string, want integer" \
  "${helm}" template fedcrm "${chart}" --set-string operator.replicas=two
refuse "values.schema.json refuses a misspelt key" "additional properties 'persistance' not allowed" \
  "${helm}" template fedcrm "${chart}" -f tests/helm/values-bad.yaml
refuse "values.schema.json refuses an out-of-range port" "aggregator/port': maximum" \
  "${helm}" template fedcrm "${chart}" --set aggregator.port=70000

# --- real API servers -------------------------------------------------------
if [[ ${with_kube} -eq 1 ]]; then
  kubectl=("${FEDCRM_KUBECTL}")
  hub=(--kubeconfig "${FEDCRM_KUBE_HUB_KUBECONFIG}")
  region_a=(--kubeconfig "${FEDCRM_KUBE_REGION_A_KUBECONFIG}")
  region_b=(--kubeconfig "${FEDCRM_KUBE_REGION_B_KUBECONFIG}")

  # namespace CLUSTER_ARGS NS: a namespace with its "default" ServiceAccount,
  # which these servers (no controller manager) do not create by themselves.
  namespace() {
    "${kubectl[@]}" "${@:1:2}" create namespace "$3" &&
      "${kubectl[@]}" "${@:1:2}" -n "$3" create serviceaccount default
  }
  # apply_all CLUSTER_ARGS FILE: server-side apply; every object must be applied.
  apply_all() {
    local out expected
    out="$("${kubectl[@]}" "${@:1:2}" apply --server-side --field-manager=helm-test -f "$3" 2>&1)" ||
      { echo "${out}"; return 1; }
    expected="$(grep -c '^kind:' "$3")"
    [[ "$(grep -c 'serverside-applied$' <<<"${out}")" -eq "${expected}" ]] ||
      { echo "${out}"; echo "expected ${expected} objects applied"; return 1; }
  }
  check "hub: namespace fedcrm" namespace "${hub[@]}" fedcrm
  check "hub: every object of the default render (with CRDs) is accepted server-side" \
    apply_all "${hub[@]}" "${work}/default-crds.yaml"

  check "region-a: every object of the silo render is accepted server-side" \
    apply_all "${region_a[@]}" "${work}/silo.yaml"
  # The silo identity may do what the operator needs there, and no more.
  as_silo=(--as system:serviceaccount:fedcrm-silo:fedcrm-operator-remote)
  expect "region-a: the silo identity may create Jobs in its namespace" "^yes$" \
    "${kubectl[@]}" "${region_a[@]}" "${as_silo[@]}" auth can-i create jobs.batch -n fedcrm-silo
  expect "region-a: the silo identity may list nodes" "^yes$" \
    "${kubectl[@]}" "${region_a[@]}" "${as_silo[@]}" auth can-i list nodes
  expect "region-a: the silo identity may not read Secrets elsewhere" "^no$" \
    "${kubectl[@]}" "${region_a[@]}" "${as_silo[@]}" auth can-i get secrets -n kube-system

  # Every feature, less the kinds whose CRDs these servers do not have.
  python3 -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] not in
        ("Certificate", "Issuer", "ServiceMonitor", "PrometheusRule")]
print(yaml.safe_dump_all(docs))' "${work}/all.yaml" >"${work}/all-core.yaml"
  for ns in fedcrm fedcrm-eu fedcrm-us observability; do
    namespace "${region_b[@]}" "${ns}" >/dev/null 2>&1
  done
  check "region-b: the CRDs" "${kubectl[@]}" "${region_b[@]}" apply --server-side -f "${chart}/crds/"
  check "region-b: every object with every feature on is accepted server-side" \
    apply_all "${region_b[@]}" "${work}/all-core.yaml"
  as_operator=(--as system:serviceaccount:fedcrm:fedcrm-operator)
  expect "region-b: the operator may update FederatedRound status in its namespace" "^yes$" \
    "${kubectl[@]}" "${region_b[@]}" "${as_operator[@]}" auth can-i update federatedrounds.fedcrm.io/status -n fedcrm
  expect "region-b: the operator watching one namespace may not read silos elsewhere" "^no$" \
    "${kubectl[@]}" "${region_b[@]}" "${as_operator[@]}" auth can-i list regionsilos.fedcrm.io -n default
  expect "region-b: the operator may create Jobs in a silo namespace" "^yes$" \
    "${kubectl[@]}" "${region_b[@]}" "${as_operator[@]}" auth can-i create jobs.batch -n fedcrm-eu
  expect "region-b: the operator may not read Secrets outside silo namespaces" "^no$" \
    "${kubectl[@]}" "${region_b[@]}" "${as_operator[@]}" auth can-i get secrets -n kube-system
  expect "region-b: the operator may update its Lease" "^yes$" \
    "${kubectl[@]}" "${region_b[@]}" "${as_operator[@]}" auth can-i update leases.coordination.k8s.io/fedcrm-operator -n fedcrm

  # helm install, then upgrade: the generated CA and certificates survive.
  export KUBECONFIG="${FEDCRM_KUBE_REGION_A_KUBECONFIG}"
  check "region-a: helm install" "${helm}" install fedcrm "${chart}" -n fedcrm --create-namespace
  ca_of() { "${kubectl[@]}" "${region_a[@]}" -n fedcrm get secret "$1" -o jsonpath='{.data.tls\.crt}'; }
  ca_before="$(ca_of fedcrm-federation-ca)"
  leaf_before="$(ca_of fedcrm-aggregator-tls)"
  check "region-a: helm upgrade" "${helm}" upgrade fedcrm "${chart}" -n fedcrm --set operator.logLevel=debug
  if [[ -n "${ca_before}" && "$(ca_of fedcrm-federation-ca)" == "${ca_before}" &&
    "$(ca_of fedcrm-aggregator-tls)" == "${leaf_before}" ]]; then
    ok "region-a: helm upgrade keeps the federation CA and the aggregator certificate"
  else
    fail "region-a: helm upgrade replaced a generated certificate"
  fi
  check "region-a: helm uninstall" "${helm}" uninstall fedcrm -n fedcrm
  expect "region-a: the federation CA outlives the release" "fedcrm-federation-ca" \
    "${kubectl[@]}" "${region_a[@]}" -n fedcrm get secret fedcrm-federation-ca -o name
fi

echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
