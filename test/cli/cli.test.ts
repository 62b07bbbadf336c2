/**
 * The `k3s-bot` command: help, exit codes (0 ok, 1 failed, 2 usage), and the subcommands that
 * need no Terraform. `plan` is exercised by test/stack/terraform-plan.test.ts.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from "../../app/cli/main";
import { emulatorAwsClientConfig, startEmulator } from "../../app/local/emulator";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "k3s-bot-cli-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  // As on a terminal, also when these tests run inside GitHub Actions.
  const env = { ...process.env, GITHUB_ACTIONS: undefined };
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
}

describe("k3s-bot", () => {
  it("prints help listing every subcommand, exit 0", async () => {
    const { code, out } = await cli("--help");
    expect(code).toBe(EXIT_OK);
    for (const sub of [
      "validate",
      "synth",
      "plan",
      "apply",
      "render",
      "kubeconfig",
      "iam-policy",
      "status",
    ])
      expect(out).toContain(sub);
  });

  it.each(["validate", "synth", "plan", "apply", "render", "kubeconfig", "iam-policy", "status"])(
    "prints help for %s",
    async (sub) => {
      const { code, out } = await cli(sub, "--help");
      expect(code).toBe(EXIT_OK);
      expect(out).toContain(`Usage: k3s-bot ${sub}`);
    },
  );

  it.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["validate"], /missing required argument 'definition/],
    [["synth", "examples/clusters/dev.yaml"], /required option '--out <dir>' not specified/],
    [["plan", "examples/clusters/dev.yaml", "--bogus"], /unknown option '--bogus'/],
    [[], /Usage: k3s-bot/],
  ])("exits 2 with a one-line error on bad usage: %j", async (argv, message) => {
    const { code, err } = await cli(...argv);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toMatch(message);
  });

  it("validates the examples, exit 0", async () => {
    const { code, out } = await cli(
      "validate",
      "examples/clusters/dev.yaml",
      "examples/clusters/ha.yaml",
    );
    expect(code).toBe(EXIT_OK);
    expect(out).toContain("examples/clusters/ha.yaml: valid (cluster ha in eu-central-1)");
  });

  it("reports every problem of an invalid definition with file and line, exit 1, no stack trace", async () => {
    const file = join(tempDir(), "bad.yaml");
    writeFileSync(
      file,
      "name: Dev\nregion: eu-centrl-1\nnetwork: { adminCidrs: [] }\nstate: { bucket: x }\n",
    );
    const { code, out, err } = await cli("validate", file);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toContain(`${file}:1:`);
    expect(out).toContain("name");
    expect(out.split("\n").filter((l) => l.startsWith(file)).length).toBeGreaterThanOrEqual(3);
    expect(`${out}${err}`).not.toMatch(/\n\s+at /);
  });

  it("fails clearly on a missing file", async () => {
    const { code, out, err } = await cli("validate", "clusters/nope.yaml");
    expect(code).toBe(EXIT_FAILED);
    expect(`${out}${err}`).toContain("clusters/nope.yaml");
  });

  it("synthesizes Terraform JSON into --out", async () => {
    const dir = tempDir();
    const { code, err } = await cli("synth", "examples/clusters/dev.yaml", "--out", dir);
    expect(code).toBe(EXIT_OK);
    const json = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    expect(Object.keys(json.resource)).toContain("aws_autoscaling_group");
    expect(err).toMatch(/\(\d+ resources\)/);
  });

  it("runs as the installed bin (bin/k3s-bot.mjs)", async () => {
    const { stdout } = await promisify(execFile)("node", ["bin/k3s-bot.mjs", "--help"]);
    expect(stdout).toContain("Usage: k3s-bot");
  });
});

describe("k3s-bot apply", () => {
  it("refuses without a saved plan, with an --offline plan, and when the definition changed since the plan", async () => {
    const dir = tempDir();
    const file = join(dir, "dev.yaml");
    writeFileSync(file, readFileSync("examples/clusters/dev.yaml"));
    const workDir = join(dir, "work");

    let result = await cli("apply", file, "--work-dir", workDir);
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain(`no saved plan in ${workDir}: run \`k3s-bot plan ${file}\` first`);

    result = await cli("plan", file, "--offline", "--work-dir", workDir);
    expect(result.code, result.err).toBe(EXIT_OK);
    expect(result.out).toContain("to add");

    result = await cli("apply", file, "--work-dir", workDir);
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toMatch(/made with --offline .* cannot be applied/);

    writeFileSync(file, `${readFileSync(file, "utf8")}\n# reviewed? no: changed after the plan\n`);
    result = await cli("apply", file, "--work-dir", workDir);
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toMatch(/dev\.yaml changed since it was planned .*: plan again/);
    expect(result.err).not.toMatch(/\n\s+at /);
  }, 120_000);
});

describe("k3s-bot kubeconfig", () => {
  it("fetches the kubeconfig the first server stored, and says what to do when there is none", async () => {
    const emulator = await startEmulator();
    const saved = { ...process.env };
    try {
      // The AWS SDK's standard endpoint variable: the CLI has no emulator setting of its own.
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: emulator.url,
        AWS_ACCESS_KEY_ID: "emulator",
        AWS_SECRET_ACCESS_KEY: "emulator",
      });
      const missing = await cli("kubeconfig", "examples/clusters/dev.yaml");
      expect(missing.code).toBe(EXIT_FAILED);
      expect(missing.err).toContain("apply the cluster first");

      const kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster: { server: https://dev-api.example:6443 }\n  name: dev\n";
      const client = new SecretsManagerClient(emulatorAwsClientConfig(emulator.url));
      await client.send(
        new CreateSecretCommand({ Name: "k3s-bot/dev/kubeconfig", SecretString: kubeconfig }),
      );
      client.destroy();

      const printed = await cli("kubeconfig", "examples/clusters/dev.yaml");
      expect(printed.code).toBe(EXIT_OK);
      expect(printed.out).toBe(kubeconfig);

      const file = join(tempDir(), "kubeconfig");
      expect((await cli("kubeconfig", "examples/clusters/dev.yaml", "--out", file)).code).toBe(
        EXIT_OK,
      );
      expect(readFileSync(file, "utf8")).toBe(kubeconfig);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      process.env = saved;
      await emulator.stop();
    }
  });
});
