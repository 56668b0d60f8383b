#!/usr/bin/env bash
# The container images (docker/Dockerfile), proven rather than only written:
#   1. the base images debian:bookworm and debian:bookworm-slim are seeded
#      locally where no registry answers (seed-base-images.sh);
#   2. scripts/images.sh builds the four images from the host build tree's
#      configuration, reusing the host's ccache;
#   3. in each image: the binary answers --version, it runs as 65532:65532,
#      every shared library resolves, there is no compiler, the OCI labels are
#      set;
#   4. a two-silo secure-aggregation round, everything in containers on the
#      host network: fedcrm datagen (the cli image) writes each silo's data,
#      a fedcrm-aggregator container serves the round, this script configures
#      it by PUT as the coordinator (python3, mutual TLS), and one
#      fedcrm-worker container per silo takes part; the round must succeed
#      with both silos as contributors and its release must be logged.
#      The federation's certificates come from openssl, mounted read-only.
# Prints "N passed, N failed". Run by CTest (images.build_and_round).
#
# Usage: images-test.sh [BUILD_DIR]     (default: build; the host build tree
#                                        whose configuration the images reuse)
# Env:   FEDCRM_CONTAINER_ENGINE  podman|docker (default: whichever is present)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
build_dir="${1:-build}"

engine="${FEDCRM_CONTAINER_ENGINE:-}"
if [[ -z "${engine}" ]]; then
  if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null; then engine=docker; fi
fi
if [[ -z "${engine}" ]]; then
  echo "FAIL neither podman nor docker is installed (scripts/deps.sh installs podman)"
  echo "0 passed, 1 failed"
  exit 1
fi
export FEDCRM_CONTAINER_ENGINE="${engine}"
registry="${FEDCRM_IMAGE_REGISTRY:-ghcr.io/fedcrm}"
tag="${FEDCRM_IMAGE_TAG:-$(sed -n 's/^project(fedcrm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)}"
export FEDCRM_IMAGE_REGISTRY="${registry}" FEDCRM_IMAGE_TAG="${tag}"

# The flags seen working on these machines (nested, cgroup v1, low limits).
engine_flags=()
run_flags=(--rm)
if [[ "${engine}" == podman ]]; then
  engine_flags=(--runtime runc --cgroup-manager=cgroupfs)
  run_flags+=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
fi
ctr() { "${engine}" "${engine_flags[@]}" "$@"; }

work="$(mktemp -d /tmp/fedcrm-images-XXXXXX)"
name_prefix="fedcrm-images-test-$$"
cleanup() {
  ctr rm -f "${name_prefix}-aggregator" >/dev/null 2>&1
  # Files the containers wrote belong to uid 65532 (a subordinate uid when
  # podman runs rootless, which only `podman unshare` may remove).
  if [[ "${engine}" == podman && $(id -u) -ne 0 ]]; then
    podman unshare rm -rf "${work}"
  else
    rm -rf "${work}"
  fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  [[ -z "${2:-}" ]] || tail -n 30 <<<"$2" | while IFS= read -r line; do echo "     ${line}"; done
}
finish() {
  echo "${passed} passed, ${failed} failed"
  [[ ${failed} -eq 0 ]]
  exit
}
# expect NAME PATTERN COMMAND...: the command succeeds and its output matches PATTERN.
expect() {
  local name="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)" && grep -Eq -- "${pattern}" <<<"${out}"; then
    ok "${name}"
  else
    fail "${name}" "${out}"
  fi
}

# --- 1, 2: base images and the build -----------------------------------------
start=${SECONDS}
if out="$(tests/images/seed-base-images.sh 2>&1)"; then
  ok "base images seeded ($((SECONDS - start)) s)"
else
  fail "seeding debian:bookworm and debian:bookworm-slim" "${out}"
  finish
fi
start=${SECONDS}
if out="$(scripts/images.sh "${build_dir}" 2>&1)"; then
  ok "images built ($((SECONDS - start)) s)"
  # The build stage's ccache hits, when it ran (not when podman reused its layer).
  grep -E '^\[images|^ccache, this build|^  (Hits|Misses):' <<<"${out}" | sed 's/^/     /'
else
  fail "scripts/images.sh" "${out}"
  finish
fi

# --- 3: each image on its own ------------------------------------------------
declare -A binary=([operator]=fedcrm-operator [aggregator]=fedcrm-aggregator
                   [worker]=fedcrm-worker [cli]=fedcrm)
for target in operator aggregator worker cli; do
  image="${registry}/${target}:${tag}"
  bin="${binary[${target}]}"
  expect "${target}: ${bin} --version" "^${bin} ${tag}\$" ctr run "${run_flags[@]}" "${image}" --version
  expect "${target}: runs as 65532:65532" '^65532:65532$' \
    ctr run "${run_flags[@]}" --entrypoint sh "${image}" -c 'echo "$(id -u):$(id -g)"'
  expect "${target}: every shared library resolves" '^resolved$' \
    ctr run "${run_flags[@]}" --entrypoint sh "${image}" \
    -c 'ldd /usr/local/bin/* | grep "not found" || echo resolved'
  expect "${target}: no compiler" '^none$' \
    ctr run "${run_flags[@]}" --entrypoint sh "${image}" \
    -c 'found=""; for c in cc c++ gcc g++ cpp clang as ld make cmake; do
          command -v "$c" >/dev/null && found="$found $c"; done; echo "${found:-none}"'
  expect "${target}: OCI labels" "^${bin} ${tag} [0-9a-f]{40}\$" ctr image inspect --format \
    '{{index .Config.Labels "org.opencontainers.image.title"}} {{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}}' \
    "${image}"
done

# --- 4: a two-silo round in containers ---------------------------------------
coordinator=fedcrm-images-coordinator
silos=(eu-west us-east)
regions=(eu us)
tls="${work}/tls"
data="${work}/data"
store="${work}/store"
mkdir -p "${tls}" "${data}" "${store}"
# The containers' user writes the data and the store.
chmod 0777 "${data}" "${store}"

# issue ID EXTENDED_KEY_USAGE SUBJECT_ALT_NAMES: an ECDSA P-256 leaf of the
# test CA whose fedcrm identity is its URI SAN (docs/protocol.md, Identity).
issue() {
  local id=$1 eku=$2 san=$3
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=${id}" \
    -keyout "${tls}/${id}.key" -out "${work}/${id}.csr" &&
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
      "${eku}" "${san}" >"${work}/${id}.ext" &&
    openssl x509 -req -in "${work}/${id}.csr" -CA "${tls}/ca.crt" -CAkey "${work}/ca.key" \
      -CAcreateserial -CAserial "${work}/ca.srl" -days 1 -extfile "${work}/${id}.ext" \
      -out "${tls}/${id}.crt"
}
make_pki() {
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 1 \
    -subj "/CN=fedcrm images test CA" -keyout "${work}/ca.key" -out "${tls}/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
  issue aggregator serverAuth "DNS:localhost,IP:127.0.0.1,URI:spiffe://fedcrm/id/fedcrm-aggregator" || return 1
  issue "${coordinator}" clientAuth "URI:spiffe://fedcrm/id/${coordinator}" || return 1
  for silo in "${silos[@]}"; do
    issue "${silo}" clientAuth "URI:spiffe://fedcrm/id/${silo}" || return 1
  done
  # Test keys only: readable by the containers' user through the read-only mount.
  chmod 0644 "${tls}"/*.key
}
if out="$(make_pki 2>&1)"; then ok "federation certificates (openssl)"; else fail "openssl certificates" "${out}"; finish; fi

for i in "${!silos[@]}"; do
  expect "cli: fedcrm datagen for ${silos[$i]}" "wrote 1500 churn rows" \
    ctr run "${run_flags[@]}" -v "${data}:/data" "${registry}/cli:${tag}" datagen --task churn \
    --region "${regions[$i]}" --rows 1500 --seed $((11 + i)) --out "/data/${silos[$i]}.csv"
done

# The aggregator's port is its own choice (port 0) on the host network.
if ! ctr run -d --name "${name_prefix}-aggregator" "${run_flags[@]:1}" --network host \
  -v "${tls}:/tls:ro" -v "${store}:/store" "${registry}/aggregator:${tag}" \
  --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --tls-cert /tls/aggregator.crt \
  --tls-key /tls/aggregator.key --ca /tls/ca.crt --data-dir /store \
  --coordinator-identity "${coordinator}" >"${work}/aggregator.id" 2>&1; then
  fail "aggregator container started" "$(cat "${work}/aggregator.id")"
  finish
fi
tls_port=""
for _ in $(seq 150); do
  tls_port="$(ctr logs "${name_prefix}-aggregator" 2>&1 | sed -n 's/.*"tls_port":\([0-9]*\).*/\1/p' | head -n 1)"
  [[ -n "${tls_port}" ]] && break
  sleep 0.2
done
if [[ -n "${tls_port}" ]]; then
  ok "aggregator container listening on 127.0.0.1:${tls_port}"
else
  fail "aggregator container listening" "$(ctr logs "${name_prefix}-aggregator" 2>&1)"
  finish
fi

# coordinator METHOD PATH [BODY_FILE]: a request over mutual TLS as the
# coordinator; prints the status, a newline and the body.
coordinator() {
  python3 - "${tls}" "${tls_port}" "${coordinator}" "$@" <<'PY'
import ssl, sys, urllib.error, urllib.request
tls, port, me, method, path = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=f"{tls}/ca.crt")
ctx.load_cert_chain(f"{tls}/{me}.crt", f"{tls}/{me}.key")
body = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else None
request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=body, method=method,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, context=ctx, timeout=10) as answer:
        print(answer.status); print(answer.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
PY
}

round=images-r1
cat >"${work}/round.json" <<'JSON'
{"modelLine": "images-test", "task": "churn",
 "schema": {"label": {"name": "churned", "type": "binary", "positive": "yes", "negative": "no"},
  "features": [
   {"name": "region", "type": "categorical", "vocabulary": ["eu", "us", "apac"], "unknown": "other"},
   {"name": "tenure_months", "type": "numeric", "missing": "error", "transform": "log1p"},
   {"name": "plan", "type": "categorical", "vocabulary": ["basic", "pro", "enterprise"], "unknown": "other"},
   {"name": "seats", "type": "numeric", "missing": "mean", "transform": "log1p"},
   {"name": "has_sso", "type": "boolean", "missing": "error"},
   {"name": "logins_per_week", "type": "numeric", "missing": "mean", "transform": "log1p"},
   {"name": "login_trend", "type": "numeric", "missing": "mean", "transform": "none"},
   {"name": "nps", "type": "numeric", "missing": "mean", "transform": "none"}]},
 "model": {"type": "logistic", "l2": 0.0001},
 "baseModel": null, "seed": 7,
 "training": {"localSteps": 10, "learningRate": 0.5, "batchSize": 128},
 "privacy": {"noiseMultiplier": 1.1, "clipNorm": 1.0, "samplingRate": 0.05, "delta": 1e-5},
 "aggregation": {"weighting": "records", "serverOptimizer": {"type": "fedavg", "learningRate": 1.0}},
 "silos": [{"name": "eu-west", "epsilonBudget": 3.0, "delta": 1e-5},
           {"name": "us-east", "epsilonBudget": 3.0, "delta": 1e-5}],
 "deadlines": {"phaseSeconds": 60, "maskedInputSeconds": 120}}
JSON
put="$(coordinator PUT "/v1/rounds/${round}" "${work}/round.json")"
if [[ "$(head -n 1 <<<"${put}")" == 201 ]]; then
  ok "round ${round} configured by PUT (201)"
else
  fail "round ${round} configured by PUT (201)" "${put}"
fi

pids=()
for silo in "${silos[@]}"; do
  ctr run "${run_flags[@]}" --network host -v "${tls}:/tls:ro" -v "${data}:/data:ro" \
    "${registry}/worker:${tag}" --aggregator-url "https://127.0.0.1:${tls_port}" --round "${round}" \
    --silo "${silo}" --data "/data/${silo}.csv" --tls-cert "/tls/${silo}.crt" \
    --tls-key "/tls/${silo}.key" --ca /tls/ca.crt --poll-interval-ms 200 --timeout-seconds 300 \
    >"${work}/worker-${silo}.log" 2>&1 &
  pids+=("$!")
done
for i in "${!silos[@]}"; do
  if wait "${pids[$i]}"; then
    ok "worker container ${silos[$i]} exited 0"
  else
    fail "worker container ${silos[$i]} exited 0" "$(cat "${work}/worker-${silos[$i]}.log")"
  fi
done

status="$(coordinator GET "/v1/rounds/${round}" | tail -n +2)"
expect "round ${round} succeeded with eu-west and us-east as contributors" '^succeeded eu-west,us-east sha256:' \
  python3 -c 'import json, sys; s = json.loads(sys.argv[1])
print(s["phase"], ",".join(sorted(s["contributors"])), s["model"] or "", s["failure"] or "")' "${status}"
expect "release logged in the aggregator's store, none dropped" "^${round} eu-west,us-east dropped=\$" \
  python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["round"], ",".join(sorted(s["name"] for s in r["silos"])), "dropped=" + ",".join(r["dropped"]))' \
  "${store}/releases.jsonl"

if ctr stop -t 10 "${name_prefix}-aggregator" >/dev/null 2>&1 &&
  [[ "$(ctr inspect --format '{{.State.ExitCode}}' "${name_prefix}-aggregator" 2>&1)" == 0 ]]; then
  ok "aggregator container stopped cleanly (exit 0 on SIGTERM)"
else
  fail "aggregator container stopped cleanly" "$(ctr logs "${name_prefix}-aggregator" 2>&1 | tail -n 5)"
fi

finish
