/**
 * The environment a Terraform process gets: an allow-list of the bot's own environment, never
 * all of it. The bot holds the GitHub App's private key (PRIVATE_KEY), its webhook secret, its
 * client secret and tokens; Terraform and the provider plugins it starts need none of them, and
 * a definition can make Terraform print or send what it can read (an `external` data source, a
 * provider with a debug log), so what it cannot read it cannot leak.
 *
 * What passes:
 * - the process basics: PATH (Terraform finds nothing else without it), HOME (the AWS provider's
 *   ~/.aws files), USER, LANG/LC_*, TZ, TMPDIR/TMP/TEMP;
 * - TF_* (Terraform's own settings: TF_LOG, TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR, …) and
 *   CHECKPOINT_DISABLE;
 * - AWS_* (credentials, region, profile, config and credentials files, web identity token file,
 *   container credentials URIs, CA bundle, endpoint overrides) and ECS_CONTAINER_METADATA_URI*,
 *   which the AWS SDK for Go reads for the task role;
 * - proxies (HTTP_PROXY, HTTPS_PROXY, NO_PROXY in either case) and the TLS roots
 *   (SSL_CERT_FILE, SSL_CERT_DIR), without which a bot behind a proxy cannot reach AWS;
 * - names the operator lists in K3S_BOT_TERRAFORM_ENV (comma-separated), for anything else a
 *   deployment needs.
 *
 * Everything else the bot holds stays with the bot: APP_ID, PRIVATE_KEY, PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, GITHUB_TOKEN, GITHUB_CLIENT_SECRET, NODE_OPTIONS, and the rest.
 */

/** Exact names that pass. */
const NAMES = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "TZ",
  "TMPDIR",
  "TMP",
  "TEMP",
  "CHECKPOINT_DISABLE",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
]);

/** Prefixes that pass: Terraform's settings, AWS's, the locale's, the ECS task role's. */
const PREFIXES = ["TF_", "AWS_", "LC_", "ECS_CONTAINER_METADATA_URI"];

/** The operator's additions: K3S_BOT_TERRAFORM_ENV="NAME1,NAME2". */
export const EXTRA_ENV_SETTING = "K3S_BOT_TERRAFORM_ENV";

function extraNames(source: NodeJS.ProcessEnv): Set<string> {
  return new Set(
    (source[EXTRA_ENV_SETTING] ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}

/** Whether a variable of the bot's environment is handed to Terraform. */
export function passesToTerraform(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  return NAMES.has(name) || PREFIXES.some((prefix) => name.startsWith(prefix)) || extra.has(name);
}

/** The part of `source` (the bot's environment) that Terraform may see. */
export function terraformChildEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const extra = extraNames(source);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && passesToTerraform(name, extra)) env[name] = value;
  }
  return env;
}
