/**
 * The CLI's front matter for a new user: its version, how to run it safely, the IAM policy for
 * their own definitions, a plan printed whole on a terminal, and a missing-credentials error
 * that says what to do.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMMENT_BODY_LIMIT } from "../../app/bot/github-limits";
import { EXIT_FAILED, EXIT_OK, runCli } from "../../app/cli/main";
import { planOutput } from "../../app/cli/plan-output";
import { renderPlanMarkdown } from "../../app/engine/plan/markdown";
import type { PlanSummary } from "../../app/engine/plan/summary";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, {});
  return { code, out, err };
}

describe("k3s-bot --version and --help", () => {
  it("prints the version of package.json", async () => {
    const { code, out } = await cli("--version");
    expect(code).toBe(EXIT_OK);
    const { version } = JSON.parse(readFileSync("package.json", "utf8"));
    expect(out).toBe(`${version}\n`);
  });

  it("says to run it from the checkout, never with npx from elsewhere", async () => {
    const { out } = await cli("--help");
    expect(out).toContain("npm run cli -- <command>");
    expect(out).toContain("node /path/to/k3s-bot/bin/k3s-bot.mjs <command>");
    expect(out).toMatch(/Never `npx k3s-bot`\s+outside the checkout/);
  });
});

describe("k3s-bot iam-policy", () => {
  it("prints the same policy as the committed one for the examples", async () => {
    const { code, out, err } = await cli(
      "iam-policy",
      "examples/clusters/dev.yaml",
      "examples/clusters/ha.yaml",
    );
    expect(code, err).toBe(EXIT_OK);
    expect(out).toBe(readFileSync("docs/iam/k3s-bot-policy.json", "utf8"));
  }, 60_000);

  it("writes the policy and its managed-policy parts with --out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k3s-bot-iam-"));
    dirs.push(dir);
    const { code, err } = await cli("iam-policy", "examples/clusters/dev.yaml", "--out", dir);
    expect(code, err).toBe(EXIT_OK);
    const policy = JSON.parse(readFileSync(join(dir, "k3s-bot-policy.json"), "utf8"));
    const part = JSON.parse(readFileSync(join(dir, "k3s-bot-policy.part-1.json"), "utf8"));
    expect(JSON.stringify(policy)).toContain("arn:aws:s3:::acme-tfstate");
    expect(part.Statement.length).toBeGreaterThan(0);
    expect(err).toContain(`wrote ${join(dir, "k3s-bot-policy.json")}`);
  }, 60_000);

  it("refuses an invalid definition with its problems", async () => {
    const { code, err } = await cli("iam-policy", "clusters/nope.yaml");
    expect(code).toBe(EXIT_FAILED);
    expect(err).toContain("clusters/nope.yaml:1:1 cannot read the file: no such file");
  });
});

describe("k3s-bot plan output", () => {
  const summary: PlanSummary = {
    add: 1,
    change: 0,
    destroy: 0,
    replace: 0,
    hasChanges: true,
    byType: [{ type: "aws_vpc", add: 1, change: 0, replace: 0, destroy: 0 }],
    destructive: [],
  } as unknown as PlanSummary;
  const planText = Array.from({ length: 4000 }, (_, i) => `  + resource_${i} = "value"`).join("\n");
  const context = { cluster: "dev", region: "eu-central-1" };
  const markdown = renderPlanMarkdown(context, summary, planText);

  it("prints the whole plan on a terminal", () => {
    const shown = planOutput({ markdown, summary, planText }, context, true);
    expect(shown.length).toBeGreaterThan(COMMENT_BODY_LIMIT);
    expect(shown).toContain("resource_3999");
    expect(shown).not.toContain("[!NOTE]");
  });

  it("keeps the comment's size when piped", () => {
    const piped = planOutput({ markdown, summary, planText }, context, false);
    expect(piped.length).toBeLessThan(COMMENT_BODY_LIMIT);
    expect(piped).toContain("was cut to fit");
  });
});

describe("k3s-bot kubeconfig without AWS credentials", () => {
  it("says what is missing and how to provide it", async () => {
    const saved = { ...process.env };
    try {
      for (const key of Object.keys(process.env))
        if (key.startsWith("AWS_")) delete process.env[key];
      Object.assign(process.env, {
        AWS_CONFIG_FILE: "/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED: "true",
      });
      const { code, err } = await cli("kubeconfig", "examples/clusters/dev.yaml");
      expect(code).toBe(EXIT_FAILED);
      expect(err).toContain("error: no AWS credentials found to read the kubeconfig of dev");
      for (const way of ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "aws sso login"])
        expect(err).toContain(way);
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      process.env = saved;
    }
  }, 30_000);
});
