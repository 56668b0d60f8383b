#!/usr/bin/env bash
# The CRDs against a real kube-apiserver (built from the k8s.io/kubernetes Go
# module and cached outside the repository, tests/kube/README.md): they
# install and become Established, the examples are accepted, invalid objects
# are refused with the schema's message, and `kubectl explain` reads the
# descriptions. Run by CTest (`make test`); prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

tests/kube/build-apiserver.sh >&2 || { echo "0 passed, 1 failed"; exit 1; }
dir="$(mktemp -d /tmp/fedcrm-kube-XXXXXX)"
trap 'tests/kube/stop-clusters.sh "${dir}" >/dev/null 2>&1; rm -rf "${dir}"' EXIT
tests/kube/start-clusters.sh "${dir}" >&2 || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
source "${dir}/clusters.env"
kubectl=("${FEDCRM_KUBECTL}" --kubeconfig "${FEDCRM_KUBE_HUB_KUBECONFIG}")

passed=0
failed=0
# expect NAME PATTERN COMMAND...: the command's output (stdout+stderr) must match PATTERN.
expect() {
  local name="$1" pattern="$2"
  shift 2
  local out
  out="$("$@" 2>&1)"
  if grep -qE -- "${pattern}" <<<"${out}"; then
    passed=$((passed + 1))
    echo "ok   ${name}"
  else
    failed=$((failed + 1))
    echo "FAIL ${name}: expected /${pattern}/, got:"
    sed 's/^/     /' <<<"${out}" | head -n 20
  fi
}

# invalid FILE SED_EXPRESSION PATTERN: the example, edited, must be refused.
invalid() {
  local file="$1" edit="$2" pattern="$3"
  expect "refuses ${file##*/} with ${edit}" "${pattern}" \
    bash -c "sed -e '${edit}' '${file}' | sed -e 's/^  name: .*/  name: invalid-object/' |
             $(printf '%q ' "${kubectl[@]}") apply -f -"
}

expect "CRDs install" "federatedrounds.fedcrm.io created" "${kubectl[@]}" apply -f crds/
expect "CRDs are Established" "condition met" \
  "${kubectl[@]}" wait --for=condition=Established crd --all --timeout=60s
expect "namespace" "created" "${kubectl[@]}" create namespace fedcrm
expect "examples are accepted" "federatedround.fedcrm.io/.* created" \
  "${kubectl[@]}" apply -f examples/kubernetes/
expect "short names and category" "regionsilo.fedcrm.io/eu-west" "${kubectl[@]}" -n fedcrm get fedcrm
expect "printer columns" "JURISDICTION" "${kubectl[@]}" -n fedcrm get silo
expect "kubectl explain" "Required: a round without DP" \
  "${kubectl[@]}" explain federatedround.spec.privacy

silo=examples/kubernetes/regionsilo-eu-west.yaml
round=examples/kubernetes/federatedround-churn.yaml
invalid "${silo}" 's/epsilon: 3.0/epsilon: -1/' "epsilon: Invalid value: -1.*greater than 0"
invalid "${silo}" 's/delta: 1.0e-5/delta: 1.5/' "delta: Invalid value"
invalid "${silo}" 's/jurisdiction: GDPR/jurisdiction: Narnia/' 'Unsupported value: "Narnia"'
invalid "${round}" 's/samplingRate: [0-9.e-]*/samplingRate: 2/' "samplingRate: Invalid value"
invalid "${round}" 's/noiseMultiplier: [0-9.e-]*/noiseMultiplier: 0/' "noiseMultiplier: Invalid value"
invalid "${round}" 's/type: logistic/type: forest/' 'Unsupported value: "forest"'
invalid "${round}" 's/roundSeconds: 3600/roundSeconds: 2000/' "with an evaluation stage, deadlines.roundSeconds must cover"

echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
