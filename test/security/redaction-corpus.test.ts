// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform text, not JS templates.
/**
 * Secret shapes: each secret, in each of the contexts it turns up in (plan
 * text, Terraform errors, AWS SDK errors, env dumps, JSON, HCL, YAML), is run through
 * redactSecrets and through every path that renders text for a PR comment or check run: the
 * plan Markdown, the Terraform error excerpt, describeError, and the comment bodies for failed
 * plans and applies, applied outputs, unexpected failures and the hand-off. No secret, and no
 * distinctive piece of one, may survive. Secrets are generated from a fixed seed, so none of
 * them is a well-known example string that a pattern could special-case.
 */
import { describe, expect, it } from "vitest";
import * as text from "../../app/bot/comments";
import { describeError } from "../../app/engine/cluster-runs";
import { renderPlanMarkdown } from "../../app/engine/plan/markdown";
import type { PlanSummary } from "../../app/engine/plan/summary";
import type { PlanMetadata } from "../../app/engine/plan-store";
import { REDACTED, redactSecrets } from "../../app/engine/redact";
import { TerraformError } from "../../app/engine/terraform/runner";

// ---------------------------------------------------------------------------------------------
// Deterministic random secrets

let seed = 20_261_108;
function random(): number {
  // xorshift32: every bit varies (a plain LCG's low bits repeat with a short period).
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function pick(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[random() % alphabet.length]).join("");
}
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64 = `${ALNUM}+/`;
const BASE64URL = `${ALNUM}-_`;
const HEX = "0123456789abcdef";
/** Passwords as people and generators make them, URL-hostile characters included. */
const PASSWORD = `${ALNUM}!#%^*()-_+[]~.`;

interface Secret {
  /** What it is. */
  kind: string;
  /** The text around it, as it appears in real output; {} marks where the secret goes. */
  contexts: string[];
  value: string;
}

function secret(kind: string, value: string, contexts: string[]): Secret {
  return { kind, value, contexts };
}

const pem = (label: string) => {
  const body = Array.from({ length: 6 }, () => pick(BASE64, 64)).join("\n");
  return `-----BEGIN ${label}-----\n${body}\n${pick(BASE64, 20)}==\n-----END ${label}-----`;
};
const jwt = () => {
  const part = (json: string) => Buffer.from(json).toString("base64url");
  return `${part('{"alg":"RS256","typ":"JWT"}')}.${part(`{"sub":"${pick(ALNUM, 12)}","iat":1700000000}`)}.${pick(BASE64URL, 86)}`;
};

const PLAN_ATTRIBUTE = ['      + {key} = "{}"', '      ~ {key} = "old" -> "{}"'];

function buildCorpus(): Secret[] {
  const corpus: Secret[] = [];
  for (let i = 0; i < 4; i++) {
    corpus.push(
      secret("AWS access key id (AKIA)", `AKIA${pick(UPPER_DIGITS, 16)}`, [
        "{}",
        "AWS_ACCESS_KEY_ID={}",
        '"AccessKeyId": "{}",',
        "The security token included in the request is invalid. (key {})",
        "aws_access_key_id = {}",
      ]),
      secret("AWS temporary key id (ASIA)", `ASIA${pick(UPPER_DIGITS, 16)}`, [
        "{}",
        '{"Credentials":{"AccessKeyId":"{}"}}',
        "export AWS_ACCESS_KEY_ID={}",
      ]),
      secret("AWS secret access key", pick(BASE64, 40), [
        "aws_secret_access_key = {}",
        "AWS_SECRET_ACCESS_KEY={}",
        'export AWS_SECRET_ACCESS_KEY="{}"',
        '"SecretAccessKey": "{}",',
        '{"Credentials":{"SecretAccessKey":"{}"}}',
        `AKIA${pick(UPPER_DIGITS, 16)},{}`,
        `AKIA${pick(UPPER_DIGITS, 16)}:{}`,
        "secret_key = {}",
      ]),
      secret("AWS session token", `IQoJb3JpZ2luX2Vj${pick(BASE64, 300)}`, [
        "aws_session_token = {}",
        "AWS_SESSION_TOKEN={}",
        '"SessionToken": "{}"',
        "{}",
        "X-Amz-Security-Token: {}",
      ]),
      secret("AWS session token (older format)", `FwoGZXIvYXdzE${pick(BASE64, 200)}`, [
        "{}",
        "token={}",
      ]),
      secret("GitHub personal token", `ghp_${pick(ALNUM, 36)}`, [
        "{}",
        "Authorization: token {}",
        "https://x-access-token:{}@github.com/acme/platform.git",
        "GITHUB_TOKEN={}",
      ]),
      secret("GitHub installation token", `ghs_${pick(ALNUM, 36)}`, [
        "{}",
        "Authorization: Bearer {}",
        "remote: https://x-access-token:{}@github.com/acme/platform",
        '{"token":"{}","expires_at":"2026-11-08T00:00:00Z"}',
      ]),
      secret("GitHub OAuth / user / refresh token", `gh${"our"[i % 3]}_${pick(ALNUM, 36)}`, ["{}"]),
      secret("GitHub fine-grained token", `github_pat_11${pick(ALNUM, 20)}_${pick(ALNUM, 59)}`, [
        "{}",
        "GH_TOKEN={}",
      ]),
      secret("password in a postgres:// URL", pick(PASSWORD, 16), [
        "postgres://k3s:{}@db.internal:5432/k3s",
        "postgresql://k3s:{}@k3s.cluster-xyz.eu-central-1.rds.amazonaws.com:5432/k3s?sslmode=require",
        '--datastore-endpoint="postgres://k3s:{}@db:5432/k3s"',
        "K3S_DATASTORE_ENDPOINT=postgres://k3s:{}@db:5432/k3s",
      ]),
      secret(
        "password with @ and : in a URL",
        `${pick(ALNUM, 6)}@${pick(ALNUM, 5)}:${pick(ALNUM, 5)}`,
        ["postgres://k3s:{}@db.internal:5432/k3s", "mysql://root:{}@mysql:3306/app"],
      ),
      secret("password in a mysql:// URL", pick(PASSWORD, 14), [
        "mysql://root:{}@tcp(db:3306)/app",
        "mysql://admin:{}@db.example:3306/app",
        "mongodb+srv://app:{}@cluster0.example.mongodb.net/db",
        "redis://:{}@cache:6379/0",
        "amqp://guest:{}@mq:5672/",
      ]),
      secret("password in a JDBC or query string", pick(PASSWORD, 12), [
        "jdbc:postgresql://db:5432/k3s?user=k3s&password={}",
        "https://db.example/connect?user=k3s&password={}&ssl=true",
        "Server=db;Database=app;User Id=sa;Password={};",
      ]),
      secret("password assignment", pick(ALNUM, 18), [
        ...PLAN_ATTRIBUTE.map((line) => line.replace("{key}", "password")),
        ...PLAN_ATTRIBUTE.map((line) => line.replace("{key}", "master_password")),
        'password: "{}"',
        "PGPASSWORD={}",
        '{"username":"k3s","password":"{}"}',
        '"client_secret": "{}"',
        "db_password={}",
        "admin-password: {}",
        "MYSQL_ROOT_PASSWORD={}",
      ]),
      secret("JWT", jwt(), [
        "{}",
        "Authorization: Bearer {}",
        '{"id_token":"{}"}',
        "token: {}",
        "OIDC token {} rejected",
      ]),
      secret("k3s join token (server)", `K10${pick(HEX, 64)}::server:${pick(HEX, 32)}`, [
        "{}",
        "K3S_TOKEN={}",
        "--token {}",
        "--token={}",
        "k3s agent --server https://api:6443 --token {}",
      ]),
      secret("k3s join token (node)", `K10${pick(HEX, 64)}::node:${pick(ALNUM, 24)}`, [
        "{}",
        '"token": "{}"',
      ]),
      secret("k3s short token", pick(ALNUM, 32), [
        "K3S_TOKEN={}",
        "--token {}",
        "--agent-token={}",
        "token: {}",
      ]),
      secret("RSA private key", pem("RSA PRIVATE KEY"), [
        "{}",
        "Error: invalid key:\n{}\n\nsomething else",
        "      + private_key_pem = <<-EOT\n{}\n        EOT",
      ]),
      secret("PKCS#8 private key", pem("PRIVATE KEY"), ["{}"]),
      secret("EC private key", pem("EC PRIVATE KEY"), ["{}"]),
      secret("OpenSSH private key", pem("OPENSSH PRIVATE KEY"), ["{}"]),
      secret("encrypted private key", pem("ENCRYPTED PRIVATE KEY"), ["{}"]),
      secret(
        "private key in JSON (escaped newlines)",
        pem("RSA PRIVATE KEY").replaceAll("\n", "\\n"),
        ['{"private_key":"{}"}', 'GITHUB_PRIVATE_KEY="{}"'],
      ),
      secret(
        "private key with its END line cut off",
        pem("PRIVATE KEY").split("-----END")[0] ?? "",
        ["{}"],
      ),
      secret(
        "kubeconfig client key (base64 of a PEM private key)",
        Buffer.from(pem("RSA PRIVATE KEY")).toString("base64"),
        [
          "    client-key-data: {}",
          '{"users":[{"name":"admin","user":{"client-key-data":"{}"}}]}',
          "kubeconfig:\n  users:\n  - user:\n      client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n      client-key-data: {}\n",
          "{}",
        ],
      ),
      secret("plain 64-hex token (openssl rand -hex 32)", pick(HEX, 64), [
        "{}",
        "K3S_TOKEN={}",
        "server token is {} (keep it)",
        '      + value = "{}"',
        '{"agentToken":"{}"}',
      ]),
      secret("Slack token", `xoxb-${pick("0123456789", 12)}-${pick(ALNUM, 24)}`, ["{}"]),
      secret("bearer token", pick(BASE64URL, 40), [
        "Authorization: Bearer {}",
        "authorization: bearer {}",
        "Authorization: Basic {}",
      ]),
    );
  }
  return corpus;
}

const CORPUS = buildCorpus();
const CASES = CORPUS.flatMap((s) =>
  s.contexts.map((context) => ({
    kind: s.kind,
    value: s.value,
    text: context.replaceAll("{}", () => s.value),
  })),
);

/**
 * Pieces of the secret that must not survive either: every 12-character window of its
 * high-entropy part (a secret cut in half is still half a secret).
 */
function fragments(value: string): string[] {
  const core = value
    .replace(/^-----BEGIN [A-Z ]+-----/, "")
    .replace(/-----END [A-Z ]+-----$/, "")
    .replace(
      /^(?:AKIA|ASIA|gh[pousr]_|github_pat_|xoxb-|IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|K10|LS0tLS1CRUdJTi)/,
      "",
    );
  const windows: string[] = [];
  // 12 characters of a long secret; half of a short one (a 16-character password cut at an
  // @ it contains must not leave its second half behind).
  const size = Math.min(12, Math.max(6, Math.floor(core.length / 2)));
  const step = core.length < 40 ? 1 : 4;
  for (let start = 0; start + size <= core.length; start += step) {
    const window = core.slice(start, start + size);
    // Skip windows that are mostly line breaks or the JWT header shared by every token.
    if (!/\\n|\n/.test(window)) windows.push(window);
  }
  return windows;
}

function leaks(output: string, value: string): string[] {
  const found = output.includes(value) ? [value] : [];
  return [...found, ...fragments(value).filter((fragment) => output.includes(fragment))];
}

// ---------------------------------------------------------------------------------------------
// The rendering paths

const summary: PlanSummary = {
  add: 1,
  change: 0,
  destroy: 0,
  replace: 0,
  byType: [],
  destructive: [],
  changes: [],
  outputChanges: [],
  hasChanges: true,
} as unknown as PlanSummary;

const metadata: PlanMetadata = {
  repo: "acme/platform",
  pullRequest: 7,
  cluster: "dev",
  headSha: "a".repeat(40),
  definitionHash: "b".repeat(64),
  createdAt: "2026-11-08T00:00:00Z",
  createdBy: "octocat",
  add: 1,
  change: 0,
  destroy: 0,
  hasChanges: true,
  appliedAt: "2026-11-08T00:01:00Z",
  appliedBy: "octocat",
};

const PATHS: [string, (secretText: string) => string][] = [
  ["redactSecrets", (secretText) => redactSecrets(secretText)],
  [
    "plan comment",
    (secretText) =>
      renderPlanMarkdown(
        { cluster: "dev", region: "eu-central-1" },
        summary,
        `Terraform will perform the following actions:\n\n  # aws_db_instance.k3s will be created\n  + resource "aws_db_instance" "k3s" {\n${secretText
          .split("\n")
          .map((line) => `      ${line}`)
          .join("\n")}\n    }\n\nPlan: 1 to add, 0 to change, 0 to destroy.`,
      ),
  ],
  [
    "terraform error excerpt",
    (secretText) =>
      TerraformError.excerpt({
        exitCode: 1,
        stdout: "",
        stderr: `\u001b[31m╷\u001b[0m\n│ Error: creating RDS DB Instance: ${secretText}\n│\n╵`,
        durationMs: 1,
      }),
  ],
  [
    "plan failed comment (terraform error)",
    (secretText) =>
      text.planFailed(
        "dev",
        describeError(
          new TerraformError("plan", {
            exitCode: 1,
            stdout: "",
            stderr: secretText,
            durationMs: 1,
          }),
        ),
      ),
  ],
  [
    "apply failed comment (SDK error)",
    (secretText) =>
      text.applyFailed("dev", describeError(new Error(`AccessDenied: ${secretText}`))),
  ],
  [
    "applied comment (a non-sensitive output)",
    (secretText) =>
      text.applied("dev", metadata, { endpoint: secretText, nested: { value: secretText } }),
  ],
  [
    "unexpected failure comment",
    (secretText) => text.unexpectedFailure(describeError(new Error(secretText))),
  ],
  [
    "hand-off failure comment",
    (secretText) =>
      text.handoffFailed("dev", describeError(new Error(`git push failed: ${secretText}`))),
  ],
];

describe("secret shapes corpus", () => {
  it(`holds secrets of every kind the issue names (${CORPUS.length} secrets, ${CASES.length} texts)`, () => {
    const kinds = new Set(CORPUS.map((s) => s.kind));
    for (const needed of [
      "AWS access key id (AKIA)",
      "AWS temporary key id (ASIA)",
      "AWS secret access key",
      "AWS session token",
      "GitHub installation token",
      "GitHub personal token",
      "GitHub fine-grained token",
      "RSA private key",
      "password in a postgres:// URL",
      "password in a mysql:// URL",
      "JWT",
      "k3s join token (server)",
    ])
      expect(kinds).toContain(needed);
    expect(CASES.length).toBeGreaterThanOrEqual(300);
  });

  describe.each(PATHS)("through %s", (_path, render) => {
    it.each(CASES)("$kind: $text", ({ value, text: secretText }) => {
      const output = render(secretText);
      expect(leaks(output, value)).toEqual([]);
    });
  });
});

describe("redaction keeps what is not secret", () => {
  const harmless = [
    "aws_db_instance.k3s: Creating...",
    "      + password = (sensitive value)",
    "      + master_user_secret = (known after apply)",
    "      + manage_master_user_password = true",
    '      + secret_arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:k3s-AbCdEf"',
    '      + token_secret_name = "${aws_secretsmanager_secret.token.name}"',
    "postgres://db.internal:5432/k3s",
    "https://github.com/acme/platform/pull/7",
    "instance i-0123456789abcdef0 in subnet-0a1b2c3d4e5f67890",
    "Plan: 12 to add, 0 to change, 0 to destroy.",
    "sha 0123456789abcdef0123456789abcdef01234567",
    "ami-0abcdef1234567890 vpc-0123456789abcdef0",
  ];
  it.each(harmless)("%s", (line) => {
    expect(redactSecrets(line)).toBe(line);
  });

  it("marks where something was cut", () => {
    expect(redactSecrets(`key AKIA${"A".repeat(16)} used`)).toBe(`key ${REDACTED} used`);
  });
});
