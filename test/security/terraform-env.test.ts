/**
 * What Terraform inherits from the bot. The bot process holds the GitHub App's private key, its
 * webhook secret and tokens; a PR plans and applies through the real app, terraform replaced by
 * the recording fake, and no process it starts may see any of them, while what Terraform needs
 * (PATH, HOME, AWS credentials and region, proxies, TF_*) still reaches it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { terraformChildEnv } from "../../app/engine/terraform/child-env";
import { approvedPullRequest, type BotHarness, REPO, sha, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

/** Secrets the bot holds, each a distinct canary so a leak names itself. */
const BOT_SECRETS: Record<string, string> = {
  PRIVATE_KEY:
    "-----BEGIN RSA PRIVATE KEY-----\ncanary-app-private-key-0f3c\n-----END RSA PRIVATE KEY-----",
  PRIVATE_KEY_PATH: "/run/secrets/canary-app-key-path-7d21.pem",
  WEBHOOK_SECRET: "canary-webhook-secret-91ab",
  GITHUB_TOKEN: "ghs_canaryInstallationToken0000000000000000",
  GITHUB_CLIENT_SECRET: "canary-client-secret-5e6f",
  APP_ID: "canary-app-id-424242",
  NODE_OPTIONS: "--max-old-space-size=1234 --title=canary-node-options",
};
/** What Terraform needs, and must still get. */
const TERRAFORM_NEEDS: Record<string, string> = {
  HTTPS_PROXY: "http://proxy.internal.example:3128",
  NO_PROXY: "169.254.169.254,.amazonaws.com",
  AWS_PROFILE: "k3s-bot-canary-profile",
  AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  TF_LOG: "",
};

let bot: BotHarness;
const saved = new Map<string, string | undefined>();
const head = sha("c");

const { emulator, terraform } = useEmulatorWithFakeTerraform();
beforeAll(async () => {
  for (const [name, value] of Object.entries({ ...BOT_SECRETS, ...TERRAFORM_NEEDS })) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
});
afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
beforeEach(async () => {
  bot = startBot(emulator.url);
  approvedPullRequest(bot.github, { number: 3, head, status: "added" });
});
afterEach(() => bot.close());

describe("Terraform's environment through the real app", () => {
  it("hands no bot secret to any terraform process of a plan and an apply, and keeps what Terraform needs", async () => {
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 3, action: "opened" }),
    );
    await bot.receive(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 3, body: "/k3s apply", user: "alice" }),
    );
    const runs = terraform.runs();
    const commands = runs.map((r) => r.args[0]);
    expect(commands).toContain("plan");
    expect(commands).toContain("apply");
    for (const run of runs) {
      for (const [name, value] of Object.entries(BOT_SECRETS)) {
        expect(run.env[name], `$${name} reached terraform ${run.args[0]}`).toBeUndefined();
        for (const [other, seen] of Object.entries(run.env))
          expect(seen.includes(value), `${name}'s value in $${other}`).toBe(false);
      }
      for (const [name, value] of Object.entries(TERRAFORM_NEEDS))
        expect(run.env[name], `$${name} for terraform ${run.args[0]}`).toBe(value);
      // Every entry kept (a shell init on a machine may add its own entries in front).
      const entries = new Set(run.env.PATH?.split(":"));
      for (const entry of process.env.PATH?.split(":") ?? []) expect(entries).toContain(entry);
      expect(run.env.HOME).toBe(process.env.HOME);
      expect(run.env.TF_IN_AUTOMATION).toBe("1");
    }
  });
});

describe("the allow-list", () => {
  it("passes TF_*, AWS_*, proxies and the operator's K3S_BOT_TERRAFORM_ENV names, and nothing else", () => {
    const env = terraformChildEnv({
      PATH: "/usr/bin",
      TF_VAR_x: "1",
      AWS_REGION: "eu-central-1",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://169.254.170.23/v1/credentials",
      ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4",
      http_proxy: "http://p:3128",
      K3S_BOT_TERRAFORM_ENV: "CORP_CA, OTHER",
      CORP_CA: "/etc/ca.pem",
      WEBHOOK_SECRET: "s",
      PRIVATE_KEY: "k",
      K3S_BOT_DELIVERY_TABLE: "t",
      GITHUB_TOKEN: "g",
    });
    expect(Object.keys(env).sort()).toEqual([
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_REGION",
      "CORP_CA",
      "ECS_CONTAINER_METADATA_URI_V4",
      "PATH",
      "TF_VAR_x",
      "http_proxy",
    ]);
  });
});
