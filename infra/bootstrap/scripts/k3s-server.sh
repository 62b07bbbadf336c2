#!/usr/bin/env bash
# k3s server (control plane) bootstrap, run once by cloud-init on every control-plane instance.
# Order: identity from IMDS -> join token and agent token (race-free) -> root-only config ->
# datastore -> k3s -> the first server publishes the admin kubeconfig -> scale-in drain timer.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_params
: "${K3S_BOT_JOIN_TOKEN_SECRET_ARN:?}"
load_instance_identity
# The join (server) token: only servers can read it. Workers join with the agent token, so a
# compromised worker cannot join as a server and read the datastore.
ensure_token "$K3S_BOT_JOIN_TOKEN_SECRET_ARN" "$JOIN_TOKEN_VERSION" "join token"
JOIN_TOKEN="$TOKEN"
JOIN_TOKEN_WON="$TOKEN_WON"
ensure_token "$K3S_BOT_AGENT_TOKEN_SECRET_ARN" "$AGENT_TOKEN_VERSION" "agent token"
# k3s' agent-token is the password alone: strip the K10<ca-hash>::node: prefix of the CA-pinned
# form the secret holds once the first server has upgraded it (the random token has no colon).
AGENT_TOKEN="${TOKEN##*:}"
unset TOKEN
start_k3s_config "$JOIN_TOKEN"
printf 'agent-token: "%s"\n' "$AGENT_TOKEN" >>"$K3S_CONFIG_FILE"

case "${K3S_BOT_DATASTORE:-}" in
  postgres)
    : "${K3S_BOT_DB_ADDRESS:?}" "${K3S_BOT_DB_PORT:?}" "${K3S_BOT_DB_NAME:?}" "${K3S_BOT_DB_SECRET_ARN:?}"
    # RDS manages the master password in Secrets Manager and rotates it; read it at boot so it is
    # never in user data or Terraform state. The helper reads the secret JSON on stdin and appends
    # datastore-endpoint (password URL-encoded, sslmode=require) to the root-only config file.
    db_secret="$(secret_value "$K3S_BOT_DB_SECRET_ARN")" ||
      die "cannot read the RDS master user secret ${K3S_BOT_DB_SECRET_ARN}: the datastore endpoint cannot be built"
    printf '%s' "$db_secret" | python3 "${K3S_BOT_LIB}/datastore-endpoint.py" \
      "$K3S_BOT_DB_ADDRESS" "$K3S_BOT_DB_PORT" "$K3S_BOT_DB_NAME" >>"$K3S_CONFIG_FILE" ||
      die "the RDS master user secret ${K3S_BOT_DB_SECRET_ARN} is not JSON with username and password"
    unset db_secret
    cluster_flags=()
    ;;
  etcd)
    if [[ "$JOIN_TOKEN_WON" == true ]]; then
      # The server whose token won initialises embedded etcd; the others join it through the NLB.
      cluster_flags=(--cluster-init)
    else
      wait_for_api
      cluster_flags=(--server "$API_URL")
    fi
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
install_k3s "${server_flags[*]}"

KUBECONFIG_FILE="${K3S_CONFIG_DIR}/k3s.yaml"
export KUBECONFIG="$KUBECONFIG_FILE"

if [[ "$JOIN_TOKEN_WON" == true ]]; then
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    if [[ -s "$KUBECONFIG_FILE" ]] && kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
    ((i == WAIT_ATTEMPTS)) && die "local API server not ready after ${WAIT_ATTEMPTS} attempts"
    log "waiting for the local API server (attempt ${i}/${WAIT_ATTEMPTS})"
    sleep "$WAIT_SECONDS"
  done
  # Admin kubeconfig for the bot (no SSH): same credentials, server URL = the API NLB.
  if [[ -n "${K3S_BOT_KUBECONFIG_SECRET_ARN:-}" ]]; then
    sed "s#https://127.0.0.1:6443#${API_URL}#" "$KUBECONFIG_FILE" |
      put_secret_from_stdin "$K3S_BOT_KUBECONFIG_SECRET_ARN" ||
      die "cannot store the admin kubeconfig in ${K3S_BOT_KUBECONFIG_SECRET_ARN}"
    log "admin kubeconfig stored in ${K3S_BOT_KUBECONFIG_SECRET_ARN}"
  fi
  # Upgrade the stored tokens to the full K10 form so later nodes pin the cluster CA. k3s writes
  # the server token as K10<ca-hash>::server:<password>; agents authenticate as user "node" with
  # the agent token, so theirs is K10<ca-hash>::node:<agent token>.
  server_token_file="${ROOT}/var/lib/rancher/k3s/server/token"
  if [[ -s "$server_token_file" ]]; then
    put_secret_from_stdin "$K3S_BOT_JOIN_TOKEN_SECRET_ARN" "$SECURE_TOKEN_VERSION" <"$server_token_file" ||
      log "warning: could not store the CA-pinned join token; nodes keep using the plain token"
    ca_hash="$(head -n 1 "$server_token_file")"
    ca_hash="${ca_hash%%::*}"
    if [[ "$ca_hash" == K10* ]]; then
      printf '%s::node:%s\n' "$ca_hash" "$AGENT_TOKEN" |
        put_secret_from_stdin "$K3S_BOT_AGENT_TOKEN_SECRET_ARN" "$AGENT_SECURE_TOKEN_VERSION" ||
        log "warning: could not store the CA-pinned agent token; workers keep using the plain token"
    fi
  fi
fi

systemctl daemon-reload
systemctl enable --now k3s-bot-drain.timer
log "server bootstrap complete"
