# shellcheck shell=bash disable=SC2034  # every variable is used by the scripts that source this
# Pinned versions and cache locations of the Kubernetes test harness.
# Sourced by build-apiserver.sh and start-clusters.sh; not executable itself.
#
# KUBE_VERSION: k8s.io/kubernetes release; its staging modules (k8s.io/api,
#   k8s.io/apiserver, ...) are published as v0.<minor>.<patch>.
# ETCD_VERSION: go.etcd.io/etcd/server/v3 release. Debian's etcd-server is
#   3.4.x, which recent kube-apiservers no longer support.
# Overriding them from the environment is for trying an upgrade; the pins
# here are what the tests are known to pass with.
KUBE_VERSION="${FEDCRM_KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${FEDCRM_ETCD_VERSION:-v3.6.16}"

FEDCRM_CACHE="${FEDCRM_CACHE:-${HOME}/.cache/fedcrm}"
KUBE_BIN_DIR="${FEDCRM_CACHE}/bin"
KUBE_APISERVER_BIN="${KUBE_BIN_DIR}/kube-apiserver-${KUBE_VERSION}"
KUBECTL_BIN="${KUBE_BIN_DIR}/kubectl-${KUBE_VERSION}"
ETCD_BIN="${KUBE_BIN_DIR}/etcd-${ETCD_VERSION}"
