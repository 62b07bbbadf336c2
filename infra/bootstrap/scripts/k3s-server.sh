#!/usr/bin/env bash
# k3s server (control plane) bootstrap, run once by cloud-init on every control-plane instance.
# Order: identity from IMDS -> join token and agent token (race-free) -> root-only config ->
# datastore (or who initialises etcd, or restores it from a snapshot) -> k3s -> cluster duties any server finishes (admin
# kubeconfig, CA-pinned tokens; cluster-formation.sh) -> scale-in drain timer.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR source=cluster-formation.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster-formation.sh"

load_params
: "${K3S_BOT_JOIN_TOKEN_SECRET_ARN:?}"
load_instance_identity
# The status reporter runs from now on, so a server whose bootstrap stalls is still seen
# ("api":"down" until k3s answers); see cluster-status.sh.
systemctl daemon-reload
systemctl enable --now k3s-bot-status.timer
# The join (server) token: only servers can read it. Workers join with the agent token, so a
# compromised worker cannot join as a server and read the datastore.
ensure_token "$K3S_BOT_JOIN_TOKEN_SECRET_ARN" "$JOIN_TOKEN_VERSION" "join token"
JOIN_TOKEN="$TOKEN"
ensure_token "$K3S_BOT_AGENT_TOKEN_SECRET_ARN" "$AGENT_TOKEN_VERSION" "agent token"
# k3s' agent-token is the password alone: strip the K10<ca-hash>::node: prefix of the CA-pinned
# form the secret holds once the first server has upgraded it (the random token has no colon).
AGENT_TOKEN="${TOKEN##*:}"
unset TOKEN
start_k3s_config "$JOIN_TOKEN"
printf 'agent-token: "%s"\n' "$AGENT_TOKEN" >>"$K3S_CONFIG_FILE"

case "${K3S_BOT_DATASTORE:-}" in
  postgres)
    # datastore-endpoint (sslmode=verify-full) and datastore-cafile from the RDS-managed secret,
    # never in user data or Terraform state. Read here before k3s exists, then again before
    # every k3s start and after every rotation (datastore-config.sh says how).
    "${K3S_BOT_LIB}/datastore-config.sh"
    cluster_flags=()
    ;;
  etcd)
    etcd_snapshot_config
    etcd_cluster_flags
    ;;
  *) die "K3S_BOT_DATASTORE must be postgres or etcd, got '${K3S_BOT_DATASTORE:-}'" ;;
esac

server_flags=(
  server
  "${cluster_flags[@]}"
  --disable traefik
  --disable servicelb
  --disable-cloud-controller
  --kubelet-arg=cloud-provider=external
  "--kubelet-arg=provider-id=${PROVIDER_ID}"
  --node-name "$NODE_NAME"
  --tls-san "$K3S_BOT_API_ENDPOINT"
  --cluster-cidr "$K3S_BOT_CLUSTER_CIDR"
  --service-cidr "$K3S_BOT_SERVICE_CIDR"
  # Keep ordinary workloads on the workers; the add-ons meant for servers tolerate this taint.
  --node-taint CriticalAddonsOnly=true:NoExecute
  --write-kubeconfig-mode 0600
  # Secrets encrypted at rest in the datastore (RDS or etcd) with a key k3s generates and shares
  # among servers through its bootstrap data: a database snapshot or a read of the datastore does
  # not hand out every Secret. k3s' `--secrets-encryption` (pkg/cli/cmds/server.go, EncryptSecrets;
  # k3s-io/docs docs/security/secrets-encryption.md): aescbc, with identity as the read fallback,
  # so Secrets written before it stay readable. Every server must start with the same value.
  --secrets-encryption
)
# What k3s runs with, one argument per line, for etcd-restore.sh: restoring a chosen snapshot on
# a running cluster resets one server with these very flags, and only servers that join through
# --server may drop their database. No secret is among them (tokens live in the config file).
(umask 077 && printf '%s\n' "${server_flags[@]}" >"${ROOT}/etc/k3s-bot/k3s-server-args")
if [[ -n "${RESTORE_SNAPSHOT:-}" ]]; then
  restore_etcd_snapshot "$RESTORE_SNAPSHOT" "${server_flags[@]}"
else
  install_k3s "${server_flags[*]}"
fi

finish_cluster_duties

systemctl daemon-reload
systemctl enable --now k3s-bot-drain.timer
if [[ "$K3S_BOT_DATASTORE" == postgres ]]; then systemctl enable --now k3s-bot-datastore.timer; fi
log "server bootstrap complete"
