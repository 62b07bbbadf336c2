# shellcheck shell=bash
# Variables set here are used by the scripts that source this file:
# shellcheck disable=SC2034
# Shared helpers for the k3s-bot node bootstrap scripts (sourced, never run on its own).
#
# Every path goes through K3S_BOT_ROOT so tests can run the real scripts in a temp dir with stub
# commands on PATH; on a node K3S_BOT_ROOT is empty and the paths are the real ones.
# Waits are bounded by K3S_BOT_WAIT_ATTEMPTS x K3S_BOT_WAIT_SECONDS (15 minutes by default:
# long enough for a fresh control plane to come up behind the NLB, short enough to fail visibly).

ROOT="${K3S_BOT_ROOT:-}"
PARAMS_FILE="${ROOT}/etc/k3s-bot/params.env"
K3S_CONFIG_DIR="${ROOT}/etc/rancher/k3s"
K3S_CONFIG_FILE="${K3S_CONFIG_DIR}/config.yaml"
K3S_BOT_LIB="${ROOT}/opt/k3s-bot"
IMDS="${K3S_BOT_IMDS_ENDPOINT:-http://169.254.169.254}"
WAIT_ATTEMPTS="${K3S_BOT_WAIT_ATTEMPTS:-90}"
WAIT_SECONDS="${K3S_BOT_WAIT_SECONDS:-10}"
# Secrets Manager version ids of the first value of each token secret. Fixed per cluster on
# purpose: concurrent PutSecretValue calls with the same ClientRequestToken but different values
# cannot both create that version, so exactly one server's candidate becomes the token (see
# ensure_token). The join (server) token and the agent token each have their own secret.
JOIN_TOKEN_VERSION="k3s-bot-join-token-initial-version-0001"
AGENT_TOKEN_VERSION="k3s-bot-agent-token-initial-version-0001"
# Second, idempotent versions: the winner upgrades both tokens to k3s' full form (K10<ca-hash>::...)
# once its CA exists, so nodes joining later also verify the server certificate.
SECURE_TOKEN_VERSION="k3s-bot-join-token-secure-version-0002"
AGENT_SECURE_TOKEN_VERSION="k3s-bot-agent-token-secure-version-0002"

log() { printf 'k3s-bot: %s\n' "$*" >&2; }
die() {
  printf 'k3s-bot: FATAL: %s\n' "$*" >&2
  exit 1
}

load_params() {
  [[ -r "$PARAMS_FILE" ]] || die "missing parameters file $PARAMS_FILE (written by user data)"
  # shellcheck source=/dev/null
  . "$PARAMS_FILE"
  : "${K3S_BOT_CLUSTER_NAME:?}" "${K3S_BOT_REGION:?}" "${K3S_BOT_K3S_VERSION:?}"
  : "${K3S_BOT_API_ENDPOINT:?}" "${K3S_BOT_AGENT_TOKEN_SECRET_ARN:?}"
  API_URL="https://${K3S_BOT_API_ENDPOINT}:6443"
  ensure_aws_cli
}

# IMDSv2 only: a session token from PUT /latest/api/token, then every GET carries it. The launch
# template sets http_tokens=required, so an IMDSv1 call would fail anyway; this makes it explicit.
imds_get() {
  local path="$1" token
  token="$(curl -sS -f --retry 5 --max-time 5 -X PUT "${IMDS}/latest/api/token" \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 300")" || die "IMDSv2 token request failed"
  curl -sS -f --retry 5 --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" \
    "${IMDS}/latest/meta-data/${path}"
}

load_instance_identity() {
  INSTANCE_ID="$(imds_get instance-id)" || die "cannot read instance-id from IMDS"
  AZ="$(imds_get placement/availability-zone)" || die "cannot read availability zone from IMDS"
  # cloud-provider-aws requires the node name to be the EC2 private DNS name.
  NODE_NAME="$(imds_get local-hostname)" || die "cannot read local-hostname from IMDS"
  PROVIDER_ID="aws:///${AZ}/${INSTANCE_ID}"
  log "instance ${INSTANCE_ID} in ${AZ}, node name ${NODE_NAME}"
}

# Ubuntu's AMIs (the stack's image) ship without the AWS CLI; Canonical's images do ship snapd,
# and the aws-cli snap is published by AWS, signed through the Snap Store.
ensure_aws_cli() {
  command -v aws >/dev/null && return 0
  log "installing the AWS CLI (snap aws-cli)"
  snap install aws-cli --classic || die "cannot install the AWS CLI"
  PATH="${PATH}:${ROOT}/snap/bin"
  command -v aws >/dev/null || die "the AWS CLI is not on PATH after installing it"
}

aws_() { aws --region "$K3S_BOT_REGION" "$@"; }

# Prints the current value of a secret. Returns 2 when the secret exists but has no value yet,
# 1 on any other error (message on stderr).
secret_value() {
  local arn="$1" out err rc=0
  err="$(mktemp)"
  out="$(aws_ secretsmanager get-secret-value --secret-id "$arn" \
    --query SecretString --output text 2>"$err")" || rc=$?
  if ((rc != 0)); then
    if grep -q "ResourceNotFoundException" "$err" && grep -qi "staging label" "$err"; then
      rm -f "$err"
      return 2
    fi
    cat "$err" >&2
    rm -f "$err"
    return 1
  fi
  rm -f "$err"
  printf '%s' "$out"
}

# Writes a value to a secret without putting it on any command line: the CLI reads it from a
# root-only temporary file (file://), so it never shows in ps or /proc/*/cmdline.
# With a version id (ClientRequestToken) the write is idempotent for the same value and refused for
# a different one: that refusal is what makes the join token race-free.
put_secret_from_stdin() {
  local arn="$1" version="${2:-}" tmp rc=0
  local -a version_arg=()
  [[ -n "$version" ]] && version_arg=(--client-request-token "$version")
  tmp="$(umask 077 && mktemp)"
  cat >"$tmp"
  aws_ secretsmanager put-secret-value --secret-id "$arn" \
    "${version_arg[@]}" --secret-string "file://${tmp}" >/dev/null || rc=$?
  rm -f "$tmp"
  return "$rc"
}

# A cluster token (the join token, the agent token): created once per cluster, race-free.
# Usage: ensure_token <secret-arn> <version-id> <what>. Every server that finds the secret empty
# generates a random candidate and writes it as <version-id>. Secrets Manager refuses a second,
# different value for an existing version id, so exactly one write succeeds; everyone then reads
# AWSCURRENT and uses the winner's token. Sets TOKEN and TOKEN_WON (true on the winning server).
ensure_token() {
  local arn="$1" version="$2" what="$3" rc=0 candidate
  TOKEN_WON=false
  TOKEN="$(secret_value "$arn")" || rc=$?
  if ((rc == 0)); then
    log "${what} exists; joining the cluster"
    return 0
  fi
  ((rc == 2)) || die "cannot read ${what} secret ${arn}"
  candidate="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  if printf '%s' "$candidate" | put_secret_from_stdin "$arn" "$version"; then
    log "${what} created by this server (first writer wins)"
  else
    log "another server created the ${what} first; using theirs"
  fi
  # Read back through the same bounded wait: a fresh version may take a moment to be visible.
  wait_for_token "$arn" "$what"
  if [[ "$TOKEN" == "$candidate" ]]; then TOKEN_WON=true; fi
  return 0
}

# Workers (and joining etcd servers) only read a token; it may not exist yet when the worker
# ASG boots alongside the first server, so wait for it like for the API.
# Usage: wait_for_token <secret-arn> <what>. Sets TOKEN.
wait_for_token() {
  local arn="$1" what="$2" i rc
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    rc=0
    TOKEN="$(secret_value "$arn")" || rc=$?
    ((rc == 0)) && return 0
    ((rc == 2)) || die "cannot read ${what} secret ${arn}"
    log "${what} not created yet (attempt ${i}/${WAIT_ATTEMPTS}); waiting ${WAIT_SECONDS}s"
    sleep "$WAIT_SECONDS"
  done
  die "${what} still missing after ${WAIT_ATTEMPTS} attempts"
}

# k3s answers /ping without credentials once the supervisor is up. -k: the node has no CA yet;
# k3s itself verifies the CA through the token when it is in the full K10 form.
wait_for_api() {
  local i
  for ((i = 1; i <= WAIT_ATTEMPTS; i++)); do
    if curl -ksS -f --max-time 5 "${API_URL}/ping" >/dev/null 2>&1; then
      log "API ${API_URL} answers (attempt ${i}/${WAIT_ATTEMPTS})"
      return 0
    fi
    log "API ${API_URL} not answering yet (attempt ${i}/${WAIT_ATTEMPTS}); waiting ${WAIT_SECONDS}s"
    sleep "$WAIT_SECONDS"
  done
  die "API ${API_URL} did not answer after ${WAIT_ATTEMPTS} attempts"
}

# Starts the root-only k3s config file with the node's token (the join token on servers, the
# agent token on workers): it, the agent token and the datastore endpoint live here, never on a
# command line, in the systemd unit or in user data.
start_k3s_config() {
  (umask 077 && mkdir -p "$K3S_CONFIG_DIR")
  (umask 077 && : >"$K3S_CONFIG_FILE")
  chmod 600 "$K3S_CONFIG_FILE"
  printf 'token: "%s"\n' "$1" >>"$K3S_CONFIG_FILE"
}

# The installer comes from the k3s repository at the very tag being installed (an immutable git
# tag), not from get.k3s.io (which serves whatever is on master). It is saved to a file, checked
# against K3S_BOT_INSTALLER_SHA256 when the stack provides one, and run with the pinned version;
# the installer itself verifies the k3s binary against the release's sha256sum file.
install_k3s() {
  local exec_line="$1" tag installer
  tag="${K3S_BOT_K3S_VERSION//+/%2B}"
  installer="$(mktemp)"
  curl -sS -f -L --proto '=https' --tlsv1.2 --retry 5 --max-time 60 -o "$installer" \
    "https://raw.githubusercontent.com/k3s-io/k3s/${tag}/install.sh" ||
    die "cannot download the k3s installer for ${K3S_BOT_K3S_VERSION}"
  if [[ -n "${K3S_BOT_INSTALLER_SHA256:-}" ]]; then
    echo "${K3S_BOT_INSTALLER_SHA256}  ${installer}" | sha256sum -c --status ||
      die "k3s installer checksum mismatch"
  fi
  log "installing k3s ${K3S_BOT_K3S_VERSION}: ${exec_line}"
  # SELinux: the stack's image is Ubuntu 24.04, which confines with AppArmor and has no SELinux.
  # install.sh's setup_selinux returns at once when INSTALL_K3S_SKIP_SELINUX_RPM=true (so
  # INSTALL_K3S_SELINUX_WARN changes nothing), and its RPM step only acts on RPM-based systems;
  # skipping is explicit so an image that ships /usr/share/selinux never reaches for an RPM repo.
  INSTALL_K3S_VERSION="$K3S_BOT_K3S_VERSION" INSTALL_K3S_EXEC="$exec_line" \
    INSTALL_K3S_SKIP_SELINUX_RPM=true INSTALL_K3S_SELINUX_WARN=true \
    sh "$installer" || die "k3s installer failed"
  rm -f "$installer"
}
