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
import { basename, extname, join } from "node:path";
import { describeMissing, missingPrerequisites } from "../../scripts/prerequisites.mjs";
import * as comments from "../bot/comments";
import { plannedComment } from "../bot/plan-comment";
import { ClusterRuns, describeError } from "../engine/cluster-runs";
import { renderClusterFiles } from "../engine/gitops/render";
import { changeSummaryMarkdown } from "../engine/plan/change-summary";
import { RunQueue } from "../engine/run-queue";
import { TerraformRunner } from "../engine/terraform/runner";
import { EmulatorNotInstalledError, startEmulator } from "../local/emulator";
import { EmulatorAwsEnvironment } from "../local/emulator-environment";
import { ResourceCounter, startHeartbeat, startStep } from "./demo-progress";

const DEMO_PR = { repo: "local/demo", pullRequest: 1, user: "you", headSha: "0".repeat(40) };

const write = (text: string) => {
  process.stderr.write(text);
};

/** Runs `work` with a heartbeat on stderr while Terraform creates or destroys resources. */
async function withHeartbeat<T>(
  verb: string,
  total: number | undefined,
  counter: ResourceCounter,
  work: () => Promise<T>,
): Promise<T> {
  const stop = startHeartbeat({ verb, ...(total === undefined ? {} : { total }), counter, write });
  try {
    return await work();
  } finally {
    stop();
  }
}

/** The GitOps files the bot would commit to the PR after the apply, and the Argo CD root app. */
function gitopsBanner(
  config: Parameters<typeof renderClusterFiles>[0],
  outputs: Record<string, unknown>,
): string {
  const files = renderClusterFiles(config, outputs, { url: "https://github.com/OWNER/REPO.git" });
  const root = files.find((file) => file.path.endsWith("/argocd/root.yaml"));
  return [
    "Committed to the pull request's branch after the apply (Argo CD on the cluster follows them):",
    "",
    ...files.map((file) => `  ${file.path}`),
    ...(root ? ["", `${root.path}:`, "", root.content.trimEnd()] : []),
  ].join("\n");
}

function banner(title: string, body: string): void {
  const rule = "─".repeat(72);
  process.stdout.write(`\n${rule}\n${title}\n${rule}\n${body.trim()}\n${rule}\n\n`);
}

export async function runDemo(argv: string[]): Promise<number> {
  const keep = argv.includes("--keep");
  const file = argv.find((a) => !a.startsWith("--")) ?? "examples/clusters/dev.yaml";
  const total = keep ? 3 : 4;

  const missing = missingPrerequisites();
  if (missing.length > 0) {
    write(`${describeMissing(missing)}\n`);
    return 1;
  }

  let step = startStep(1, total, "starting the local AWS emulator (moto)", write);
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator();
  } catch (error) {
    step.failed();
    if (error instanceof EmulatorNotInstalledError) {
      write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  step.done();
  const workRoot = mkdtempSync(join(tmpdir(), "k3s-bot-demo-"));
  const aws = new EmulatorAwsEnvironment(emulator.url);
  const counter = new ResourceCounter();
  const runs = new ClusterRuns({
    aws,
    queue: new RunQueue(1),
    workRoot,
    onTerraformOutput: (chunk) => counter.feed(chunk),
  });
  try {
    const source = { file, text: readFileSync(file, "utf8") };

    step = startStep(2, total, `planning ${file} as the bot does for a pull request`, write);
    const planned = await runs.plan(DEMO_PR, source);
    if (planned.kind === "invalid") {
      step.failed(`${planned.problems.length} problem(s) in ${file}`);
      // The cluster's name is unknown when the definition is invalid; the file's is not.
      banner(
        "The comment k3s-bot would post",
        comments.invalidDefinition(basename(file, extname(file)), file, planned.problems),
      );
      return 1;
    }
    if (planned.kind !== "planned") {
      step.failed();
      write(`plan did not succeed: ${planned.kind === "failed" ? planned.error : planned.kind}\n`);
      return 1;
    }
    step.done();
    // As the bot posts it: a new cluster's summary first, the plan within GitHub's limits.
    const summary = changeSummaryMarkdown({ base: null, head: planned.config });
    banner(
      "The plan comment k3s-bot would post on the pull request",
      plannedComment(planned, "", summary, file).body,
    );

    step = startStep(3, total, "applying exactly that saved plan (as `/k3s apply` does)", write);
    const toCreate = planned.metadata.add + planned.metadata.change + planned.metadata.destroy;
    counter.count = 0;
    const applied = await withHeartbeat("applying", toCreate, counter, () =>
      runs.apply(DEMO_PR, planned.config),
    );
    if (applied.kind !== "applied") {
      step.failed();
      write(`apply did not succeed: ${applied.kind === "failed" ? applied.error : applied.kind}\n`);
      return 1;
    }
    step.done();
    banner(
      "The apply comment k3s-bot would post",
      comments.applied(planned.config.name, applied.metadata, applied.outputs, applied.durationMs),
    );
    banner("The GitOps files k3s-bot would commit", gitopsBanner(planned.config, applied.outputs));

    if (keep) {
      process.stdout.write(
        `The cluster stays in the emulator at ${emulator.url} until you press Ctrl-C.\nTry: AWS_ENDPOINT_URL=${emulator.url} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws ec2 describe-vpcs --region ${planned.config.region}\n`,
      );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      return 0;
    }

    step = startStep(4, total, "destroying it again (pass --keep to keep it)", write);
    const planDir = runs.workDirOf(DEMO_PR.repo, planned.config.name, "plan");
    counter.count = 0;
    const destroyer = new TerraformRunner(planDir, {
      env: aws.terraformEnv(),
      onOutput: (chunk) => counter.feed(chunk),
    });
    try {
      await withHeartbeat("destroying", planned.metadata.add, counter, () => destroyer.destroy());
    } catch (error) {
      step.failed();
      throw error;
    }
    step.done();
    process.stdout.write(
      "Done: planned, applied and destroyed against the emulator. On GitHub, the same engine runs for `/k3s plan` and `/k3s apply`.\n",
    );
    return 0;
  } catch (error) {
    step.failed();
    write(`error: ${describeError(error)}\n`);
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
