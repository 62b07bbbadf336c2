/**
 * Every bootstrap script, and the user data itself, passes shellcheck. Never skipped: the pinned
 * shellcheck comes with the emulator venv (scripts/setup-moto.sh, run by `npm test` first);
 * one on the PATH is used when that is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deliveredUserData, haParams } from "./world";

const SCRIPTS = fileURLToPath(new URL("../../infra/bootstrap/scripts/", import.meta.url));

const PINNED_SHELLCHECK = fileURLToPath(
  new URL("../../.venv-moto/bin/shellcheck", import.meta.url),
);

function shellcheck(args: string[], cwd: string): { status: number | null; output: string } {
  const binary = existsSync(PINNED_SHELLCHECK) ? PINNED_SHELLCHECK : "shellcheck";
  const probe = spawnSync(binary, ["--version"]);
  if (probe.error) {
    throw new Error(
      "shellcheck is not installed: run `bash scripts/setup-moto.sh` (pinned, from PyPI) or `apt-get install -y shellcheck`",
    );
  }
  const run = spawnSync(binary, ["--external-sources", ...args], { cwd, encoding: "utf8" });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe("shellcheck", () => {
  const scripts = readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh"));

  it("finds the scripts", () => {
    expect(scripts.sort()).toEqual([
      "cluster-formation.sh",
      "cluster-status.sh",
      "common.sh",
      "datastore-config.sh",
      "drain-on-terminate.sh",
      "etcd-restore.sh",
      "k3s-agent.sh",
      "k3s-server.sh",
    ]);
  });

  for (const script of scripts) {
    it(`${script} passes`, () => {
      const { status, output } = shellcheck([script], SCRIPTS);
      expect(output).toBe("");
      expect(status).toBe(0);
    });
  }

  for (const role of ["server", "agent"] as const) {
    it(`the ${role} user data passes`, () => {
      const file = path.join(os.tmpdir(), `k3s-bot-user-data-${role}-${process.pid}.sh`);
      writeFileSync(file, deliveredUserData(role, haParams()));
      const { status, output } = shellcheck([file], os.tmpdir());
      rmSync(file);
      expect(output).toBe("");
      expect(status).toBe(0);
    });
  }

  it("bash accepts every script's syntax", () => {
    for (const script of scripts) execFileSync("bash", ["-n", path.join(SCRIPTS, script)]);
  });
});
