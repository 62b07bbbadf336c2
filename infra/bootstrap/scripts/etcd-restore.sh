#!/usr/bin/env bash
# Restoring a chosen etcd snapshot on a running embedded-etcd cluster, one step per call, run on
# each server as root by `k3s-bot restore` through SSM Run Command (app/engine/etcd-restore/),
# which waits for each step's result on every server before it sends the next. The steps are
# k3s' own restore procedure for a cluster of several servers (k3s-io/docs
# docs/cli/etcd-snapshot.md, "Restoring Snapshots", HA): stop k3s on every server, reset one
# with the snapshot, start it, then move the other servers' database away and start them so
# they join the restored member. docs/backups.md says what each step leaves behind.
#
#   etcd-restore.sh check           read-only: prints role=<first|joining>, bucket= and folder=
#   etcd-restore.sh stop            stops k3s (its ExecStop drop-in takes a pre-stop snapshot)
#   etcd-restore.sh reset <name>    restores <name> from the cluster's bucket, starts k3s
#   etcd-restore.sh rejoin          moves the etcd database aside, starts k3s to join again
#
# Output goes to stdout/stderr, which SSM keeps (the first 24,000 / 8,000 characters,
# GetCommandInvocation StandardOutputContent / StandardErrorContent): k3s' own log of the
# reset goes to a file on the node and only its tail is printed when it fails.
set -euo pipefail
# SSM's agent runs commands with its own environment: make sure k3s, kubectl (/usr/local/bin) and
# systemctl are found, after whatever PATH it gives (so the tests' stubs still come first).
PATH="${PATH:-}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# What k3s-server.sh installed k3s with (one argument per line): the reset runs k3s with the
# very flags the service runs it with, as the automatic restore of a lone server does.
SERVER_ARGS_FILE="${ROOT}/etc/k3s-bot/k3s-server-args"
DB_DIR="${ROOT}/var/lib/rancher/k3s/server/db"
RESET_LOG="${ROOT}/var/log/k3s-bot-etcd-restore.log"
# Names k3s gives snapshots (<prefix>-<node>-<unix time>); anything else is refused before it
# reaches a command line. The same rule as newest_snapshot in cluster-formation.sh.
SNAPSHOT_NAME='^[A-Za-z0-9][A-Za-z0-9._-]*$'

load_server_args() {
  [[ "${K3S_BOT_DATASTORE:-}" == etcd ]] ||
    die "this server's datastore is '${K3S_BOT_DATASTORE:-}', not embedded etcd: there is no etcd snapshot to restore"
  [[ -n "${K3S_BOT_SNAPSHOT_BUCKET:-}" ]] || die "this server has no etcd snapshot bucket configured"
  [[ -s "$SERVER_ARGS_FILE" ]] ||
    die "missing ${SERVER_ARGS_FILE}: this server was bootstrapped by an older k3s-bot; replace it (instance refresh) before restoring"
  mapfile -t SERVER_ARGS <"$SERVER_ARGS_FILE"
}

# Whether this server's k3s joins through --server. One that does not (the server that
# initialised etcd with --cluster-init, or one that restored a lone cluster) would start a new,
# empty etcd cluster if its database were moved away: k3s starts a new cluster when it has no
# etcd data and no server to join (k3s-io/k3s pkg/etcd/etcd.go, Start: newCluster when
# clientAccessInfo is nil). So it is the one to restore on, never one to rejoin.
joins_through_server() {
  local arg
  for arg in "${SERVER_ARGS[@]}"; do [[ "$arg" == --server ]] && return 0; done
  return 1
}

k3s_active() { systemctl is-active --quiet k3s.service; }

# `systemctl start` of install.sh's unit could wait without bound (TimeoutStartSec=0, k3s-io/k3s
# install.sh create_systemd_service_file): start without blocking, then wait for the local API
# server's /readyz (which checks etcd) within the bootstrap's usual bound.
start_and_wait_ready() {
  local kubeconfig="${K3S_CONFIG_DIR}/k3s.yaml" i
  systemctl start --no-block k3s.service || die "systemd could not start k3s"
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    if [[ -s "$kubeconfig" ]] && KUBECONFIG="$kubeconfig" kubectl get --raw /readyz >/dev/null 2>&1; then
      log "k3s is ready (attempt ${i}/${WAIT_ATTEMPTS})"
      return 0
    fi
    sleep "$WAIT_SECONDS"
  done
  die "k3s started but its API server was not ready after ${WAIT_ATTEMPTS} attempts (journalctl -u k3s on this server)"
}

cmd_check() {
  load_server_args
  local role=first
  if joins_through_server; then role=joining; fi
  printf 'role=%s\nbucket=%s\nfolder=%s\n' "$role" "$K3S_BOT_SNAPSHOT_BUCKET" "${K3S_BOT_SNAPSHOT_FOLDER:?}"
}

cmd_stop() {
  load_server_args
  systemctl stop k3s.service || die "systemd could not stop k3s"
  ! k3s_active || die "k3s is still running after systemctl stop"
  log "k3s stopped"
}

# k3s with --cluster-reset and --cluster-reset-restore-path=<name>, etcd-s3 set in its config
# file: downloads <name> from the bucket's folder, restores it, makes this server the only
# member and exits 0 after "Managed etcd cluster membership has been reset, restart without
# --cluster-reset flag now" (k3s-io/k3s pkg/etcd/etcd.go, Reset). With a restore path k3s
# does not check its reset-flag file, so a server that was reset before can be reset again
# (pkg/cluster/managed.go, start). The reset runs without `--server <url>`: it makes this server
# a cluster of its own and joins none, as the automatic restore of a lone server runs it. Started
# by systemd afterwards with --server again, a server whose etcd data exists starts as that
# member and does not bootstrap from the URL, nor fail when it does not answer ("cold cluster
# restart", pkg/cluster/bootstrap.go shouldBootstrapLoad; pkg/etcd/etcd.go Start).
cmd_reset() {
  local snapshot="${1:-}" i
  local -a reset_args=()
  [[ "$snapshot" =~ $SNAPSHOT_NAME ]] || die "not a snapshot name: '${snapshot}'"
  load_server_args
  ! k3s_active || die "k3s is running on this server: stop it on every server first"
  for ((i = 0; i < ${#SERVER_ARGS[@]}; i++)); do
    if [[ "${SERVER_ARGS[i]}" == --server ]]; then
      i=$((i + 1))
      continue
    fi
    reset_args+=("${SERVER_ARGS[i]}")
  done
  log "restoring etcd from s3://${K3S_BOT_SNAPSHOT_BUCKET}/${K3S_BOT_SNAPSHOT_FOLDER}/${snapshot} (k3s log: ${RESET_LOG})"
  mkdir -p "$(dirname "$RESET_LOG")"
  if ! k3s "${reset_args[@]}" --cluster-reset "--cluster-reset-restore-path=${snapshot}" >"$RESET_LOG" 2>&1; then
    tail -n 20 "$RESET_LOG" >&2 || true
    die "k3s could not restore etcd snapshot ${snapshot}; k3s is stopped on this server"
  fi
  start_and_wait_ready
  log "etcd restored from ${snapshot}; this server is its only member"
}

# The database of a server that rejoins is moved aside, not deleted: what k3s docs remove
# (rm -rf ${data-dir}/server/db) stays on disk until the next restore, in case the restore has
# to be undone by hand.
cmd_rejoin() {
  load_server_args
  joins_through_server ||
    die "this server has no --server to join through: without its database it would start a new, empty cluster; restore on this server instead"
  ! k3s_active || die "k3s is running on this server: stop it first"
  if [[ -d "$DB_DIR" ]]; then
    rm -rf "${DB_DIR}.before-restore"
    mv "$DB_DIR" "${DB_DIR}.before-restore"
    log "moved ${DB_DIR} to ${DB_DIR}.before-restore"
  fi
  start_and_wait_ready
  log "joined the restored cluster"
}

load_params
case "${1:-}" in
  check) cmd_check ;;
  stop) cmd_stop ;;
  reset) cmd_reset "${2:-}" ;;
  rejoin) cmd_rejoin ;;
  *) die "usage: etcd-restore.sh check | stop | reset <snapshot> | rejoin" ;;
esac
