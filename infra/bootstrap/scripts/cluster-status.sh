#!/usr/bin/env bash
# The cluster reports its own state: run by k3s-bot-status.timer on every server, it reads the
# nodes, the add-on HelmCharts and their install Jobs (with the log tail of a failing one), Argo
# CD's root Application and Jenkins' StatefulSet with the admin kubeconfig the server already
# holds, and writes one compact JSON document (cluster-status.py) to the cluster's SSM parameter
# (K3S_BOT_STATUS_PARAMETER, /k3s-bot/<cluster>/status). The bot reads it after an apply and on
# `/k3s status`: no network path from the bot to the Kubernetes API, no inbound port. The server
# role may put that one parameter only. Every server writes; the documents agree, the last wins.
# When the API does not answer yet the document still goes out, with "api":"down", so the bot
# can tell a booting server from one that never started.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_params
: "${K3S_BOT_STATUS_PARAMETER:?}"
export KUBECONFIG="${KUBECONFIG:-${K3S_CONFIG_DIR}/k3s.yaml}"
# SSM's standard tier (free) takes 4096 characters per value; cluster-status.py cuts to fit.
STATUS_LIMIT="${K3S_BOT_STATUS_LIMIT:-4096}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs"

get() {
  local out="$1"
  shift
  kubectl get "$@" -o json --request-timeout=10s >"$work/$out" 2>/dev/null || : >"$work/$out"
}

get nodes.json nodes
if [[ -s "$work/nodes.json" ]]; then
  get helmcharts.json helmcharts.helm.cattle.io --all-namespaces
  get jobs.json jobs --namespace kube-system
  get argocd-root.json applications.argoproj.io root --namespace argocd
  get jenkins.json statefulsets.apps jenkins --namespace jenkins
  # The log tail of each install Job that has failed at least once and never succeeded.
  failing="$(python3 "${K3S_BOT_LIB}/cluster-status.py" --failing-jobs "$work" 2>/dev/null || true)"
  for job in $failing; do
    [[ "$job" =~ ^helm-install-[a-z0-9-]+$ ]] || continue
    kubectl logs --namespace kube-system "job/${job}" --tail=20 --request-timeout=10s \
      >"$work/logs/${job}.log" 2>/dev/null || true
  done
fi

python3 "${K3S_BOT_LIB}/cluster-status.py" "$work" "$K3S_BOT_CLUSTER_NAME" \
  "${NODE_NAME:-$(hostname)}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$STATUS_LIMIT" >"$work/status.json"
aws_ ssm put-parameter --name "$K3S_BOT_STATUS_PARAMETER" --type String --tier Standard \
  --overwrite --value "file://${work}/status.json" >/dev/null
