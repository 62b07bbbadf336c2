#!/usr/bin/env bash
# k3s agent (worker) bootstrap, run once by cloud-init on every worker instance: identity from
# IMDS, the agent token (read-only; workers cannot read the servers' join token), wait for the API
# behind the NLB, then join through it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A worker whose bootstrap fails would stay InService (the group checks EC2 status only) and count
# toward capacity without ever running a pod: on any failure it marks itself Unhealthy so the
# group replaces it. --no-should-respect-grace-period: by default SetInstanceHealth respects the
# group's health check grace period (EC2 Auto Scaling API reference, SetInstanceHealth), which a
# failure in the first minutes would fall inside. The worker role may do this on its group only.
report_failure() {
  local rc=$? id="${INSTANCE_ID:-}"
  ((rc == 0)) && return 0
  log "bootstrap failed (exit ${rc}); marking this instance Unhealthy so its group replaces it"
  [[ -n "$id" ]] || id="$(imds_get instance-id)" || id=""
  if [[ -z "$id" || -z "${K3S_BOT_REGION:-}" ]] || ! command -v aws >/dev/null; then
    log "cannot mark this instance Unhealthy (no instance id, region or AWS CLI)"
    return 0
  fi
  aws_ autoscaling set-instance-health --instance-id "$id" --health-status Unhealthy \
    --no-should-respect-grace-period || log "could not mark ${id} Unhealthy"
}
trap report_failure EXIT

load_params
load_instance_identity
wait_for_token "$K3S_BOT_AGENT_TOKEN_SECRET_ARN" "agent token"
wait_for_api
start_k3s_config "$TOKEN"
unset TOKEN
printf 'server: "%s"\n' "$API_URL" >>"$K3S_CONFIG_FILE"

agent_flags=(
  agent
  --kubelet-arg=cloud-provider=external
  "--kubelet-arg=provider-id=${PROVIDER_ID}"
  --node-name "$NODE_NAME"
)
install_k3s "${agent_flags[*]}"
log "agent bootstrap complete"
