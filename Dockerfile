# syntax=docker/dockerfile:1
# k3s-bot, the GitHub App server (Probot), with Terraform and the AWS provider inside: the
# container needs no Terraform registry at runtime, only GitHub and the AWS APIs.
#
#   docker build -t k3s-bot .
#   docker run --rm -p 3000:3000 --env-file bot.env \
#     -v "$PWD/k3s-bot.pem:/run/secrets/k3s-bot.pem:ro" -v k3s-bot-work:/var/lib/k3s-bot k3s-bot
#
# bot.env holds APP_ID, WEBHOOK_SECRET and PRIVATE_KEY_PATH=/run/secrets/k3s-bot.pem: not
# Probot's .env, whose multi-line quoted PRIVATE_KEY `docker --env-file` cannot read (README).
# The server speaks plain HTTP on 3000: put it behind a TLS-terminating proxy or load balancer,
# since GitHub delivers webhooks only to an HTTPS URL you give it.
#
# Settings are environment variables (README, "Running the bot"): APP_ID, PRIVATE_KEY (or
# PRIVATE_KEY_PATH to a mounted file), WEBHOOK_SECRET, AWS_REGION and AWS credentials (better: a
# task/instance role), K3S_BOT_MAX_TERRAFORM, K3S_BOT_TIMEOUT_MINUTES, K3S_BOT_DELIVERY_TABLE.
# None is baked in here.
#
# For reproducible builds pin the base image by digest too (node:24-bookworm-slim@sha256:…).

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
# Terraform and the AWS provider, downloaded and verified: HashiCorp's signature on the
# SHA256SUMS file (key checked by fingerprint), then each archive against SHA256SUMS. Inside
# fetch() every step is chained with && (errexit does not apply inside an && list), so any
# failed download or check fails the build.
FROM ${NODE_IMAGE} AS terraform
ARG TERRAFORM_VERSION=1.11.4
ARG AWS_PROVIDER_VERSION=5.100.0
# HashiCorp's release signing key (https://www.hashicorp.com/security).
ARG HASHICORP_KEY_FINGERPRINT=C874011F0AB405110D02105534365D9472D7468F
# Set by BuildKit (the default builder) from --platform. No default here: a declared default
# replaces the automatic value, so an arm64 build would fetch amd64 binaries (docker/buildx
# issue #510, read 2026-11-29). The legacy builder leaves it empty and the build stops.
ARG TARGETARCH
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /downloads
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN test -n "${TARGETARCH}" || { echo "TARGETARCH is empty: build with BuildKit (docker buildx build)" >&2; exit 1; } \
 && export GNUPGHOME="$(mktemp -d)" \
 && curl -fsSL https://www.hashicorp.com/.well-known/pgp-key.txt | gpg --batch --import \
 && gpg --batch --with-colons --fingerprint | grep -q "^fpr:::::::::${HASHICORP_KEY_FINGERPRINT}:" \
 && fetch() { \
      local product="$1" version="$2"; \
      local base="https://releases.hashicorp.com/${product}/${version}" sums="${product}_${version}_SHA256SUMS"; \
      curl -fsSLO "${base}/${product}_${version}_linux_${TARGETARCH}.zip" \
      && curl -fsSLO "${base}/${sums}" \
      && curl -fsSLO "${base}/${sums}.sig" \
      && gpg --batch --verify "${sums}.sig" "${sums}" \
      && grep " ${product}_${version}_linux_${TARGETARCH}.zip\$" "${sums}" | sha256sum -c -; \
    } \
 && fetch terraform "${TERRAFORM_VERSION}" \
 && fetch terraform-provider-aws "${AWS_PROVIDER_VERSION}" \
 && mkdir -p /out/bin \
 && unzip -q "terraform_${TERRAFORM_VERSION}_linux_${TARGETARCH}.zip" terraform -d /out/bin \
 && mirror="/out/tf-plugins/registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}/linux_${TARGETARCH}" \
 && mkdir -p "${mirror}" \
 && unzip -q "terraform-provider-aws_${AWS_PROVIDER_VERSION}_linux_${TARGETARCH}.zip" -d "${mirror}" \
 && /out/bin/terraform version \
 && rm -rf "${GNUPGHOME}" /downloads/*

# ---------------------------------------------------------------------------------------------
# Production dependencies only, exactly as locked.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# The lock file also carries a Node 24 binary as an optional package, for developer machines
# whose own Node is older (package.json, optionalDependencies); the image has its own Node 24.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
 && rm -rf node_modules/node-linux-* node_modules/.bin/node

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# Terraform talks to AWS with the system's CA bundle.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 k3sbot \
 && useradd --system --uid 10001 --gid k3sbot --home-dir /var/lib/k3s-bot --create-home k3sbot
COPY --from=terraform /out/bin/terraform /usr/local/bin/terraform
COPY --from=terraform /out/tf-plugins /opt/tf-plugins
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
ENV NODE_ENV=production \
    PORT=3000 \
    K3S_BOT_WORK_DIR=/var/lib/k3s-bot/work \
    K3S_BOT_CACHE_DIR=/var/lib/k3s-bot/cache \
    K3S_BOT_PROVIDER_MIRROR=/opt/tf-plugins \
    CHECKPOINT_DISABLE=1
# Code and tools are root-owned and read-only to the bot; it writes only its own home.
USER k3sbot:k3sbot
VOLUME ["/var/lib/k3s-bot"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# probot run loads the TypeScript app through tsx: Node 24 strips types, but our imports name
# modules without their .ts extension, which only tsx's resolver accepts.
CMD ["node", "--import", "tsx", "node_modules/probot/bin/probot.js", "run", "./app/index.ts"]
