#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok) from the Go module proxy into a cache folder outside git,
# keyed by version. A warm run finds every binary and returns in seconds.
#
# Prints the folder holding the binaries on its last line of stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/test/e2e/tools"
KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
CACHE="${JOBERNETES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobernetes}"
BIN="${CACHE}/control-plane/k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
mkdir -p "${BIN}"

export CGO_ENABLED=0
# A fixed build date keeps the link step cacheable (a changing -X forces a relink).
vflags() {
  local major minor
  major="$(echo "${KUBE_VERSION#v}" | cut -d. -f1)"
  minor="$(echo "${KUBE_VERSION#v}" | cut -d. -f2)"
  local f=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    f+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  echo "${f}"
}

build() { # dir binary package [ldflags]
  local dir=$1 name=$2 pkg=$3 extra=${4:-}
  if [[ -x "${BIN}/${name}" ]]; then
    return 0
  fi
  local start=$SECONDS
  echo "building ${name} (${pkg}) ..." >&2
  (cd "${TOOLS}/${dir}" && go build -trimpath -ldflags "-s -w ${extra}" -o "${BIN}/${name}.tmp" "${pkg}")
  mv "${BIN}/${name}.tmp" "${BIN}/${name}"
  echo "built ${name} in $((SECONDS - start))s" >&2
}

build etcd etcd go.etcd.io/etcd/server/v3
build kube kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$(vflags)"
build kube kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$(vflags)"
build kube kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$(vflags)"
build kwok kwok sigs.k8s.io/kwok/cmd/kwok

# kwok's ClusterLogs CRD (fake pods' logs, test/e2e/framework/logs.go) comes
# from its module, next to the binaries: third-party files stay out of git.
CRD=kwok.x-k8s.io_clusterlogs.yaml
if [[ ! -f "${BIN}/${CRD}" ]]; then
  KWOK_DIR="$(cd "${TOOLS}/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  cp "${KWOK_DIR}/kustomize/crd/bases/${CRD}" "${BIN}/${CRD}.tmp"
  mv "${BIN}/${CRD}.tmp" "${BIN}/${CRD}"
fi

echo "${BIN}"
