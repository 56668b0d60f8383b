#!/usr/bin/env bash
# fedcrm-job-runner (tests/kube/job_runner/) against real kube-apiservers: a
# Job whose nodeSelector matches a Node runs as a local process with its args,
# env and Secret files, and ends Complete or Failed in a form the API server
# accepts; a Job that fits no Node stays pending; a missing volume mapping
# fails the Job; a deleted Job's process group is killed; SIGTERM stops the
# runner and its workers. The worker is a small shell script.
# Usage: job-runner-test.sh RUNNER_BINARY. Prints "N passed, N failed".
# Runs under tests/kube/run-with-clusters.sh (fresh clusters, FEDCRM_KUBE_*
# exported); started without those variables it re-runs itself under it.
set -uo pipefail
if [[ -z "${FEDCRM_KUBE_REGION_A_KUBECONFIG:-}" || -z "${FEDCRM_KUBECTL:-}" ]]; then
  exec "$(dirname "$0")/run-with-clusters.sh" "$0" "$@"
fi
runner_bin="$(realpath "${1:?usage: $0 RUNNER_BINARY}")"
dir="$(mktemp -d /tmp/fedcrm-job-runner-XXXXXX)"
runner_pid=""
cleanup() {
  [[ -n "${runner_pid}" ]] && kill "${runner_pid}" 2>/dev/null && wait "${runner_pid}"
  rm -rf "${dir}"
}
trap cleanup EXIT
ka=("${FEDCRM_KUBECTL}" --kubeconfig "${FEDCRM_KUBE_REGION_A_KUBECONFIG}")
kb=("${FEDCRM_KUBECTL}" --kubeconfig "${FEDCRM_KUBE_REGION_B_KUBECONFIG}")

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  if [[ -n "${2:-}" ]]; then head -n 20 <<<"$2" | while IFS= read -r line; do echo "     ${line}"; done; fi
}
# check NAME COMMAND...: the command must succeed.
check() { local name="$1"; shift; local out; if out="$("$@" 2>&1)"; then pass "${name}"; else fail "${name}" "${out}"; fi; }
# eventually SECONDS COMMAND...: the command succeeds within SECONDS.
eventually() {
  local limit=$(($1 * 5)); shift
  for ((i = 0; i < limit; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  "$@"
}
# field KUBECTL_ARRAY_NAME JOB NAMESPACE JSONPATH
field() { local -n k="$1"; "${k[@]}" -n "$3" get job "$2" -o "jsonpath=$4"; }
field_is() { [[ "$(field "$1" "$2" "$3" "$4")" == "$5" ]]; }
# contains TEXT PATTERN: grep -E on a value (no quoting through bash -c).
contains() { grep -qE -- "$2" <<<"$1"; }
failed_message() { field ka "$1" silo-eu '{.status.conditions[?(@.type=="Failed")].message}'; }
condition() { field_is "$1" "$2" "$3" "{.status.conditions[?(@.type==\"$4\")].status}" True; }

work="${dir}/work"
data="${dir}/data/eu"
mkdir -p "${work}" "${data}"
# The record the fake worker leaves in its Job's directory: record JOB [SUFFIX].
rec() { echo "${work}/region-a/silo-eu/$1/record$2"; }
echo "customer,churn" >"${data}/customers.csv"

worker="${dir}/fake-worker.sh"
cat >"${worker}" <<'SH'
#!/bin/sh
# A stand-in for fedcrm-worker: records what it was given in its working
# directory (the Job's directory), then behaves as FAKE_* says.
# FEDCRM_FAIL_AT makes it exit 3, as the real worker does.
o=record
{ echo "args: $*"; env | grep -E '^(FEDCRM_|PATH=|HOME=)' | sort; } >"${o}.env"
cat "${FEDCRM_TLS_CERT}" >"${o}.cert" 2>/dev/null
cat "${FEDCRM_DATA}" >"${o}.data" 2>/dev/null
echo "worker ${FAKE_NAME} started"
if [ -n "${FAKE_BARRIER:-}" ]; then
  touch "../${FAKE_NAME}.barrier"  # the namespace's directory, shared
  n=0
  while [ "$(ls .. | grep -c '\.barrier$')" -lt "${FAKE_BARRIER}" ]; do
    n=$((n + 1)); [ "${n}" -gt 150 ] && { echo "barrier timed out"; exit 7; }
    sleep 0.2
  done
fi
[ -n "${FAKE_IGNORE_TERM:-}" ] && trap '' TERM
if [ -n "${FAKE_SLEEP:-}" ]; then
  echo $$ >"${o}.pid"
  sleep "${FAKE_SLEEP}" &
  echo $! >"${o}.child"
  wait
fi
[ -n "${FEDCRM_FAIL_AT:-}" ] && { echo "dropping out at ${FEDCRM_FAIL_AT}"; exit 3; }
echo "exiting with ${FAKE_EXIT:-0}"
exit "${FAKE_EXIT:-0}"
SH
chmod +x "${worker}"

# job NAME NAMESPACE SILO REGION CLAIM [ENV_NAME ENV_VALUE]...: a Job shaped
# like operator/worker_job.cc's BuildWorkerJob.
job() {
  local name="$1" ns="$2" silo="$3" region="$4" claim="$5"
  shift 5
  local extra=""
  while [[ $# -ge 2 ]]; do
    extra+="            - {name: $1, value: \"$2\"}"$'\n'
    shift 2
  done
  cat <<YAML
---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: ${ns}
  labels: &labels
    fedcrm.io/round: r1
    fedcrm.io/silo: ${silo}
    app.kubernetes.io/managed-by: fedcrm-operator
spec:
  backoffLimit: 0
  completions: 1
  parallelism: 1
  activeDeadlineSeconds: 600
  template:
    metadata: {labels: *labels}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      nodeSelector: {topology.kubernetes.io/region: ${region}}
      containers:
        - name: worker
          image: registry.invalid/fedcrm-worker:test
          args: ["--data", "/var/run/fedcrm/data/customers.csv", "--log-level", "debug"]
          env:
            - {name: FEDCRM_SILO, value: "${silo}"}
            - {name: FEDCRM_DATA, value: /var/run/fedcrm/data/customers.csv}
            - {name: FEDCRM_TLS_CERT, value: /var/run/fedcrm/tls/tls.crt}
            - {name: FEDCRM_TLS_KEY, value: /var/run/fedcrm/tls/tls.key}
            - {name: FAKE_NAME, value: "${name}"}
${extra}          volumeMounts:
            - {name: data, mountPath: /var/run/fedcrm/data, readOnly: true}
            - {name: tls, mountPath: /var/run/fedcrm/tls, readOnly: true}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - {name: data, persistentVolumeClaim: {claimName: ${claim}, readOnly: true}}
        - {name: tls, secret: {secretName: ${silo}-tls, defaultMode: 0400}}
        - {name: tmp, emptyDir: {sizeLimit: 1Gi}}
YAML
}

# Nodes: region-a has one in eu-west; region-b's only node is in the wrong
# region for its "us" Job.
node() { printf 'apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n  labels: {topology.kubernetes.io/region: %s}\n' "$1" "$2"; }
node a-node-1 eu-west | "${ka[@]}" apply -f - >/dev/null
node b-node-1 eu-central | "${kb[@]}" apply -f - >/dev/null
"${ka[@]}" create namespace silo-eu >/dev/null
"${kb[@]}" create namespace silo-b >/dev/null
for silo in eu eu-drop eu-pair1 eu-pair2 eu-sleep eu-stubborn eu-stop eu-nopvc; do
  "${ka[@]}" -n silo-eu create secret generic "${silo}-tls" --from-literal=tls.crt="cert of ${silo}" \
    --from-literal=tls.key="key of ${silo}" >/dev/null
done
for silo in us de; do
  "${kb[@]}" -n silo-b create secret generic "${silo}-tls" --from-literal=tls.crt="cert of ${silo}" \
    --from-literal=tls.key="key of ${silo}" >/dev/null
done

"${runner_bin}" --cluster region-a="${FEDCRM_KUBE_REGION_A_KUBECONFIG}" \
  --cluster region-b="${FEDCRM_KUBE_REGION_B_KUBECONFIG}" --worker "${worker}" \
  --volume eu-data="${data}" --work-dir "${work}" --fail eu-drop=training/masked \
  --poll-ms 100 2>"${dir}/runner.log" &
runner_pid=$!

{
  job ok silo-eu eu eu-west eu-data
  job fails silo-eu eu eu-west eu-data FAKE_EXIT 5
  job drop silo-eu eu-drop eu-west eu-data
  job nopvc silo-eu eu-nopvc eu-west no-such-claim
  job pair1 silo-eu eu-pair1 eu-west eu-data FAKE_BARRIER 2
  job pair2 silo-eu eu-pair2 eu-west eu-data FAKE_BARRIER 2
} | "${ka[@]}" apply -f - >/dev/null
{
  job wrong-region silo-b us us-east eu-data
  job de silo-b de eu-central eu-data
} | "${kb[@]}" apply -f - >/dev/null
# Not the operator's: never touched.
job unmanaged silo-eu eu eu-west eu-data | sed '/managed-by/d' | "${ka[@]}" apply -f - >/dev/null

# --- a Job that exits 0
if eventually 30 condition ka ok silo-eu Complete; then pass "exit 0 makes the Job Complete"; else
  fail "exit 0 makes the Job Complete" "$(field ka ok silo-eu '{.status}'; tail -n 20 "${dir}/runner.log")"; fi
# active 0 is omitted from the stored status, as the Job controller's is.
check "succeeded=1, no active, completionTime set" \
  bash -c "[[ '$(field ka ok silo-eu '{.status.succeeded}/{.status.active}')' =~ ^1/0?$ && -n '$(field ka ok silo-eu '{.status.completionTime}')' ]]"
check "SuccessCriteriaMet is set" condition ka ok silo-eu SuccessCriteriaMet
check "args under a mountPath are rewritten to the --volume directory" \
  grep -qx -- "args: --data ${data}/customers.csv --log-level debug" "$(rec ok .env)"
check "env under a Secret mountPath points at the materialized volume" \
  grep -qx "FEDCRM_TLS_CERT=${work}/region-a/silo-eu/ok/tls/tls.crt" "$(rec ok .env)"
check "PATH and HOME are passed" grep -q '^HOME=' "$(rec ok .env)"
check "the worker reads the claim's data" grep -qx "customer,churn" "$(rec ok .data)"
check "the worker reads the Secret's content" grep -qx "cert of eu" "$(rec ok .cert)"
check "Secret files are mode 0400" \
  bash -c "[[ \$(stat -c %a '${work}/region-a/silo-eu/ok/tls/tls.key') == 400 ]]"
check "the worker's output is in the Job's log" grep -q "worker ok started" "${work}/region-a/silo-eu/ok/log"
check "FEDCRM_FAIL_AT only for --fail silos" bash -c "! grep -q FEDCRM_FAIL_AT '$(rec ok .env)'"

# --- failures
eventually 30 condition ka fails silo-eu Failed
check "a non-zero exit makes the Job Failed" condition ka fails silo-eu Failed
check "failed=1 with FailureTarget" \
  bash -c "[[ '$(field ka fails silo-eu '{.status.failed}/{.status.conditions[?(@.type=="FailureTarget")].status}')' == 1/True ]]"
check "reason BackoffLimitExceeded" field_is ka fails silo-eu \
  '{.status.conditions[?(@.type=="Failed")].reason}' BackoffLimitExceeded
check "message has the exit code and last log line" \
  contains "$(failed_message fails)" "exit code 5.*exiting with 5"
eventually 30 condition ka drop silo-eu Failed
check "--fail sets FEDCRM_FAIL_AT for its silo" grep -qx "FEDCRM_FAIL_AT=training/masked" "$(rec drop .env)"
check "a worker that drops out fails its Job with exit code 3" \
  contains "$(failed_message drop)" "exit code 3"
eventually 30 condition ka nopvc silo-eu Failed
check "a claim without --volume fails the Job with a clear message" \
  contains "$(failed_message nopvc)" "persistentVolumeClaim 'no-such-claim' has no host directory"

# --- concurrency and the second cluster
eventually 40 condition ka pair2 silo-eu Complete
if condition ka pair1 silo-eu Complete && condition ka pair2 silo-eu Complete; then
  pass "two Jobs run at once (each waits for the other)"
else fail "two Jobs run at once (each waits for the other)"; fi
eventually 30 condition kb de silo-b Complete
check "a Job in the second cluster runs on its matching node" condition kb de silo-b Complete

# --- scheduling: wrong region, and not the operator's
sleep 2
check "a Job whose nodeSelector fits no Node gets no startTime" field_is kb wrong-region silo-b '{.status.startTime}' ""
check "... and never runs" test ! -e "${work}/region-b/silo-b/wrong-region"
check "... and is logged as pending once" \
  bash -c "[[ \$(grep -c 'silo-b/wrong-region: pending' '${dir}/runner.log') == 1 ]]"
check "a Job without the managed-by label is ignored" field_is ka unmanaged silo-eu '{.status.startTime}' ""

# --- deletion of a running Job kills its process group
job sleeper silo-eu eu-sleep eu-west eu-data FAKE_SLEEP 300 | "${ka[@]}" apply -f - >/dev/null
eventually 30 test -s "$(rec sleeper .child)"
check "a running Job has startTime and active=1" bash -c \
  "[[ -n '$(field ka sleeper silo-eu '{.status.startTime}')' && '$(field ka sleeper silo-eu '{.status.active}')' == 1 ]]"
sleeper_pids="$(cat "$(rec sleeper .pid)" "$(rec sleeper .child)" 2>/dev/null | tr '\n' ' ')"
"${ka[@]}" -n silo-eu delete job sleeper --wait=false >/dev/null
gone() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
# shellcheck disable=SC2086
if [[ -n "${sleeper_pids// /}" ]] && eventually 15 gone ${sleeper_pids}; then
  pass "deleting a running Job kills its worker and the worker's children"
else fail "deleting a running Job kills its worker and the worker's children" "pids ${sleeper_pids}"; fi

# --- a worker that ignores SIGTERM gets SIGKILL after the grace period
job stubborn silo-eu eu-stubborn eu-west eu-data FAKE_SLEEP 300 FAKE_IGNORE_TERM 1 |
  "${ka[@]}" apply -f - >/dev/null
eventually 30 test -s "$(rec stubborn .child)"
stubborn_pids="$(cat "$(rec stubborn .pid)" "$(rec stubborn .child)" 2>/dev/null | tr '\n' ' ')"
"${ka[@]}" -n silo-eu delete job stubborn --wait=false >/dev/null
sleep 2
# shellcheck disable=SC2086
if [[ -n "${stubborn_pids// /}" ]] && ! gone ${stubborn_pids}; then
  pass "a worker that ignores SIGTERM survives the first seconds"
else fail "a worker that ignores SIGTERM survives the first seconds" "pids ${stubborn_pids}"; fi
# shellcheck disable=SC2086
if eventually 15 gone ${stubborn_pids}; then pass "... and is SIGKILLed after the grace period"
else fail "... and is SIGKILLed after the grace period" "pids ${stubborn_pids}"; fi
check "... and the kill is logged" grep -q "silo-eu/stubborn: SIGKILL" "${dir}/runner.log"

# --- SIGTERM stops the runner and its workers
job stopper silo-eu eu-stop eu-west eu-data FAKE_SLEEP 300 | "${ka[@]}" apply -f - >/dev/null
eventually 30 test -s "$(rec stopper .child)"
stopper_pids="$(cat "$(rec stopper .pid)" "$(rec stopper .child)" 2>/dev/null | tr '\n' ' ')"
kill -TERM "${runner_pid}"
for ((i = 0; i < 75; i++)); do kill -0 "${runner_pid}" 2>/dev/null || break; sleep 0.2; done
wait "${runner_pid}"
rc=$?
runner_pid=""
check "SIGTERM: the runner exits 0" test "${rc}" -eq 0
# shellcheck disable=SC2086
if [[ -n "${stopper_pids// /}" ]] && eventually 2 gone ${stopper_pids}; then
  pass "SIGTERM: the runner's workers are gone"
else fail "SIGTERM: the runner's workers are gone" "pids ${stopper_pids}"; fi
check "one log line per transition" grep -q "silo-eu/ok: Complete" "${dir}/runner.log"

if [[ ${failed} -gt 0 ]]; then
  echo "--- runner log"
  tail -n 40 "${dir}/runner.log"
fi
echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
