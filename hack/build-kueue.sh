#!/usr/bin/env bash
# Builds Kueue's manager (sigs.k8s.io/kueue/cmd/kueue) from the Go module proxy,
# pinned by the tools module test/e2e/tools/kueue, into a cache folder outside
# git keyed by version, beside the control plane's. Its CRDs and webhook
# manifests are copied from the module next to the binary (third-party files
# stay out of git). A warm run returns in seconds.
#
# Prints the folder holding the binary on its last line of stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/test/e2e/tools/kueue"
KUEUE_VERSION="$(cd "${TOOLS}" && go list -m -f '{{.Version}}' sigs.k8s.io/kueue)"
CACHE="${JOBERNETES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobernetes}"
BIN="${CACHE}/kueue/${KUEUE_VERSION}"
mkdir -p "${BIN}"

if [[ ! -x "${BIN}/kueue" ]]; then
  start=$SECONDS
  echo "building kueue ${KUEUE_VERSION} ..." >&2
  (cd "${TOOLS}" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "${BIN}/kueue.tmp" sigs.k8s.io/kueue/cmd/kueue)
  mv "${BIN}/kueue.tmp" "${BIN}/kueue"
  echo "built kueue in $((SECONDS - start))s" >&2
fi

if [[ ! -f "${BIN}/webhooks.yaml" ]]; then
  SRC="$(cd "${TOOLS}" && go list -m -f '{{.Dir}}' sigs.k8s.io/kueue)"
  rm -rf "${BIN}/crds.tmp" && mkdir -p "${BIN}/crds.tmp"
  cp "${SRC}"/config/components/crd/bases/*.yaml "${BIN}/crds.tmp/"
  chmod -R u+w "${BIN}/crds.tmp"
  rm -rf "${BIN}/crds" && mv "${BIN}/crds.tmp" "${BIN}/crds"
  cp "${SRC}/config/components/webhook/manifests.yaml" "${BIN}/webhooks.yaml.tmp"
  chmod u+w "${BIN}/webhooks.yaml.tmp"
  mv "${BIN}/webhooks.yaml.tmp" "${BIN}/webhooks.yaml"
fi

echo "${BIN}"
