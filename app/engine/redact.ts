/**
 * Removes secret-shaped text from anything we show people: PR comments, check runs, logs.
 *
 * Terraform already prints `(sensitive value)` for values marked sensitive; this catches what it
 * cannot know about (a key pasted into a tag, a token in an error message from AWS).
 */

export const REDACTED = "<redacted>";

interface SecretPattern {
  name: string;
  pattern: RegExp;
  /** Replacement; `$1` etc. keep the non-secret part (e.g. the key name before a password). */
  replacement: string;
  /** 2 for the key = value pattern, whose values (old and new) stay when harmless. */
  valueGroup?: 2;
  /** A match for which this is true is not a secret after all, and stays. */
  keep?: (match: string) => boolean;
}

/** A value next to a secret-sounding key: quoted, or bare up to a separator. */
const VALUE = String.raw`("[^"\n]*"|'[^'\n]*'|[^\s,;&"'}]+)`;

const PATTERNS: SecretPattern[] = [
  {
    name: "private key block",
    // To its END line, or to the end of the text when the END line was cut off.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replacement: REDACTED,
  },
  {
    name: "AWS access key id with its secret next to it (credentials CSV, key:secret)",
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}[\s,:;|"']+[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g,
    replacement: REDACTED,
  },
  {
    name: "AWS access key id",
    pattern: /\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
    replacement: REDACTED,
  },
  {
    name: "AWS secret or session token assignment",
    pattern:
      /((?:aws_?)?(?:secret_?(?:access_?)?key|session_?token|x-amz-security-token|security[_-]?token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    name: "AWS session token (STS), wherever it stands",
    pattern: /\b(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+=]{20,}/g,
    replacement: REDACTED,
  },
  {
    name: "kubeconfig client key (base64 of a PEM private key)",
    // kubectl's kubeconfig carries the admin's key as `client-key-data: <base64>`.
    pattern: /(\bclient-key-data["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=]+/g,
    replacement: `$1${REDACTED}`,
  },
  {
    name: "base64 of a PEM private key, wherever it stands",
    // "LS0tLS1CRUdJTi" is base64 of "-----BEGIN"; a certificate (not secret) stays.
    pattern: /\bLS0tLS1CRUdJTi[A-Za-z0-9+/]{16,}={0,2}/g,
    replacement: REDACTED,
    keep: (match) =>
      !Buffer.from(match.slice(0, 80), "base64").toString("latin1").includes("PRIVATE KEY"),
  },
  {
    name: "GitHub token",
    pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g,
    replacement: REDACTED,
  },
  {
    name: "JSON Web Token (OIDC tokens, GitHub App JWTs)",
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    replacement: REDACTED,
  },
  {
    name: "Slack token",
    pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
    replacement: REDACTED,
  },
  {
    name: "k3s join token",
    pattern: /\bK10[0-9a-f]{40,}::[A-Za-z0-9._-]+:[A-Za-z0-9._-]+/g,
    replacement: REDACTED,
  },
  {
    name: "k3s token flag",
    // A shell variable (`--token $TOKEN`) is a reference, not the token.
    pattern: /(--(?:agent-)?token(?:=|\s+)["']?)[^\s"'$][^\s"']*/g,
    replacement: `$1${REDACTED}`,
  },
  {
    name: "password in a connection string",
    // scheme://[user]:password@host; the password runs to the last @ of the address, since
    // passwords may hold @ and : themselves.
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s"']+?(@)(?=[^\s"'@]*(?:[\s"']|$))/gi,
    replacement: `$1${REDACTED}$2`,
  },
  {
    name: "password or secret assignment",
    // `key = value` (HCL, env, query strings, ADO), `key: value` (YAML, JSON); the key must end
    // in a secret word. A Terraform change (`"old" -> "new"`) has its new value redacted too.
    pattern: new RegExp(
      String.raw`((?:^|[\s{,"'&;?])[\w.-]*(?:password|passwd|pwd|secret|secret[_-]?(?:access[_-]?)?key|token|api[_-]?key|private[_-]?key)["']?\s*[=:]\s*)${VALUE}(?:(\s*->\s*)${VALUE})?`,
      "gim",
    ),
    replacement: `$1"${REDACTED}"`,
    valueGroup: 2,
  },
  {
    name: "bearer token",
    pattern: /(\bAuthorization:\s*(?:Bearer|token|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    name: "64 or more hex digits standing alone (k3s and random tokens, `openssl rand -hex 32`)",
    // An image digest (`sha256:<hex>`) names content, not a secret, and stays; a 40-digit commit
    // SHA is shorter and never matches. Last: the k3s join token (K10<hex>::…) goes whole first.
    pattern: /(?<![0-9A-Fa-f])(?<!sha256:)[0-9A-Fa-f]{64,}(?![0-9A-Fa-f])/g,
    replacement: REDACTED,
  },
];

/** Values that must never appear, whatever their shape (e.g. credentials the bot holds). */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let result = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 6) result = result.split(secret).join(REDACTED);
  }
  for (const { pattern, replacement, valueGroup, keep } of PATTERNS) {
    result = result.replace(pattern, (...match) => {
      const groups = match.slice(0, -2) as (string | undefined)[];
      if (keep?.(String(groups[0]))) return String(groups[0]);
      const unquote = (value: string | undefined) =>
        String(value ?? "").replace(/^["']|["']$/g, "");
      if (valueGroup === 2) {
        // key = old [-> new]: each value redacted unless harmless.
        const [, key, old, arrow, next] = groups;
        const shown = (value: string | undefined) =>
          isHarmlessValue(unquote(value)) ? String(value) : `"${REDACTED}"`;
        return `${key}${shown(old)}${arrow === undefined ? "" : `${arrow}${shown(next)}`}`;
      }
      return replacement.replace(/\$(\d)/g, (_, group: string) =>
        String(groups[Number(group)] ?? ""),
      );
    });
  }
  return result;
}

/**
 * Values next to a secret-sounding key that are not secrets: Terraform's placeholders, booleans,
 * references to where a secret lives (ARNs, names), and empty values.
 */
function isHarmlessValue(value: string): boolean {
  return (
    value === "" ||
    // Terraform's placeholders, (sensitive value) and (known after apply), not any "(…".
    /^\((?:sensitive|known)\b/.test(value) ||
    /^(true|false|null|\d+)$/.test(value) ||
    value.startsWith("arn:") ||
    value.startsWith("${") ||
    value === REDACTED
  );
}
