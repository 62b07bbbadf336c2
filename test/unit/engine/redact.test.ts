import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets } from "../../../app/engine/redact";

// Each secret must disappear; each harmless neighbour must survive unchanged.
const secrets: Array<[string, string, string]> = [
  ["AWS access key id", "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"],
  ["AWS session key id", "ASIAJEXAMPLEXEG2JICE in error", "ASIAJEXAMPLEXEG2JICE"],
  [
    "AWS secret key",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG",
  ],
  [
    "session token",
    'AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJGMEQCIF"',
    "IQoJb3JpZ2luX2VjE",
  ],
  ["password in URL", "postgres://k3s:s3cr3t%21pw@db.example:5432/k3s", "s3cr3t%21pw"],
  ["password attribute", '  + password = "hunter2hunter"', "hunter2hunter"],
  ["YAML secret", "clientSecret: abcdef123456", "abcdef123456"],
  [
    "private key",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEA",
  ],
  [
    "GitHub installation token",
    "using ghs_16C7e42F292c6912E7710c838347Ae178B4a now",
    "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
  ],
  [
    "k3s token",
    "K1074ec55daebdf54ef48294b0ddf0ce1c3cb64ee7e3d0b9ec79fbc7baf1f7ddac6::server:abc123",
    "::server:abc123",
  ],
  [
    "bearer header",
    "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
    "eyJhbGciOiJSUzI1NiJ9",
  ],
];

const harmless = [
  "  + master_user_secret = (known after apply)",
  '  + secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:k3s-bot/dev/join-token"',
  "  + manage_master_user_password = true",
  '  + name = "k3s-bot/dev/join-token"',
  "  + password = (sensitive value)",
  "Plan: 3 to add, 0 to change, 0 to destroy.",
];

describe("redactSecrets", () => {
  it.each(secrets)("removes a %s", (_name, text, secret) => {
    const redacted = redactSecrets(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain(REDACTED);
  });

  it.each(harmless)("keeps %s", (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it("removes known secret values whatever their shape", () => {
    expect(redactSecrets("value: plain-words-here", ["plain-words-here"])).toBe(
      `value: ${REDACTED}`,
    );
  });
});
