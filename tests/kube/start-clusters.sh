#!/usr/bin/env bash
# Starts one etcd and three kube-apiservers (hub, region-a, region-b) on
# loopback for the integration tests, and writes into DIR:
#   {hub,region-a,region-b}.kubeconfig  admin kubeconfigs (embedded certs)
#   clusters.env   shell variables: URLs, kubeconfig and certificate paths
#   pids           "<name> <pid>" per process, read by stop-clusters.sh
#   pki/           CA, serving, admin client and service-account keys
#   logs/          one log per process
# Each API server keeps its objects under its own etcd prefix, so the three
# clusters are independent. There is no kubelet, scheduler or
# controller-manager: see tests/kube/README.md for what that means.
#
# Usage: start-clusters.sh DIR      (stop with: stop-clusters.sh DIR)
# Env:   FEDCRM_KUBE_READY_TIMEOUT  seconds to wait for /readyz (default 90)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${script_dir}/versions.sh"

readonly kClusters=(hub region-a region-b)
ready_timeout="${FEDCRM_KUBE_READY_TIMEOUT:-90}"

log() { printf '[start-clusters %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 DIR"
command -v openssl >/dev/null || die "openssl is not installed"
command -v curl >/dev/null || die "curl is not installed"
command -v python3 >/dev/null || die "python3 is not installed (used to pick free ports)"

mkdir -p "$1"
dir="$(cd "$1" && pwd)"
if [[ -s "${dir}/pids" ]]; then
  while read -r name pid; do
    if kill -0 "${pid}" 2>/dev/null; then
      die "${name} (pid ${pid}) from ${dir}/pids is still running; run stop-clusters.sh ${dir} first"
    fi
  done <"${dir}/pids"
fi

# Cached binaries answer in well under a second; a new machine builds here.
"${script_dir}/build-apiserver.sh" etcd kube-apiserver

pki="${dir}/pki"
logs="${dir}/logs"
rm -rf "${pki}" "${logs}" "${dir}/etcd-data" "${dir}/pids"
mkdir -p "${pki}" "${logs}"
: >"${dir}/pids"

# On any failure, stop whatever this run has started already.
started_ok=0
cleanup_on_failure() {
  if [[ ${started_ok} -eq 0 ]]; then
    log "start failed; stopping what was started (logs in ${logs})"
    "${script_dir}/stop-clusters.sh" "${dir}" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

# ---------------------------------------------------------------- certificates
openssl_quiet() { openssl "$@" 2>>"${logs}/openssl.log"; }

new_ec_key() { openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# issue_cert NAME SUBJECT EXTENSIONS: signs pki/NAME.crt with the CA.
issue_cert() {
  local name="$1" subject="$2" ext="$3"
  new_ec_key "${pki}/${name}.key"
  openssl_quiet req -new -key "${pki}/${name}.key" -subj "${subject}" -out "${pki}/${name}.csr"
  printf '%s\n' "${ext}" >"${pki}/${name}.ext"
  openssl_quiet x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "${pki}/${name}.ext" -out "${pki}/${name}.crt"
  rm -f "${pki}/${name}.csr" "${pki}/${name}.ext"
}

log "generating certificates in ${pki}"
new_ec_key "${pki}/ca.key"
openssl_quiet req -x509 -new -key "${pki}/ca.key" -subj "/CN=fedcrm-test-ca" -days 30 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "${pki}/ca.crt"
issue_cert apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
  "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc")"
# system:masters is bound to cluster-admin by the API server's bootstrap RBAC.
issue_cert admin "/O=system:masters/CN=fedcrm-admin" "$(printf '%s\n' \
  "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=clientAuth")"
for c in "${kClusters[@]}"; do
  # One signing key per cluster: a token minted by one cluster must not
  # authenticate at another.
  openssl_quiet genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${pki}/sa-${c}.key"
  openssl_quiet pkey -in "${pki}/sa-${c}.key" -pubout -out "${pki}/sa-${c}.pub"
done
chmod 600 "${pki}"/*.key

# ---------------------------------------------------------------------- ports
# Bind all at once so the kernel hands out distinct free ports; a small race
# with other programs remains until the servers bind them again.
read -r etcd_port etcd_peer_port hub_port region_a_port region_b_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
')
declare -A port=([hub]=${hub_port} [region-a]=${region_a_port} [region-b]=${region_b_port})

# ------------------------------------------------------------------- processes
start_process() {
  local name="$1"
  shift
  # setsid: the servers outlive this script and ignore the terminal's Ctrl-C.
  setsid "$@" >"${logs}/${name}.log" 2>&1 </dev/null &
  echo "${name} $!" >>"${dir}/pids"
}

etcd_url="http://127.0.0.1:${etcd_port}"
log "starting etcd ${ETCD_VERSION} on ${etcd_url}"
# Plain HTTP on loopback and no fsync: this etcd holds throwaway test state.
start_process etcd "${ETCD_BIN}" \
  --name fedcrm-test \
  --data-dir "${dir}/etcd-data" \
  --listen-client-urls "${etcd_url}" \
  --advertise-client-urls "${etcd_url}" \
  --listen-peer-urls "http://127.0.0.1:${etcd_peer_port}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer_port}" \
  --initial-cluster "fedcrm-test=http://127.0.0.1:${etcd_peer_port}" \
  --unsafe-no-fsync \
  --log-level warn

curl_admin() {
  curl --silent --show-error --max-time 5 --cacert "${pki}/ca.crt" \
    --cert "${pki}/admin.crt" --key "${pki}/admin.key" "$@"
}

wait_until() {
  local what="$1" pid="$2"
  shift 2
  local deadline=$((SECONDS + ready_timeout))
  until "$@" >/dev/null 2>&1; do
    kill -0 "${pid}" 2>/dev/null || die "${what} exited; see ${logs}/${what}.log:
$(tail -n 20 "${logs}/${what}.log")"
    ((SECONDS < deadline)) || die "${what} not ready after ${ready_timeout}s; see ${logs}/${what}.log"
    sleep 0.2
  done
}

etcd_pid="$(awk '$1 == "etcd" {print $2}' "${dir}/pids")"
wait_until etcd "${etcd_pid}" curl --silent --fail --max-time 2 "${etcd_url}/health"

for c in "${kClusters[@]}"; do
  log "starting kube-apiserver ${KUBE_VERSION} '${c}' on https://127.0.0.1:${port[${c}]}"
  # The service CIDR is bookkeeping only: no proxy or kubelet routes to it.
  start_process "${c}" "${KUBE_APISERVER_BIN}" \
    --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 \
    --secure-port "${port[${c}]}" \
    --etcd-servers "${etcd_url}" \
    --etcd-prefix "/fedcrm/${c}" \
    --tls-cert-file "${pki}/apiserver.crt" \
    --tls-private-key-file "${pki}/apiserver.key" \
    --client-ca-file "${pki}/ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer "https://${c}.fedcrm.test" \
    --service-account-key-file "${pki}/sa-${c}.pub" \
    --service-account-signing-key-file "${pki}/sa-${c}.key" \
    --service-cluster-ip-range 10.96.0.0/24 \
    --endpoint-reconciler-type none \
    --cert-dir "${dir}/certs-${c}" \
    --profiling=false \
    --v 1
done

# ---------------------------------------------------------------- kubeconfigs
b64() { base64 -w0 <"$1"; }
env_file="${dir}/clusters.env"
{
  echo "# Written by tests/kube/start-clusters.sh; source it from a shell."
  echo "FEDCRM_KUBE_DIR='${dir}'"
  echo "FEDCRM_KUBE_CA='${pki}/ca.crt'"
  echo "FEDCRM_KUBE_ADMIN_CERT='${pki}/admin.crt'"
  echo "FEDCRM_KUBE_ADMIN_KEY='${pki}/admin.key'"
  echo "FEDCRM_KUBE_ETCD_URL='${etcd_url}'"
  [[ ! -x "${KUBECTL_BIN}" ]] || echo "FEDCRM_KUBECTL='${KUBECTL_BIN}'"
} >"${env_file}"
for c in "${kClusters[@]}"; do
  cat >"${dir}/${c}.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: ${c}
  cluster:
    server: https://127.0.0.1:${port[${c}]}
    certificate-authority-data: $(b64 "${pki}/ca.crt")
users:
- name: ${c}-admin
  user:
    client-certificate-data: $(b64 "${pki}/admin.crt")
    client-key-data: $(b64 "${pki}/admin.key")
contexts:
- name: ${c}
  context:
    cluster: ${c}
    user: ${c}-admin
current-context: ${c}
KUBECONFIG
  chmod 600 "${dir}/${c}.kubeconfig"
  var="$(tr 'a-z-' 'A-Z_' <<<"${c}")"
  echo "FEDCRM_KUBE_${var}_URL='https://127.0.0.1:${port[${c}]}'" >>"${env_file}"
  echo "FEDCRM_KUBE_${var}_KUBECONFIG='${dir}/${c}.kubeconfig'" >>"${env_file}"
done

for c in "${kClusters[@]}"; do
  pid="$(awk -v n="${c}" '$1 == n {print $2}' "${dir}/pids")"
  wait_until "${c}" "${pid}" curl_admin --fail "https://127.0.0.1:${port[${c}]}/readyz"
  log "${c} ready (pid ${pid})"
done

started_ok=1
log "all clusters ready in ${SECONDS}s; kubeconfigs in ${dir}, stop with: $(dirname "$0")/stop-clusters.sh ${dir}"
