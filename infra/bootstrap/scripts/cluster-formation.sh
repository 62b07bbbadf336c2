# shellcheck shell=bash
# Sourced by k3s-server.sh after common.sh: who initialises embedded etcd, and the duties every
# server finishes once its k3s is up. Neither depends on one particular server staying alive:
# the server that won the join-token race may die right after writing it.

# Whether the cluster formed: the first server's duties store the CA-pinned (K10) join token as
# soon as its k3s is ready, so from then on AWSCURRENT of the join token starts with K10.
cluster_formed() {
  local token rc=0
  token="$(secret_value "$K3S_BOT_JOIN_TOKEN_SECRET_ARN")" || rc=$?
  ((rc == 0)) && [[ "$token" == K10* ]]
}

# The server that initialises embedded etcd: the oldest live instance of the control-plane group
# (launch time, then instance id), as every server computes it from EC2. If it dies before the
# cluster forms it leaves the pending/running states, and the next oldest takes over.
etcd_initializer() {
  aws_ ec2 describe-instances \
    --filters "Name=tag:aws:autoscaling:groupName,Values=${K3S_BOT_CONTROL_PLANE_ASG}" \
    "Name=instance-state-name,Values=pending,running" \
    --query 'Reservations[].Instances[].[LaunchTime,InstanceId]' --output text |
    sort | awk 'NF == 2 { print $2; exit }'
}

# k3s' etcd snapshots: on the schedule, kept per server, uploaded to the cluster's bucket with
# the instance role's credentials (no access key: k3s' S3 client then falls back to the instance
# metadata service, k3s-io/k3s pkg/etcd/s3/s3.go GetClient). Values come from the stack; the
# cron has no quote (the definition's schema allows digits and * / , - only).
etcd_snapshot_config() {
  [[ -n "${K3S_BOT_SNAPSHOT_BUCKET:-}" ]] || return 0
  printf '%s\n' \
    "etcd-snapshot-schedule-cron: \"${K3S_BOT_SNAPSHOT_CRON:?}\"" \
    "etcd-snapshot-retention: ${K3S_BOT_SNAPSHOT_RETENTION:?}" \
    "etcd-s3: true" \
    "etcd-s3-endpoint: \"${K3S_BOT_SNAPSHOT_ENDPOINT:?}\"" \
    "etcd-s3-region: \"${K3S_BOT_SNAPSHOT_REGION:?}\"" \
    "etcd-s3-bucket: \"${K3S_BOT_SNAPSHOT_BUCKET}\"" \
    "etcd-s3-folder: \"${K3S_BOT_SNAPSHOT_FOLDER:?}\"" >>"$K3S_CONFIG_FILE"
}

# The name of the newest snapshot directly in the cluster's snapshot folder, or nothing. k3s
# keeps a snapshot's metadata under <folder>/.metadata/ (pkg/etcd/s3/s3.go, Upload), which is not
# a snapshot, and restores by file name from the folder (Download). LastModified is ISO 8601 in
# UTC, so it sorts as text. A name k3s would not give is refused, not passed on.
newest_snapshot() {
  [[ -n "${K3S_BOT_SNAPSHOT_BUCKET:-}" ]] || return 0
  local folder="${K3S_BOT_SNAPSHOT_FOLDER}/" listing name
  listing="$(aws_ s3api list-objects-v2 --bucket "$K3S_BOT_SNAPSHOT_BUCKET" --prefix "$folder" \
    --query 'Contents[].[LastModified,Key]' --output text)" || return 1
  name="$(printf '%s\n' "$listing" |
    awk -v folder="$folder" 'NF == 2 && index($2, folder) == 1 && substr($2, length(folder) + 1) !~ /\// { print $1, substr($2, length(folder) + 1) }' |
    sort | awk 'END { if (NF == 2) print $2 }')"
  [[ -z "$name" || "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || return 1
  printf '%s' "$name"
}

# Sets cluster_flags for embedded etcd. Join through the NLB when the API answers; otherwise,
# while no cluster has formed, the initializer runs --cluster-init; once one has formed, a
# second --cluster-init would start a second, empty cluster, so the only ways in are joining
# and, when this is the oldest live server (every server that was there before it is gone),
# restoring the newest snapshot (RESTORE_SNAPSHOT; then cluster_flags stay empty).
# shellcheck disable=SC2034 # cluster_flags is read by k3s-server.sh, which sources this file.
etcd_cluster_flags() {
  : "${K3S_BOT_CONTROL_PLANE_ASG:?}"
  local i initializer snapshot
  RESTORE_SNAPSHOT=""
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    if curl -ksS -f --max-time 5 "${API_URL}/ping" >/dev/null 2>&1; then
      log "API ${API_URL} answers; joining the cluster"
      cluster_flags=(--server "$API_URL")
      return 0
    fi
    if cluster_formed; then
      log "the cluster has formed but its API does not answer yet (attempt ${i}/${WAIT_ATTEMPTS})"
      initializer="$(etcd_initializer)" || die "cannot list the control-plane instances"
      if [[ "$initializer" == "$INSTANCE_ID" ]]; then
        snapshot="$(newest_snapshot)" ||
          die "cannot list the etcd snapshots in s3://${K3S_BOT_SNAPSHOT_BUCKET}/${K3S_BOT_SNAPSHOT_FOLDER}/"
        if [[ -n "$snapshot" ]]; then
          log "no older server is alive: restoring etcd from the newest snapshot, ${snapshot}"
          RESTORE_SNAPSHOT="$snapshot"
          cluster_flags=()
          return 0
        fi
        log "no older server is alive and there is no etcd snapshot to restore from"
      fi
    else
      initializer="$(etcd_initializer)" || die "cannot list the control-plane instances"
      if [[ "$initializer" == "$INSTANCE_ID" ]]; then
        log "no cluster yet and this is the oldest server: initialising embedded etcd"
        cluster_flags=(--cluster-init)
        return 0
      fi
      log "waiting for ${initializer:-the oldest server} to initialise etcd (attempt ${i}/${WAIT_ATTEMPTS})"
    fi
    sleep "$WAIT_SECONDS"
  done
  die "no cluster to join after ${WAIT_ATTEMPTS} attempts"
}

# Restores etcd from a snapshot in the cluster's folder, then starts k3s on the restored data.
# k3s with --cluster-reset --cluster-reset-restore-path=<name> and etcd-s3 set downloads <name>
# from the folder, restores it, resets the membership to this server and exits 0
# (k3s-io/k3s pkg/etcd/etcd.go, Reset; k3s-io/docs docs/cli/etcd-snapshot.md, "Restoring
# Snapshots"). The snapshot's bootstrap data is encrypted with the server token: the join token
# secret keeps it across servers. Usage: restore_etcd_snapshot <name> <k3s server argv...>
restore_etcd_snapshot() {
  local snapshot="$1"
  shift
  INSTALL_K3S_SKIP_START=true install_k3s "$*"
  log "restoring etcd from s3://${K3S_BOT_SNAPSHOT_BUCKET}/${K3S_BOT_SNAPSHOT_FOLDER}/${snapshot}"
  k3s "$@" --cluster-reset "--cluster-reset-restore-path=${snapshot}" ||
    die "k3s could not restore etcd snapshot ${snapshot}"
  systemctl start k3s.service || die "k3s did not start on the restored etcd"
  log "etcd restored from ${snapshot}; old members were removed, other servers join it"
}

# Once this server's k3s is ready, whatever the first server may not have lived to do: publish
# the admin kubeconfig when the secret has none, and store the CA-pinned forms of both tokens
# (fixed version ids and the same values on every server, so doing it again is harmless).
finish_cluster_duties() {
  local kubeconfig_file="${K3S_CONFIG_DIR}/k3s.yaml" i rc=0 server_token_file ca_hash
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    if [[ -s "$kubeconfig_file" ]] && KUBECONFIG="$kubeconfig_file" kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
    ((i == WAIT_ATTEMPTS)) && die "local API server not ready after ${WAIT_ATTEMPTS} attempts"
    log "waiting for the local API server (attempt ${i}/${WAIT_ATTEMPTS})"
    sleep "$WAIT_SECONDS"
  done
  # Admin kubeconfig for the bot (no SSH): same credentials, server URL = the API NLB.
  secret_value "$K3S_BOT_KUBECONFIG_SECRET_ARN" >/dev/null || rc=$?
  if ((rc == 2)); then
    sed "s#https://127.0.0.1:6443#${API_URL}#" "$kubeconfig_file" |
      put_secret_from_stdin "$K3S_BOT_KUBECONFIG_SECRET_ARN" ||
      die "cannot store the admin kubeconfig in ${K3S_BOT_KUBECONFIG_SECRET_ARN}"
    log "admin kubeconfig stored in ${K3S_BOT_KUBECONFIG_SECRET_ARN}"
  elif ((rc != 0)); then
    die "cannot read the kubeconfig secret ${K3S_BOT_KUBECONFIG_SECRET_ARN}"
  fi
  # k3s writes the server token as K10<ca-hash>::server:<password>; agents authenticate as user
  # "node" with the agent token, so theirs is K10<ca-hash>::node:<agent token>.
  server_token_file="${ROOT}/var/lib/rancher/k3s/server/token"
  [[ -s "$server_token_file" ]] || return 0
  put_secret_from_stdin "$K3S_BOT_JOIN_TOKEN_SECRET_ARN" "$SECURE_TOKEN_VERSION" <"$server_token_file" ||
    log "warning: could not store the CA-pinned join token; nodes keep using the plain token"
  ca_hash="$(head -n 1 "$server_token_file")"
  ca_hash="${ca_hash%%::*}"
  if [[ "$ca_hash" == K10* ]]; then
    printf '%s::node:%s\n' "$ca_hash" "$AGENT_TOKEN" |
      put_secret_from_stdin "$K3S_BOT_AGENT_TOKEN_SECRET_ARN" "$AGENT_SECURE_TOKEN_VERSION" ||
      log "warning: could not store the CA-pinned agent token; workers keep using the plain token"
  fi
}
