/**
 * Stopping terraform belongs to the engine that started it: each run engine (ClusterRuns) owns
 * a TerraformProcesses set and hands it to its runners, so a graceful stop signals that engine's
 * terraform and nothing else running in the same process. A shell script that sleeps stands in
 * for terraform.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TerraformProcesses } from "../../../app/engine/terraform/processes";
import { TerraformRunner } from "../../../app/engine/terraform/runner";

const dir = mkdtempSync(join(tmpdir(), "k3s-bot-processes-"));
const binary = join(dir, "terraform");
// exec: the script becomes sleep, so the SIGTERM reaches the process that waits.
writeFileSync(binary, "#!/bin/sh\nexec sleep 30\n");
chmodSync(binary, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runnerOf(processes: TerraformProcesses): TerraformRunner {
  return new TerraformRunner(dir, {
    processes,
    environment: { binary, env: {}, cliConfigFile: join(dir, "cli.tfrc"), pluginCacheDir: dir },
  });
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the engine's terraform processes", () => {
  it("are tracked while they run, and terminate signals only its own engine's", async () => {
    const mine = new TerraformProcesses();
    const other = new TerraformProcesses();
    const myRun = runnerOf(mine).run(["apply"], [0]);
    const otherRun = runnerOf(other).run(["apply"], [0]);
    await until(() => mine.size === 1 && other.size === 1);

    expect(mine.terminate()).toBe(1);
    const stopped = await myRun.then(
      () => null,
      (error: unknown) => error as { result?: { signal?: string } },
    );
    expect(stopped?.result?.signal).toBe("SIGTERM");
    expect(mine.size).toBe(0);
    // The other engine's terraform is still running until its own engine stops it.
    expect(other.size).toBe(1);

    expect(other.terminate()).toBe(1);
    await otherRun.catch(() => undefined);
    expect(other.size).toBe(0);
    expect(mine.terminate()).toBe(0);
  });
});
