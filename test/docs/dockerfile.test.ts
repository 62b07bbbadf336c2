/**
 * The container image definition, checked as text (no Docker engine here): pinned Terraform
 * and provider, verified downloads, a provider mirror so no registry is needed at runtime,
 * production dependencies from the lock file, a non-root user, no secrets baked in.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const dockerfile = readFileSync(new URL("Dockerfile", root), "utf8");
const dockerignore = readFileSync(new URL(".dockerignore", root), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
const instructions: Instruction[] = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => {
    const [keyword = "", ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
  });

const stages: Instruction[][] = [];
for (const instruction of instructions) {
  if (instruction.keyword === "FROM") stages.push([]);
  stages.at(-1)?.push(instruction);
}
const finalStage = stages.at(-1) ?? [];
const argDefault = (name: string) =>
  instructions
    .find((i) => i.keyword === "ARG" && i.args.startsWith(`${name}=`))
    ?.args.split("=")[1];
const runs = instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);

describe("Dockerfile", () => {
  it("builds on Node 24 slim", () => {
    expect(argDefault("NODE_IMAGE")).toMatch(/^node:24[\w.-]*-slim(@sha256:[0-9a-f]{64})?$/);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it("takes the target architecture from BuildKit: TARGETARCH declared without a default", () => {
    // A default would replace BuildKit's automatic value (an arm64 build fetching amd64 files).
    const declared = instructions.filter(
      (i) => i.keyword === "ARG" && /^TARGETARCH\b/.test(i.args),
    );
    expect(declared.map((i) => i.args)).toEqual(["TARGETARCH"]);
    expect(runs.find((run) => run.includes("releases.hashicorp.com"))).toMatch(
      /^test -n "\$\{TARGETARCH\}" \|\|/,
    );
  });

  it("shows a usage line that passes the key as a file, never Probot's .env", () => {
    expect(dockerfile).not.toMatch(/--env-file \.env/);
    expect(dockerfile).toMatch(/PRIVATE_KEY_PATH=\/run\/secrets\/k3s-bot\.pem/);
  });

  it("pins Terraform 1.11.4 and the AWS provider 5.100.0", () => {
    expect(argDefault("TERRAFORM_VERSION")).toBe("1.11.4");
    expect(argDefault("AWS_PROVIDER_VERSION")).toBe("5.100.0");
  });

  it("verifies both downloads: HashiCorp's key by fingerprint, its signature, the checksums", () => {
    const download = runs.find((run) => run.includes("releases.hashicorp.com")) ?? "";
    expect(argDefault("HASHICORP_KEY_FINGERPRINT")).toMatch(/^[0-9A-F]{40}$/);
    expect(download).toMatch(/\$\{HASHICORP_KEY_FINGERPRINT\}/);
    expect(download).toMatch(/gpg --batch --verify "\$\{sums\}\.sig" "\$\{sums\}"/);
    expect(download).toMatch(/sha256sum -c -/);
    expect(download).toMatch(/fetch terraform "\$\{TERRAFORM_VERSION\}"/);
    expect(download).toMatch(/fetch terraform-provider-aws "\$\{AWS_PROVIDER_VERSION\}"/);
    // Every step of the verification is chained, so a failure stops the build.
    const body = download.slice(
      download.indexOf("fetch() {"),
      download.indexOf("fetch terraform "),
    );
    expect(body.split("&&").length).toBeGreaterThanOrEqual(5);
    expect(instructions.find((i) => i.keyword === "SHELL")?.args).toBe(
      '["/bin/bash", "-euo", "pipefail", "-c"]',
    );
  });

  it("ships the provider as a filesystem mirror at /opt/tf-plugins, used at runtime", () => {
    expect(dockerfile).toMatch(
      /registry\.terraform\.io\/hashicorp\/aws\/\$\{AWS_PROVIDER_VERSION\}\/linux_\$\{TARGETARCH\}/,
    );
    const copies = finalStage.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies).toContain("--from=terraform /out/tf-plugins /opt/tf-plugins");
    expect(copies).toContain("--from=terraform /out/bin/terraform /usr/local/bin/terraform");
    const env = finalStage
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toContain("K3S_BOT_PROVIDER_MIRROR=/opt/tf-plugins");
  });

  it("installs production dependencies exactly as locked", () => {
    expect(runs.some((run) => /npm ci --omit=dev/.test(run))).toBe(true);
    expect(runs.some((run) => /npm install/.test(run))).toBe(false);
  });

  it("runs as a non-root user", () => {
    const users = finalStage.filter((i) => i.keyword === "USER").map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1) ?? "";
    expect(last.split(":")[0]).not.toMatch(/^(root|0)$/);
    // CMD comes after the last USER: the server never runs as root.
    const lastUser = finalStage.findLastIndex((i) => i.keyword === "USER");
    expect(finalStage.findIndex((i) => i.keyword === "CMD")).toBeGreaterThan(lastUser);
  });

  it("bakes no secret into the image", () => {
    const env = finalStage.filter((i) => i.keyword === "ENV" || i.keyword === "ARG");
    for (const { args } of env) {
      expect(args).not.toMatch(/(SECRET|PASSWORD|PRIVATE_KEY|TOKEN|ACCESS_KEY|APP_ID)\w*=/i);
    }
    for (const pattern of [".env", "*.pem", ".aws", ".git", "node_modules"]) {
      expect(dockerignore).toContain(pattern);
    }
  });

  it("starts the Probot server with the app", () => {
    const cmd = finalStage.find((i) => i.keyword === "CMD")?.args ?? "";
    expect(JSON.parse(cmd)).toEqual([
      "node",
      "--import",
      "tsx",
      "node_modules/probot/bin/probot.js",
      "run",
      "./app/index.ts",
    ]);
  });
});
