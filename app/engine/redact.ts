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
  /** Capture group holding the value, for patterns that match by key name: harmless values stay. */
  valueGroup?: number;
}

const PATTERNS: SecretPattern[] = [
  {
    name: "private key block",
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
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
      /((?:aws_?)?(?:secret_?access_?key|session_?token|security_?token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi,
    replacement: `$1${REDACTED}`,
  },
  {
    name: "GitHub token",
    pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g,
    replacement: REDACTED,
  },
  {
    name: "k3s join token",
    pattern: /\bK10[0-9a-f]{40,}::[A-Za-z0-9._-]+:[A-Za-z0-9._-]+/g,
    replacement: REDACTED,
  },
  {
    name: "password in a connection string",
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)[^\s@"']+(@)/gi,
    replacement: `$1${REDACTED}$2`,
  },
  {
    name: "password or secret assignment",
    // `key = value` (HCL, env) or `key: value` (YAML, JSON); the key must end in a secret word.
    pattern:
      /((?:^|[\s{,"'])[\w.-]*(?:password|passwd|secret|token|api_?key)["']?\s*(?:=|:\s)\s*)("[^"\n]+"|'[^'\n]+'|[^\s,;"'}]+)/gim,
    replacement: `$1"${REDACTED}"`,
    valueGroup: 2,
  },
  {
    name: "bearer token",
    pattern: /(\bAuthorization:\s*(?:Bearer|token|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi,
    replacement: `$1${REDACTED}`,
  },
];

/** Values that must never appear, whatever their shape (e.g. credentials the bot holds). */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let result = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 6) result = result.split(secret).join(REDACTED);
  }
  for (const { pattern, replacement, valueGroup } of PATTERNS) {
    result = result.replace(pattern, (...match) => {
      if (valueGroup !== undefined) {
        const value = String(match[valueGroup] ?? "").replace(/^["']|["']$/g, "");
        if (isHarmlessValue(value)) return String(match[0]);
      }
      return replacement.replace(/\$(\d)/g, (_, group: string) =>
        String(match[Number(group)] ?? ""),
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
    value.startsWith("(") ||
    /^(true|false|null|\d+)$/.test(value) ||
    value.startsWith("arn:") ||
    value.startsWith("${") ||
    value === REDACTED
  );
}
