#!/usr/bin/env bash
# Runs the pinned golangci-lint with the given arguments. The binary is built
# once from the Go module proxy into a cache folder outside git, keyed by
# version; later runs find it and exec it at once. Without arguments it prints
# the binary's path.
set -euo pipefail

VERSION=v2.15.0
CACHE="${JOBERNETES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobernetes}"
DIR="${CACHE}/tools/golangci-lint-${VERSION}"
BIN="${DIR}/golangci-lint"

if [[ ! -x "${BIN}" ]]; then
  mkdir -p "${DIR}"
  start=$SECONDS
  echo "building golangci-lint ${VERSION} into ${DIR} ..." >&2
  # Into a private folder first, then one rename: a build that is interrupted
  # or runs twice at once never leaves a half-written binary at ${BIN}.
  tmp="$(mktemp -d "${DIR}/build.XXXXXX")"
  trap 'rm -rf "${tmp}"' EXIT
  GOBIN="${tmp}" CGO_ENABLED=0 go install -trimpath \
    "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${VERSION}"
  mv -f "${tmp}/golangci-lint" "${BIN}"
  rm -rf "${tmp}"
  trap - EXIT
  echo "built golangci-lint in $((SECONDS - start))s" >&2
fi

if [[ $# -eq 0 ]]; then
  echo "${BIN}"
  exit 0
fi
exec "${BIN}" "$@"
