/**
 * The rename to readable addresses, proven on applied infrastructure: the stack as the code
 * before the rename synthesized it (test/fixtures/pre-rename/small.tf.json, a small definition)
 * is applied to the emulator with real Terraform; then today's stack, with its `moved` blocks,
 * is planned against that state. Every resource must be moved, none destroyed or replaced
 * (resources added by later features are created; some are updated in place).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TerraformRunner } from "../../app/engine/terraform/runner";
import { type Emulator, emulatorProviderSettings, startEmulator } from "../../app/local/emulator";
import { applyEmulatorWorkarounds } from "../../app/local/emulator-overrides";
import { synthesizeCluster, type TerraformJson } from "../../infra/synth";
import { FORMER_DEFAULT_SECURITY_GROUP } from "../../infra/vpc-audit";
import { preRenameConfig, preRenameSmallStack } from "../support/pre-rename";

interface PlanJson {
  resource_changes?: {
    address: string;
    previous_address?: string;
    change: { actions: string[] };
  }[];
}

describe.sequential("moving a cluster applied before the rename", () => {
  const config = preRenameConfig("small");
  let emulator: Emulator;
  let workDir: string;
  let terraform: TerraformRunner;
  let today: TerraformJson & { moved?: { from: string; to: string }[] };
  const measured: string[] = [];

  const write = (json: unknown) => writeFile(join(workDir, "main.tf.json"), JSON.stringify(json));

  beforeAll(async () => {
    emulator = await startEmulator({ region: config.region });
    workDir = await mkdtemp(join(tmpdir(), "k3s-bot-moved-"));
    terraform = new TerraformRunner(workDir, {
      env: { AWS_EC2_METADATA_DISABLED: "true" },
      timeoutMs: 10 * 60_000,
    });
    today = synthesizeCluster(
      config,
      {
        providerOverrides: emulatorProviderSettings(emulator.url),
        backend: { kind: "local", path: join(workDir, "terraform.tfstate") },
      },
      (stack) => {
        applyEmulatorWorkarounds(stack);
      },
    );
  }, 120_000);

  afterAll(async () => {
    await emulator?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    console.info(`moved addresses: ${measured.join(", ")}`);
  });

  it(
    "applies the stack as it was before the rename",
    async () => {
      // The recorded resources, locals and outputs, with today's provider and backend blocks
      // (the emulator's port changes from run to run).
      await write({
        ...preRenameSmallStack(),
        terraform: today.terraform,
        provider: today.provider,
      });
      await terraform.init();
      const started = Date.now();
      const plan = await terraform.plan("before.tfplan");
      expect(plan.hasChanges).toBe(true);
      await terraform.apply("before.tfplan");
      measured.push(`apply ${Math.round((Date.now() - started) / 1000)} s`);
    },
    10 * 60_000,
  );

  it(
    "plans today's stack against that state as moves only",
    async () => {
      await write(today);
      const started = Date.now();
      await terraform.plan("after.tfplan");
      const plan = (await terraform.showJson("after.tfplan")) as PlanJson;
      measured.push(`plan ${Math.round((Date.now() - started) / 1000)} s`);
      const changes = plan.resource_changes ?? [];

      const moves = today.moved ?? [];
      expect(moves.length).toBeGreaterThan(50);
      const moved = new Map(changes.map((change) => [change.address, change.previous_address]));
      for (const { from, to } of moves) {
        expect(moved.get(to), `${to} was not moved from ${from}`).toBe(from);
      }
      // No resource is destroyed or replaced: every one the old stack applied is moved. Features
      // added since the rename may add resources or update some in place (a permissions boundary
      // on the roles), which an upgrade applies like any change; none may replace what exists.
      const movedTo = new Set(moves.map((move) => move.to));
      const destructive = changes
        .filter((change) => change.change.actions.includes("delete"))
        .map((change) => `${change.address}: ${change.change.actions.join(",")}`);
      expect(destructive).toEqual([]);
      // The VPC's default security group, no longer managed, is forgotten, not destroyed.
      const forgotten = changes
        .filter((change) => change.change.actions.includes("forget"))
        .map((change) => change.address);
      expect(forgotten).toEqual([FORMER_DEFAULT_SECURITY_GROUP[1]]);
      const createdAtOldAddress = changes
        .filter((change) => movedTo.has(change.address))
        .filter((change) => change.change.actions.includes("create"))
        .map((change) => change.address);
      expect(createdAtOldAddress).toEqual([]);
      measured.push(`${moves.length} resources moved`);
    },
    10 * 60_000,
  );
});
