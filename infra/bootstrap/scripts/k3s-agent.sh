#!/usr/bin/env bash
# k3s agent (worker) bootstrap, run once by cloud-init on every worker instance: identity from
# IMDS, the agent token (read-only; workers cannot read the servers' join token), wait for the API
# behind the NLB, then join through it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

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
