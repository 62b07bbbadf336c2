#!/usr/bin/env bash
# Writes k3s' datastore settings (PostgreSQL on RDS) into its config file from the current RDS
# master user secret. RDS rotates that secret itself (every 7 days by default: Amazon RDS User
# Guide, "Password management with Amazon RDS and AWS Secrets Manager"), so a password read once
# at boot goes stale: the next k3s restart, reboot or RDS failover would leave the server without
# a datastore while /ping keeps the NLB health check green. It therefore runs:
#   - at first boot, from k3s-server.sh, before k3s is installed;
#   - before every k3s start, as ExecStartPre of k3s.service (k3s-bot-datastore.conf): a restart,
#     a reboot or systemd restarting k3s after the datastore refused it reads the secret again;
#   - every few minutes from k3s-bot-datastore.timer with --restart-on-change: once the secret
#     holds a new password, the config is rewritten and k3s restarted, before its connection
#     pool needs a new connection with the old one.
# The RDS CA bundle (verify-full) is fetched when missing; a failed fetch or read keeps the
# previous settings when there are some, and fails otherwise.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_params
: "${K3S_BOT_DB_ADDRESS:?}" "${K3S_BOT_DB_PORT:?}" "${K3S_BOT_DB_NAME:?}" "${K3S_BOT_DB_SECRET_ARN:?}"
: "${K3S_BOT_DB_CA_BUNDLE_URL:?}"
restart_on_change=false
[[ "${1:-}" == --restart-on-change ]] && restart_on_change=true
DB_CA_FILE="${K3S_CONFIG_DIR}/rds-ca-bundle.pem"

configured() { grep -q '^datastore-endpoint:' "$K3S_CONFIG_FILE" 2>/dev/null; }
give_up() {
  if configured; then
    log "warning: $*; keeping the datastore settings k3s has"
    exit 0
  fi
  die "$*"
}

# The regional bundle of AWS' RDS trust store (Amazon RDS User Guide, "Certificate bundles by
# AWS Region"), over HTTPS checked against the system CAs. Too big for user data (16 KB).
if [[ ! -s "$DB_CA_FILE" ]]; then
  tmp="$(mktemp)"
  if curl -sS -f -L --proto '=https' --tlsv1.2 --retry 5 --max-time 60 -o "$tmp" \
    "$K3S_BOT_DB_CA_BUNDLE_URL" && grep -q -- '-----BEGIN CERTIFICATE-----' "$tmp"; then
    install -m 0644 "$tmp" "$DB_CA_FILE"
    rm -f "$tmp"
  else
    rm -f "$tmp"
    give_up "cannot download the RDS CA bundle ${K3S_BOT_DB_CA_BUNDLE_URL}"
  fi
fi

db_secret="$(secret_value "$K3S_BOT_DB_SECRET_ARN")" ||
  give_up "cannot read the RDS master user secret ${K3S_BOT_DB_SECRET_ARN}: the datastore endpoint cannot be built"
# The helper reads the secret on stdin and rewrites the root-only config file in place.
result="$(printf '%s' "$db_secret" | python3 "${K3S_BOT_LIB}/datastore-endpoint.py" \
  "$K3S_CONFIG_FILE" "${DB_CA_FILE#"$ROOT"}" "$K3S_BOT_DB_ADDRESS" "$K3S_BOT_DB_PORT" \
  "$K3S_BOT_DB_NAME")" ||
  give_up "the RDS master user secret ${K3S_BOT_DB_SECRET_ARN} is not JSON with username and password"
unset db_secret

if [[ "$result" == changed && "$restart_on_change" == true ]]; then
  log "the RDS master user password changed; restarting k3s with the new one"
  systemctl restart k3s.service
fi
