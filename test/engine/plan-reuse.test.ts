/**
 * What a re-plan may skip, and when it must not: the synthesized stack (cache), `terraform init`
 * (a directory initialized for exactly this backend, these providers and this lock file), and
 * `terraform show` (the summary read from the plan's text equals the one from show -json).
 * Offline plans of the dev example with the real AWS provider from the mirror.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDefinitionFile } from "../../app/engine/definitions/load";
import { offlineStackOptions } from "../../app/engine/plan/offline";
import { PLAN_FILE, planCluster } from "../../app/engine/plan/plan-cluster";
import { SynthCache } from "../../app/engine/plan/synth-cache";
import { requireTerraform } from "../support/tools";

const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-reuse-test-"));
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

function dev() {
  const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
  if (!loaded.ok) throw new Error("dev example does not load");
  return loaded.config;
}

describe("re-planning an unchanged definition", () => {
  it("skips synth and init, reads the summary from the plan, and re-inits when the directory is not ready", async () => {
    requireTerraform();
    const config = dev();
    const workDir = join(workRoot, "dev");
    const cache = new SynthCache();
    const plan = (options: { summaryFrom?: "json" } = {}) =>
      planCluster({
        config,
        workDir,
        stackOptions: offlineStackOptions(workDir),
        synthCache: cache,
        ...options,
      });

    const first = await plan();
    expect(first.timings).toMatchObject({ synthCached: false, initReused: false });
    expect(first.timings.summaryFrom).toBe("text");

    const second = await plan({ summaryFrom: "json" });
    expect(second.timings).toMatchObject({
      synthCached: true,
      initReused: true,
      summaryFrom: "json",
    });
    // The same plan, summarized both ways.
    expect(first.summary).toEqual(second.summary);
    expect(first.planText).toBe(second.planText.trim());
    expect(first.summary.add).toBe(first.resourceCount);

    // The provider lock file changed under us: init again, not a stale directory.
    writeFileSync(join(workDir, ".terraform.lock.hcl"), "# emptied\n");
    const third = await plan();
    expect(third.timings.initReused).toBe(false);

    // The record says ready but the providers are gone: one init and one retry.
    rmSync(join(workDir, ".terraform", "providers"), { recursive: true, force: true });
    const fourth = await plan();
    expect(fourth.timings.initReused).toBe(false);
    expect(fourth.summary).toEqual(first.summary);
  }, 600_000);

  it("never hands back an earlier plan file when a plan fails", async () => {
    requireTerraform();
    const config = dev();
    const workDir = join(workRoot, "dev");
    writeFileSync(join(workDir, PLAN_FILE), "an old plan");
    await expect(
      planCluster({
        config,
        workDir,
        stackOptions: offlineStackOptions(workDir),
        planArgs: ["-target=not a valid address"],
      }),
    ).rejects.toThrow();
    expect(() => rmSync(join(workDir, PLAN_FILE))).toThrow(/ENOENT/);
  }, 300_000);
});
