#!/usr/bin/env bash
# Graceful scale-in, run by k3s-bot-drain.timer on every server. Finds workers the ASG holds in
# Terminating:Wait (its termination lifecycle hook), cordons and drains each with a timeout, then
# completes the lifecycle action so the instance can go.
#
# Why on the servers: they already hold the admin kubeconfig and an instance role that reads the
# ASG; they only need autoscaling:CompleteLifecycleAction on the worker group. Workers get no
# Kubernetes credential able to evict pods cluster-wide and no extra IAM permission.
# Every server runs it: cordon, drain and completing an action twice are harmless (a second
# completion finds no pending action), and any surviving server still drains.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_params
: "${K3S_BOT_WORKER_ASG:?}" "${K3S_BOT_LIFECYCLE_HOOK:?}" "${K3S_BOT_DRAIN_TIMEOUT_SECONDS:?}"
export KUBECONFIG="${KUBECONFIG:-${K3S_CONFIG_DIR}/k3s.yaml}"

drain_instance() {
  local instance="$1" node
  # Node names are private DNS names; the providerID (aws:///<az>/<instance-id>) ties them to EC2.
  node="$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.providerID}{"\n"}{end}' |
    awk -v id="$instance" '$2 ~ ("/" id "$") { print $1 }')"
  if [[ -z "$node" ]]; then
    log "${instance}: no Kubernetes node (never joined or already gone); completing lifecycle action"
  else
    log "${instance}: cordoning and draining node ${node} (timeout ${K3S_BOT_DRAIN_TIMEOUT_SECONDS}s)"
    kubectl cordon "$node" || log "${instance}: cordon of ${node} failed; draining anyway"
    # The instance is going away in any case: after the timeout, let it go rather than block scale-in.
    if ! kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --force \
      --timeout="${K3S_BOT_DRAIN_TIMEOUT_SECONDS}s"; then
      log "${instance}: drain of ${node} did not finish within ${K3S_BOT_DRAIN_TIMEOUT_SECONDS}s; terminating anyway"
    fi
  fi
  if aws_ autoscaling complete-lifecycle-action --auto-scaling-group-name "$K3S_BOT_WORKER_ASG" \
    --lifecycle-hook-name "$K3S_BOT_LIFECYCLE_HOOK" --instance-id "$instance" \
    --lifecycle-action-result CONTINUE; then
    log "${instance}: lifecycle action completed"
  else
    log "${instance}: could not complete the lifecycle action (another server may have done it)"
  fi
}

instances="$(aws_ autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$K3S_BOT_WORKER_ASG" \
  --query "AutoScalingGroups[0].Instances[?LifecycleState=='Terminating:Wait'].InstanceId" --output text)"
pids=()
for instance in $instances; do
  [[ "$instance" == i-* ]] || continue
  # In parallel: each instance has its own lifecycle heartbeat running out.
  drain_instance "$instance" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
