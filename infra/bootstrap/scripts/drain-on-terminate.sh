#!/usr/bin/env bash
# Graceful scale-in, run by k3s-bot-drain.timer on every server. Finds workers the ASG holds in
# Terminating:Wait (its termination lifecycle hook), cordons and drains each with a timeout, then
# completes the lifecycle action so the instance can go.
#
# Servers leaving their group (an instance refresh replaces them one at a time) get the same,
# from the other servers, plus the deletion of their Kubernetes node before the action is
# completed. With embedded etcd that removes the server's etcd member: k3s' managed etcd
# controller registers an OnRemove handler on nodes (k3s-io/k3s pkg/etcd/member_controller.go:
# onRemove -> RemovePeer for a node labelled as an etcd member), which wrangler runs behind a
# finalizer (rancher/wrangler pkg/generic/remove.go, "wrangler.cattle.io/<handler>"), and
# `kubectl delete` waits for finalizers by default. So the member is gone before the instance
# is: the cluster never counts a dead member against its quorum, and the next server can leave.
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

# drain_instance <group> <hook> <instance> [unregister]: with "unregister", the node is also
# deleted (a leaving server) once drained.
drain_instance() {
  local group="$1" hook="$2" instance="$3" unregister="${4:-}" node
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
    if [[ -n "$unregister" ]]; then
      # Waits for k3s to remove the etcd member (the node's finalizer). If it cannot within the
      # timeout, the lifecycle action is left pending: the hook's heartbeat runs out and the
      # instance goes anyway, but this server does not say the member is gone when it is not.
      if ! kubectl delete node "$node" --timeout="${K3S_BOT_DRAIN_TIMEOUT_SECONDS}s"; then
        log "${instance}: node ${node} not deleted within ${K3S_BOT_DRAIN_TIMEOUT_SECONDS}s; not completing the lifecycle action"
        return 1
      fi
      log "${instance}: node ${node} deleted (its etcd member, if any, removed)"
    fi
  fi
  if aws_ autoscaling complete-lifecycle-action --auto-scaling-group-name "$group" \
    --lifecycle-hook-name "$hook" --instance-id "$instance" \
    --lifecycle-action-result CONTINUE; then
    log "${instance}: lifecycle action completed"
  else
    log "${instance}: could not complete the lifecycle action (another server may have done it)"
  fi
}

terminating() {
  aws_ autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$1" \
    --query "AutoScalingGroups[0].Instances[?LifecycleState=='Terminating:Wait'].InstanceId" --output text
}

pids=()
for instance in $(terminating "$K3S_BOT_WORKER_ASG"); do
  [[ "$instance" == i-* ]] || continue
  # In parallel: each instance has its own lifecycle heartbeat running out.
  drain_instance "$K3S_BOT_WORKER_ASG" "$K3S_BOT_LIFECYCLE_HOOK" "$instance" &
  pids+=("$!")
done
if [[ -n "${K3S_BOT_SERVER_LIFECYCLE_HOOK:-}" ]]; then
  : "${K3S_BOT_CONTROL_PLANE_ASG:?}"
  self="$(imds_get instance-id)" || die "cannot read instance-id from IMDS"
  for instance in $(terminating "$K3S_BOT_CONTROL_PLANE_ASG"); do
    # A leaving server is handled by the others: it would remove its own etcd member while
    # still running. (A lone server has no other: the hook's heartbeat lets it go.) One server
    # at a time, never in parallel: each removal must finish before the next.
    [[ "$instance" == i-* && "$instance" != "$self" ]] || continue
    drain_instance "$K3S_BOT_CONTROL_PLANE_ASG" "$K3S_BOT_SERVER_LIFECYCLE_HOOK" "$instance" unregister || true
  done
fi
for pid in "${pids[@]}"; do wait "$pid" || true; done
