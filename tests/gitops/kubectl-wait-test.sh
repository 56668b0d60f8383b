#!/usr/bin/env bash
# GitOps against a real kube-apiserver (tests/kube/README.md): what a
# pipeline does with kubectl on fedcrm's resources works.
#
# - `kubectl wait --for=condition=Succeeded` returns 0 on a FederatedRound
#   whose status (patched as the operator writes it) says Succeeded, and times
#   out (non-zero) on one that failed; it also waits for a later status write;
#   `--for=jsonpath='{.status.phase}'=Succeeded` works too;
# - on a FederatedModel, waiting for condition Promoted and for
#   status.promoted.digest works (docs/gitops.md, the promotion flow);
# - every sample of tests/gitops/samples/ is accepted by the CRDs' status
#   schema and read back unchanged (no field pruned), so the health checks
#   are tested on shapes the API server keeps;
# - deploy/argocd/argocd-cm-health.yaml patches an existing argocd-cm without
#   losing its settings and stores each health.lua byte for byte.
#
# CTest gitops.kubectl_wait; prints "N passed, N failed". Starts its own
# clusters through tests/kube/run-with-clusters.sh unless clusters.env is set.
set -uo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.." || exit 1

if [[ -z "${FEDCRM_KUBE_HUB_KUBECONFIG:-}" ]]; then
  summary="$(mktemp)"
  trap 'rm -f "${summary}"' EXIT
  FEDCRM_GITOPS_SUMMARY="${summary}" tests/kube/run-with-clusters.sh "${self}"
  rc=$?
  if [[ ! -s "${summary}" ]]; then
    echo "the test clusters did not start (exit ${rc})"
    echo "0 passed, 1 failed"
    exit 1
  fi
  exit "${rc}"
fi
[[ -n "${FEDCRM_KUBECTL:-}" ]] || { echo "FEDCRM_KUBECTL is not set"; echo "0 passed, 1 failed"; exit 1; }

kubectl=("${FEDCRM_KUBECTL}" --kubeconfig "${FEDCRM_KUBE_HUB_KUBECONFIG}")
helper=tests/gitops/sample_object.py
samples=tests/gitops/samples
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
ns=gitops

passed=0
failed=0
# check NAME WANT PATTERN COMMAND...: the command's exit status must be 0
# (WANT=ok) or not (WANT=fails), and its output (stdout+stderr) match PATTERN.
check() {
  local name="$1" want="$2" pattern="$3"
  shift 3
  local out rc
  out="$("$@" 2>&1)"
  rc=$?
  if { [[ ${want} == ok && ${rc} -eq 0 ]] || [[ ${want} == fails && ${rc} -ne 0 ]]; } &&
     grep -qE -- "${pattern}" <<<"${out}"; then
    passed=$((passed + 1))
    echo "ok   ${name}"
  else
    failed=$((failed + 1))
    echo "FAIL ${name}: expected ${want} and /${pattern}/, got exit ${rc}:"
    sed 's/^/     /' <<<"${out}" | head -n 20
  fi
}

# create_from KIND SAMPLE NAME NAMESPACE: the kind's example, with the
# sample's spec, as NAME; then its status patched from the sample, as the
# operator's status writes would.
create_from() {
  local kind="$1" sample="${samples}/$1/$2.json" name="$3" namespace="$4"
  python3 "${helper}" object "${work}/${kind}.json" "${sample}" "${name}" "${namespace}" \
    >"${work}/object.json" &&
    "${kubectl[@]}" create -f "${work}/object.json" >/dev/null || return 1
  python3 -c 'import json,sys; sys.exit("status" not in json.load(open(sys.argv[1])))' \
    "${sample}" || return 0
  "${kubectl[@]}" -n "${namespace}" patch "${kind,,}" "${name}" --subresource=status \
    --type=merge --patch-file <(python3 "${helper}" status "${sample}")
}

check "CRDs install" ok "federatedrounds.fedcrm.io" "${kubectl[@]}" apply -f crds/
check "CRDs are Established" ok "condition met" \
  "${kubectl[@]}" wait --for=condition=Established crd --all --timeout=60s
check "namespace" ok "created" "${kubectl[@]}" create namespace "${ns}"
# The examples as JSON, the base of every object below.
for kind in FederatedRound FederatedModel RegionSilo; do
  example="$(grep -l "^kind: ${kind}$" examples/kubernetes/*.yaml | head -n 1)"
  "${kubectl[@]}" create --dry-run=client -o json -f "${example}" >"${work}/${kind}.json" ||
    { echo "FAIL cannot read ${example}"; failed=$((failed + 1)); }
done

# --- kubectl wait on FederatedRounds -------------------------------------------
check "a succeeded round's status is written" ok "patched" \
  create_from FederatedRound succeeded churn-r1 "${ns}"
check "kubectl wait --for=condition=Succeeded returns 0 on it" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded fr/churn-r1 --timeout=30s
check "kubectl wait --for=jsonpath={.status.phase}=Succeeded returns 0 on it" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=jsonpath='{.status.phase}'=Succeeded fr/churn-r1 \
  --timeout=30s
check "jsonpath reads the model digest" ok '^sha256:(3f){32}$' \
  "${kubectl[@]}" -n "${ns}" get fr/churn-r1 -o jsonpath='{.status.model.digest}'

check "a failed round's status is written" ok "patched" \
  create_from FederatedRound failed-insufficient churn-r2 "${ns}"
check "kubectl wait --for=condition=Succeeded times out on it" fails "timed out" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded fr/churn-r2 --timeout=3s
check "kubectl wait --for=condition=Succeeded=False returns 0 on it" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded=False fr/churn-r2 --timeout=30s
check "kubectl wait --timeout=0s checks once: 0 on the succeeded round" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded fr/churn-r1 --timeout=0s
check "kubectl wait --timeout=0s checks once: non-zero on the failed round" fails "condition not met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded fr/churn-r2 --timeout=0s
check "kubectl wait --for=condition=Failed returns 0 on it" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Failed fr/churn-r2 --timeout=30s

# A wait started before the round finishes returns once the status says so.
check "a round without status" ok "^$" create_from FederatedRound no-status churn-r3 "${ns}"
"${kubectl[@]}" -n "${ns}" wait --for=condition=Succeeded fr/churn-r3 --timeout=120s \
  >"${work}/wait.out" 2>&1 &
waiter=$!
check "a running round's status is written" ok "patched" \
  "${kubectl[@]}" -n "${ns}" patch fr churn-r3 --subresource=status --type=merge \
  --patch-file <(python3 "${helper}" status "${samples}/FederatedRound/running.json")
check "the wait has not returned while the round runs" ok "" kill -0 "${waiter}"
check "the round's Succeeded status is written" ok "patched" \
  "${kubectl[@]}" -n "${ns}" patch fr churn-r3 --subresource=status --type=merge \
  --patch-file <(python3 "${helper}" status "${samples}/FederatedRound/succeeded.json")
wait "${waiter}"
waited=$?
check "the waiting kubectl wait returns 0" ok "condition met" \
  bash -c "cat '${work}/wait.out'; exit ${waited}"

# --- the promotion flow on a FederatedModel (docs/gitops.md) -------------------
check "a model with a promoted round" ok "patched" \
  create_from FederatedModel completed-promoted churn-global "${ns}"
check "kubectl wait --for=condition=Promoted returns 0" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --for=condition=Promoted fm/churn-global --timeout=30s
check "kubectl wait for status.promoted.digest returns 0" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --timeout=30s fm/churn-global \
  --for=jsonpath='{.status.promoted.digest}'="sha256:$(printf '3f%.0s' {1..32})"
check "kubectl wait for status.promoted.round returns 0" ok "condition met" \
  "${kubectl[@]}" -n "${ns}" wait --timeout=30s fm/churn-global \
  --for=jsonpath='{.status.promoted.round}'=churn-global-r12
check "promoting another round bumps metadata.generation" ok "^2$" \
  bash -c "$(printf '%q ' "${kubectl[@]}") -n ${ns} patch fm churn-global --type=merge \
             -p '{\"spec\":{\"promotedRound\":\"churn-global-r11\"}}' >/dev/null &&
           $(printf '%q ' "${kubectl[@]}") -n ${ns} get fm churn-global \
             -o jsonpath='{.metadata.generation}'"
check "a wait for the operator to observe it times out without an operator" fails "timed out" \
  "${kubectl[@]}" -n "${ns}" wait --timeout=3s fm/churn-global \
  --for=jsonpath='{.status.observedGeneration}'=2
check "the CRD refuses a promotedRound of another line" fails "promotedRound must be one of" \
  "${kubectl[@]}" -n "${ns}" patch fm churn-global --type=merge \
  -p '{"spec":{"promotedRound":"other-r1"}}'

# --- every sample is a status the API server keeps as it is ---------------------
for path in "${samples}"/*/*.json; do
  kind="$(basename "$(dirname "${path}")")"
  sample="$(basename "${path}" .json)"
  # Its own namespace: the model samples share a name (promotedRound must
  # name one of the model's own rounds).
  space="$(tr '[:upper:]' '[:lower:]' <<<"s-${kind}-${sample}")"
  name="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metadata"]["name"])' \
    "${path}")"
  "${kubectl[@]}" create namespace "${space}" >/dev/null 2>&1
  check "sample ${kind}/${sample} is accepted" ok "created|patched" \
    bash -c "$(declare -f create_from); kubectl=($(printf '%q ' "${kubectl[@]}"));
             helper=${helper} samples=${samples} work=${work}
             create_from ${kind} ${sample} ${name} ${space} && echo created"
  if python3 -c 'import json,sys; sys.exit("status" not in json.load(open(sys.argv[1])))' \
    "${path}"; then
    "${kubectl[@]}" -n "${space}" get "${kind,,}" "${name}" -o json >"${work}/live.json"
    check "sample ${kind}/${sample} reads back unchanged" ok "" \
      python3 "${helper}" same-status "${path}" "${work}/live.json"
  fi
done

# --- the argocd-cm patch ---------------------------------------------------------
check "argocd namespace" ok "created" "${kubectl[@]}" create namespace argocd
check "an existing argocd-cm" ok "created" \
  "${kubectl[@]}" -n argocd create configmap argocd-cm --from-literal=url=https://argocd.example.com
check "argocd-cm-health.yaml patches it" ok "patched" \
  "${kubectl[@]}" -n argocd patch configmap argocd-cm --patch-file deploy/argocd/argocd-cm-health.yaml
"${kubectl[@]}" -n argocd get configmap argocd-cm -o json >"${work}/cm.json"
check "argocd-cm holds every health.lua byte for byte, and its own settings" ok "keys as expected" \
  python3 "${helper}" checks-installed "${work}/cm.json" deploy/argocd url=https://argocd.example.com

echo "${passed} passed, ${failed} failed"
[[ -n "${FEDCRM_GITOPS_SUMMARY:-}" ]] && echo "${passed} passed, ${failed} failed" \
  >"${FEDCRM_GITOPS_SUMMARY}"
[[ ${failed} -eq 0 ]]
