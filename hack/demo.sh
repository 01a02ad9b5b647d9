#!/usr/bin/env bash
# make demo: start the local control plane, run a seed example, show the
# result and the cluster's view of it, stop the control plane.
set -euo pipefail
BIN=${1:?jobernetes binary}
MODEL=${2:?model file}
CP_BIN=${3:?control plane bin dir}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${ROOT}/_output/demo-cluster"
mkdir -p "${ROOT}/_output"

cluster() { (cd "${ROOT}" && go run ./test/e2e/cmd/cluster "$@"); }
trap 'echo; echo "== stopping the control plane"; cluster down --dir "${DIR}" >/dev/null 2>&1 || true' EXIT

echo "== starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok fake node)"
JOBERNETES_CONTROL_PLANE_BIN="${CP_BIN}" cluster up --dir "${DIR}" | tee "${DIR}.env"
export KUBECONFIG="$(sed -n 's/^export KUBECONFIG=//p' "${DIR}.env" | tail -n1)"
kubectl get nodes

echo
echo "== jobernetes validate -f ${MODEL}"
"${BIN}" validate -f "${MODEL}"
echo
echo "== jobernetes graph -f ${MODEL}"
"${BIN}" graph -f "${MODEL}"
echo
echo "== jobernetes run -f ${MODEL}"
rc=0
# The script picks the run ID, so that it can draw the run afterwards.
RUN_ID="demo-$(date -u +%Y%m%d-%H%M%S)"
"${BIN}" run -f "${MODEL}" -n default --run-id "${RUN_ID}" -e DEMO_DAY="$(date -u +%F)" || rc=$?
echo
echo "== what is left in the cluster (cleanup: true deletes succeeded Jobs; the run record stays)"
kubectl get jobs,configmaps -n default -l app.kubernetes.io/managed-by=jobernetes
echo
echo "== jobernetes status --run-id ${RUN_ID} (the run from the cluster alone: every Job, results, diagnosis)"
"${BIN}" status --run-id "${RUN_ID}" -n default || true
echo
echo "== jobernetes status --run-id ${RUN_ID} -o svg > _output/demo-run.svg (a picture of the run, from the cluster alone)"
"${BIN}" status --run-id "${RUN_ID}" -n default -o svg > "${ROOT}/_output/demo-run.svg" && echo "wrote ${ROOT}/_output/demo-run.svg"
echo
echo "jobernetes run exited with ${rc}"
exit "${rc}"
