/**
 * `npm run demo`: the bot's main job, end to end, on this machine. The example cluster is
 * planned and applied through the same engine the GitHub App uses (state backend, lock, saved
 * plan, apply of exactly that plan), against a local AWS emulator, and the PR comments the bot
 * would post are printed. Then the cluster is destroyed, unless --keep is given.
 *
 *   npm run demo [-- <definition.yaml>] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as comments from "../bot/comments";
import { ClusterRuns, describeError } from "../engine/cluster-runs";
import { RunQueue } from "../engine/run-queue";
import { TerraformRunner } from "../engine/terraform/runner";
import { EmulatorNotInstalledError, startEmulator } from "../local/emulator";
import { EmulatorAwsEnvironment } from "../local/emulator-environment";

const DEMO_PR = { repo: "local/demo", pullRequest: 1, user: "you", headSha: "0".repeat(40) };

function step(n: number, total: number, text: string): () => void {
  const started = Date.now();
  process.stderr.write(`[${n}/${total}] ${text} …`);
  return () => process.stderr.write(` done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

function banner(title: string, body: string): void {
  const rule = "─".repeat(72);
  process.stdout.write(`\n${rule}\n${title}\n${rule}\n${body.trim()}\n${rule}\n\n`);
}

export async function runDemo(argv: string[]): Promise<number> {
  const keep = argv.includes("--keep");
  const file = argv.find((a) => !a.startsWith("--")) ?? "examples/clusters/dev.yaml";
  const total = keep ? 3 : 4;

  let done = step(1, total, "starting the local AWS emulator (moto)");
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator();
  } catch (error) {
    process.stderr.write("\n");
    if (error instanceof EmulatorNotInstalledError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  done();
  const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-demo-"));
  const aws = new EmulatorAwsEnvironment(emulator.url);
  const runs = new ClusterRuns({ aws, queue: new RunQueue(1), workRoot });
  try {
    const source = { file, text: readFileSync(file, "utf8") };

    done = step(2, total, `planning ${file} as the bot does for a pull request`);
    const planned = await runs.plan(DEMO_PR, source);
    done();
    if (planned.kind === "invalid") {
      banner(
        "The comment k3s-bot would post",
        comments.invalidDefinition("?", file, planned.problems),
      );
      return 1;
    }
    if (planned.kind !== "planned") {
      process.stderr.write(
        `plan did not succeed: ${planned.kind === "failed" ? planned.error : planned.kind}\n`,
      );
      return 1;
    }
    banner(
      "The plan comment k3s-bot would post on the pull request",
      `${planned.markdown}\n${comments.planFooter(planned.config.name, false)}`,
    );

    done = step(3, total, "applying exactly that saved plan (as `/k3s apply` does)");
    const applied = await runs.apply(DEMO_PR, planned.config);
    done();
    if (applied.kind !== "applied") {
      process.stderr.write(
        `apply did not succeed: ${applied.kind === "failed" ? applied.error : applied.kind}\n`,
      );
      return 1;
    }
    banner(
      "The apply comment k3s-bot would post",
      comments.applied(planned.config.name, applied.metadata, applied.outputs),
    );

    if (keep) {
      process.stdout.write(
        `The cluster stays in the emulator at ${emulator.url} until you press Ctrl-C.\nTry: AWS_ENDPOINT_URL=${emulator.url} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws ec2 describe-vpcs --region ${planned.config.region}\n`,
      );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      return 0;
    }

    done = step(4, total, "destroying it again (pass --keep to keep it)");
    const planDir = runs.workDirOf(DEMO_PR.repo, planned.config.name, "plan");
    await new TerraformRunner(planDir, { env: aws.terraformEnv() }).destroy();
    done();
    process.stdout.write(
      "Done: planned, applied and destroyed against the emulator. On GitHub, the same engine runs for `/k3s plan` and `/k3s apply`.\n",
    );
    return 0;
  } catch (error) {
    process.stderr.write(`\nerror: ${describeError(error)}\n`);
    return 1;
  } finally {
    aws.destroy();
    await emulator.stop();
    rmSync(workRoot, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("app/cli/demo.ts")) {
  runDemo(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
