#!/usr/bin/env bash
# Checks, with curl only, that clusters started by start-clusters.sh DIR work:
# a namespace and a CRD can be created on the hub, a custom resource can be
# created and listed, the schema rejects an invalid object, region-a sees none
# of the hub's objects, and RBAC refuses a service account without a role.
# Leaves the hub's objects in place (the clusters are throwaway).
#
# Usage: smoke-test.sh DIR      (prints "N passed, N failed"; exit 1 on failure)
set -uo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir="$(cd "$1" && pwd)" || exit 2
# shellcheck disable=SC1091
source "${dir}/clusters.env" || { echo "no ${dir}/clusters.env; start the clusters first" >&2; exit 2; }

hub="${FEDCRM_KUBE_HUB_URL}"
region_a="${FEDCRM_KUBE_REGION_A_URL}"
ns="smoke-$$"
passed=0
failed=0
body="$(mktemp)"
trap 'rm -f "${body}"' EXIT

# api METHOD URL [JSON]: prints the HTTP status; the response body goes to $body.
api() {
  local method="$1" url="$2" data="${3:-}"
  local -a args=(--silent --max-time 10 --cacert "${FEDCRM_KUBE_CA}" -o "${body}" -w '%{http_code}'
    -X "${method}" -H 'Content-Type: application/json')
  if [[ -n "${TOKEN:-}" ]]; then
    args+=(-H "Authorization: Bearer ${TOKEN}")
  else
    args+=(--cert "${FEDCRM_KUBE_ADMIN_CERT}" --key "${FEDCRM_KUBE_ADMIN_KEY}")
  fi
  [[ -z "${data}" ]] || args+=(--data "${data}")
  curl "${args[@]}" "${url}"
}

# check NAME EXPECTED_STATUS ACTUAL_STATUS [GREP_PATTERN_IN_BODY]
check() {
  local name="$1" want="$2" got="$3" pattern="${4:-}"
  # The pattern is matched against the body on one line: JSON may be indented.
  if [[ "${got}" == "${want}" ]] &&
    { [[ -z "${pattern}" ]] || tr -s '\n ' ' ' <"${body}" | grep -qE -- "${pattern}"; }; then
    echo "ok   ${name}"
    passed=$((passed + 1))
  else
    echo "FAIL ${name}: HTTP ${got} (want ${want}${pattern:+, body matching /${pattern}/})"
    head -c 600 "${body}"
    echo
    failed=$((failed + 1))
  fi
}

crd='{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.smoke.fedcrm.io"},
  "spec": {
    "group": "smoke.fedcrm.io", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
    "versions": [{
      "name": "v1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "required": ["size"], "properties": {
          "size": {"type": "integer", "minimum": 1, "maximum": 10},
          "epsilon": {"type": "number"}},
          "x-kubernetes-validations": [{"rule": "!has(self.epsilon) || self.epsilon > 0.0",
                                        "message": "epsilon must be positive"}]}}}}
    }]
  }
}'

check "hub: readyz" 200 "$(api GET "${hub}/readyz")" '^ok$'
check "hub: create namespace" 201 \
  "$(api POST "${hub}/api/v1/namespaces" "{\"metadata\":{\"name\":\"${ns}\"}}")"
status="$(api POST "${hub}/apis/apiextensions.k8s.io/v1/customresourcedefinitions" "${crd}")"
[[ "${status}" == 409 ]] && status=201 # left over from an earlier run on these clusters
check "hub: create CRD" 201 "${status}"

# The CRD serves only once it is Established (milliseconds, asynchronously).
established='"type": "Established", "status": "True"'
for _ in $(seq 50); do
  api GET "${hub}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.smoke.fedcrm.io" >/dev/null
  tr -s '\n ' ' ' <"${body}" | grep -qF -- "${established}" && break
  sleep 0.1
done
check "hub: CRD established" 200 \
  "$(api GET "${hub}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.smoke.fedcrm.io")" \
  "${established}"

widgets="${hub}/apis/smoke.fedcrm.io/v1/namespaces/${ns}/widgets"
check "hub: create custom resource" 201 \
  "$(api POST "${widgets}" '{"apiVersion":"smoke.fedcrm.io/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}')"
check "hub: list custom resources" 200 "$(api GET "${widgets}")" '"name": *"w1"'
check "hub: schema bound refused" 422 \
  "$(api POST "${widgets}" '{"apiVersion":"smoke.fedcrm.io/v1","kind":"Widget","metadata":{"name":"w2"},"spec":{"size":11}}')" \
  'spec.size'
check "hub: CEL rule refused" 422 \
  "$(api POST "${widgets}" '{"apiVersion":"smoke.fedcrm.io/v1","kind":"Widget","metadata":{"name":"w3"},"spec":{"size":1,"epsilon":-1}}')" \
  'epsilon must be positive'

check "region-a: readyz" 200 "$(api GET "${region_a}/readyz")" '^ok$'
check "region-a: hub namespace absent" 404 "$(api GET "${region_a}/api/v1/namespaces/${ns}")"
check "region-a: hub CRD absent" 404 \
  "$(api GET "${region_a}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.smoke.fedcrm.io")"

# RBAC: a fresh service account has no role; its token authenticates (the
# issuer and signing key work) but may not list namespaces.
check "hub: create service account" 201 \
  "$(api POST "${hub}/api/v1/namespaces/${ns}/serviceaccounts" '{"metadata":{"name":"nobody"}}')"
check "hub: request token" 201 \
  "$(api POST "${hub}/api/v1/namespaces/${ns}/serviceaccounts/nobody/token" '{"spec":{"expirationSeconds":600}}')" \
  '"token"'
token="$(tr -d '\n' <"${body}" | sed -E 's/.*"token": *"([^"]+)".*/\1/')"
check "hub: RBAC forbids the service account" 403 \
  "$(TOKEN="${token}" api GET "${hub}/api/v1/namespaces")" 'forbidden'
check "region-a: hub token not accepted" 401 \
  "$(TOKEN="${token}" api GET "${region_a}/api/v1/namespaces")"

echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
