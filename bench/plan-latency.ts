/**
 * `npm run bench`: how long a reviewer waits for the plan, against the local emulator, next to
 * Terraform's own floor (`terraform init && terraform plan` of the same synthesized JSON).
 *
 *   cold   `/k3s plan` on a PR, a fresh bot (no working directory, nothing cached), webhook in →
 *          plan comment posted, vs `terraform init && terraform plan` in a fresh directory
 *   warm   the same PR after a new commit with the definition unchanged, vs `terraform plan`
 *          in an initialized directory
 *   conc.  N PRs planning N different clusters at once, in a child process: wall time, the bot's
 *          peak memory (terraform excluded, reported separately), and proof from a wrapper around
 *          terraform that no cluster had two terraform processes at once
 *   parts  synth alone, terraform init alone
 *
 * Bot and bare runs alternate (ABBA) within each repetition, so machine load hits both alike.
 * Results go to .bench/plan-latency.json (git-ignored: numbers belong to one machine and moment).
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDefinition } from "../app/engine/definitions/load";
import { PlanStore } from "../app/engine/plan-store";
import { defaultConcurrency } from "../app/engine/run-queue";
import { ensureStateBackend } from "../app/engine/state-backend";
import { terraformEnvironment } from "../app/engine/terraform/cli-config";
import { startEmulator } from "../app/local/emulator";
import { EmulatorAwsEnvironment } from "../app/local/emulator-environment";
import type { ClusterConfig } from "../infra/definition/config";
import { synthesizeCluster } from "../infra/synth";
import { REPO, startBenchBot } from "./bot";
import {
  type BenchArgs,
  checkNoOverlap,
  descendantsOf,
  type ProcInfo,
  parseBenchArgs,
  parseProbeLog,
  parseProcStat,
  seconds,
} from "./lib";
import { type ConcurrentResult, type Results, report, summarize } from "./report";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const PROBE = join(HERE, "terraform-probe.sh");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

const log = (text: string) => process.stderr.write(`${text}\n`);
const shaOf = (seed: string) => createHash("sha1").update(seed).digest("hex");
const marker = (cluster: string) => `<!-- k3s-bot:plan:${cluster} -->`;

function loadConfig(text: string, file: string): ClusterConfig {
  const loaded = loadDefinition(text, file);
  if (!loaded.ok) throw new Error(`${file} is not a valid definition`);
  return loaded.config;
}

/** Runs a command, timed; throws with its output when it fails. */
function timed(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(performance.now() - started);
      else
        reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${output.slice(-3000)}`));
    });
  });
}

async function time<T>(task: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await task();
  return [performance.now() - started, result];
}

// ---------------------------------------------------------------------------------------------
// The main process: cold, warm and parts in process; the concurrent run in a child process.

async function main(args: BenchArgs): Promise<void> {
  const definitionText = readFileSync(args.definition, "utf8");
  const config = loadConfig(definitionText, args.definition);
  const cluster = config.name;
  const file = `clusters/${cluster}.yaml`;
  const maxTerraform = args.maxTerraform ?? defaultConcurrency(availableParallelism());
  const results: Results = {
    label: args.label,
    startedAt: new Date().toISOString(),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? "unknown",
      memoryGb: Math.round(totalmem() / 2 ** 30),
      loadBefore: loadavg(),
    },
    definition: args.definition,
    reps: args.reps,
    maxTerraform,
  };
  const save = () => {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  };

  log(
    `starting the emulator (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")})`,
  );
  const emulator = await startEmulator();
  const aws = new EmulatorAwsEnvironment(emulator.url);
  const tf = terraformEnvironment();
  const bareEnv: NodeJS.ProcessEnv = { ...process.env, ...tf.env, ...aws.terraformEnv() };
  const scratch = mkdtempSync(join(tmpdir(), "k3s-bot-bench-bare-"));
  try {
    // Terraform needs the state bucket before init; the bot would create it on its first plan.
    await ensureStateBackend(
      {
        bucket: config.state.bucket,
        lockTable: config.state.lockTable,
        region: config.state.region,
      },
      aws.clients(config.state.region),
    );
    await aws.afterStateBackend(config);

    // Warm-up, not measured: fills the plugin cache and the page cache, and gives the bare runs
    // exactly the JSON the bot synthesizes.
    log("warm-up: one plan through the bot");
    const reference = join(scratch, "reference.tf.json");
    {
      const bot = startBenchBot(emulator.url, { maxTerraform });
      try {
        const head = shaOf(`${args.label}-warmup`);
        bot.github.setFile(head, file, definitionText);
        bot.github.addPull({
          number: 1,
          headSha: head,
          files: [{ filename: file, status: "modified" }],
        });
        await bot.comment(1, "/k3s plan");
        expectPlan(bot.github.markedComment(1, marker(cluster))?.body, head);
        copyFileSync(join(bot.runs.workDirOf(REPO, cluster, "plan"), "cdk.tf.json"), reference);
        await bot.runs.unlock({ repo: REPO, pullRequest: 1, user: "alice" }, config);
      } finally {
        bot.close();
      }
    }
    const bareDir = (name: string) => {
      const dir = join(scratch, name);
      mkdirSync(dir, { recursive: true });
      copyFileSync(reference, join(dir, "cdk.tf.json"));
      return dir;
    };
    const terraform = tf.binary;
    const init = (dir: string) =>
      timed(terraform, ["init", "-input=false", "-no-color"], dir, bareEnv);
    const plan = (dir: string) =>
      timed(terraform, ["plan", "-input=false", "-no-color"], dir, bareEnv);

    const cold: NonNullable<Results["cold"]> = {
      bot: [],
      bare: [],
      bareInit: [],
      barePlan: [],
      githubCalls: [],
    };
    const warm: NonNullable<Results["warm"]> = { bot: [], bare: [], githubCalls: [] };
    const parts: NonNullable<Results["parts"]> = { synthMs: [], initFreshMs: [], initAgainMs: [] };
    const doCold = !args.skip.has("cold");
    const doWarm = !args.skip.has("warm");
    if (doCold || doWarm) {
      results.cold = cold;
      if (doWarm) results.warm = warm;
    }

    for (let rep = 0; rep < args.reps && (doCold || doWarm); rep++) {
      const botFirst = rep % 2 === 0;
      log(
        `rep ${rep + 1}/${args.reps} (${botFirst ? "bot first" : "bare first"}, load ${loadavg()[0]?.toFixed(2)})`,
      );
      const bot = startBenchBot(emulator.url, { maxTerraform });
      const pr = 10 + rep;
      const headA = shaOf(`${args.label}-${rep}-a`);
      const headB = shaOf(`${args.label}-${rep}-b`);
      const dir = bareDir(`bare-${rep}`);
      try {
        bot.github.setFile(headA, file, definitionText);
        const pull = bot.github.addPull({
          number: pr,
          headSha: headA,
          files: [{ filename: file, status: "modified" }],
        });

        const botCold = async () => {
          const calls = bot.github.calls.length;
          const [ms] = await time(() => bot.comment(pr, "/k3s plan"));
          expectPlan(bot.github.markedComment(pr, marker(cluster))?.body, headA);
          cold.bot.push(ms);
          cold.githubCalls.push(bot.github.calls.length - calls);
          log(`  cold bot  ${seconds(ms)}`);
        };
        const bareCold = async () => {
          const initMs = await init(dir);
          const planMs = await plan(dir);
          cold.bareInit.push(initMs);
          cold.barePlan.push(planMs);
          cold.bare.push(initMs + planMs);
          log(`  cold bare ${seconds(initMs + planMs)} (init ${seconds(initMs)})`);
        };
        const botWarm = async () => {
          // A new commit on the PR, the definition unchanged.
          pull.headSha = headB;
          bot.github.setFile(headB, file, definitionText);
          const calls = bot.github.calls.length;
          const [ms] = await time(() => bot.comment(pr, "/k3s plan"));
          expectPlan(bot.github.markedComment(pr, marker(cluster))?.body, headB);
          // The saved plan is the new commit's.
          const store = new PlanStore(aws.clients(config.state.region).s3, config.state.bucket);
          const saved = await store.metadata({
            repo: REPO,
            pullRequest: pr,
            cluster,
            headSha: headB,
          });
          if (saved?.headSha !== headB) throw new Error(`no saved plan for ${headB}`);
          warm.bot.push(ms);
          warm.githubCalls.push(bot.github.calls.length - calls);
          log(`  warm bot  ${seconds(ms)}`);
        };
        const bareWarm = async () => {
          const ms = await plan(dir);
          warm.bare.push(ms);
          log(`  warm bare ${seconds(ms)}`);
        };

        // Bot and bare alternate which goes first, rep by rep.
        const pairs: Array<[() => Promise<void>, () => Promise<void>]> = [];
        if (doCold || doWarm) pairs.push([botCold, bareCold]);
        if (doWarm) pairs.push([botWarm, bareWarm]);
        for (const [botRun, bareRun] of pairs) {
          if (botFirst) {
            await botRun();
            await bareRun();
          } else {
            await bareRun();
            await botRun();
          }
        }
        await bot.runs.unlock({ repo: REPO, pullRequest: pr, user: "alice" }, config);
      } finally {
        bot.close();
      }
      save();
    }
    if (!doCold) delete results.cold;

    if (!args.skip.has("parts")) {
      log("parts: synth alone, init alone");
      results.parts = parts;
      const stackOptions = {
        ...aws.stackOptions(),
        bootstrap: {
          gitops: {
            repoUrl: `https://github.com/${REPO}.git`,
            path: `clusters/${cluster}/argocd/apps`,
            revision: "HEAD",
          },
        },
      };
      for (let rep = 0; rep < args.reps; rep++) {
        const started = performance.now();
        synthesizeCluster(config, stackOptions, aws.customize);
        parts.synthMs.push(performance.now() - started);
        const dir = bareDir(`parts-${rep}`);
        parts.initFreshMs.push(await init(dir));
        parts.initAgainMs.push(await init(dir));
      }
      save();
    }

    if (!args.skip.has("concurrent")) {
      log(
        `concurrent: ${args.concurrent} PRs planning ${args.concurrent} clusters at once (bound ${maxTerraform})`,
      );
      results.concurrent = await runConcurrentChild(emulator.url, args, maxTerraform, scratch);
      save();
    }
  } finally {
    aws.destroy();
    await emulator.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  results.machine.loadAfter = loadavg();
  results.finishedAt = new Date().toISOString();
  results.summary = summarize(results);
  save();
  process.stdout.write(`\n${report(results)}\n\nresults: ${args.out}\n`);
}

function expectPlan(body: string | undefined, headSha: string): void {
  if (!body?.includes(`commit \`${headSha.slice(0, 7)}\``) || !/\*\*(Plan:|No changes)/.test(body))
    throw new Error(`no plan comment for ${headSha}:\n${body?.slice(0, 2000) ?? "(none)"}`);
}

async function runConcurrentChild(
  emulatorUrl: string,
  args: BenchArgs,
  maxTerraform: number,
  scratch: string,
): Promise<ConcurrentResult> {
  const resultFile = join(scratch, "concurrent.json");
  const realTerraform = execFileSync(
    "bash",
    ["-c", `command -v ${terraformEnvironment().binary}`],
    {
      encoding: "utf8",
    },
  ).trim();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(
      TSX,
      [
        join(HERE, "plan-latency.ts"),
        "--scenario",
        "concurrent",
        "--emulator-url",
        emulatorUrl,
        "--concurrent",
        String(args.concurrent),
        "--max-terraform",
        String(maxTerraform),
        "--definition",
        args.definition,
        "--result-file",
        resultFile,
      ],
      {
        cwd: ROOT,
        stdio: ["ignore", "inherit", "inherit"],
        env: {
          ...process.env,
          K3S_BOT_TERRAFORM: PROBE,
          K3S_BENCH_REAL_TERRAFORM: realTerraform,
          K3S_BENCH_TF_LOG: join(scratch, "terraform-runs.log"),
        },
      },
    );
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`concurrent run failed (exit ${code})`)),
    );
  });
  return JSON.parse(readFileSync(resultFile, "utf8")) as ConcurrentResult;
}

// ---------------------------------------------------------------------------------------------
// The child process: one bot, N pull requests, N clusters, all at once.

function readProcesses(): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const info = parseProcStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (info) found.push(info);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function concurrentScenario(args: BenchArgs): Promise<void> {
  if (!args.emulatorUrl || !args.resultFile) throw new Error("--emulator-url and --result-file");
  const logFile = process.env.K3S_BENCH_TF_LOG;
  if (!logFile) throw new Error("K3S_BENCH_TF_LOG is not set");
  writeFileSync(logFile, "");
  const base = readFileSync(args.definition, "utf8");
  const baseName = loadConfig(base, args.definition).name;
  const count = args.concurrent;
  const bot = startBenchBot(
    args.emulatorUrl,
    args.maxTerraform ? { maxTerraform: args.maxTerraform } : {},
  );
  const clusters = Array.from(
    { length: count },
    (_, i) => `${baseName}-${String(i + 1).padStart(2, "0")}`,
  );
  clusters.forEach((cluster, i) => {
    const head = shaOf(`concurrent-${i}`);
    const file = `clusters/${cluster}.yaml`;
    bot.github.setFile(head, file, base.replace(/^name: .*$/m, `name: ${cluster}`));
    bot.github.addPull({
      number: 100 + i,
      headSha: head,
      files: [{ filename: file, status: "modified" }],
    });
  });

  let botPeak = 0;
  let terraformPeak = 0;
  let terraformProcesses = 0;
  const sample = () => {
    botPeak = Math.max(botPeak, process.memoryUsage().rss);
    const below = descendantsOf(process.pid, readProcesses());
    terraformPeak = Math.max(
      terraformPeak,
      below.reduce((sum, p) => sum + p.rssBytes, 0),
    );
    terraformProcesses = Math.max(
      terraformProcesses,
      below.filter((p) => p.comm === "terraform").length,
    );
  };
  const sampler = setInterval(sample, 200);
  const started = performance.now();
  const failures: string[] = [];
  try {
    await Promise.all(clusters.map((_, i) => bot.comment(100 + i, "/k3s plan")));
  } finally {
    clearInterval(sampler);
  }
  const wallMs = performance.now() - started;
  sample();
  let planned = 0;
  clusters.forEach((cluster, i) => {
    const body = bot.github.markedComment(100 + i, marker(cluster))?.body ?? "";
    if (/\*\*(Plan:|No changes)/.test(body)) planned += 1;
    else failures.push(`${cluster}: ${body.slice(0, 500) || "(no plan comment)"}`);
  });
  const workRoot = bot.workRoot;
  const intervals = parseProbeLog(readFileSync(logFile, "utf8"), (cwd) =>
    // <workRoot>/<owner__repo>/<cluster>/<purpose>: the cluster is what must not overlap.
    relative(workRoot, dirname(cwd)),
  );
  const proof = checkNoOverlap(intervals);
  const result: ConcurrentResult = {
    pullRequests: count,
    maxTerraform: bot.queue.maxConcurrent,
    wallMs,
    planned,
    failures,
    botPeakRssBytes: process.resourceUsage().maxRSS * 1024,
    botPeakRssSampledBytes: botPeak,
    terraformPeakRssBytes: terraformPeak,
    terraformPeakProcesses: terraformProcesses,
    queuePeakConcurrent: bot.queue.peakConcurrent,
    proof: {
      ...proof,
      overlaps: proof.overlaps.map(
        ([a, b]) =>
          `${a.key}: ${a.command} [${a.startMs}, ${a.endMs}) and ${b.command} [${b.startMs}, ${b.endMs})`,
      ),
    },
  };
  bot.close();
  writeFileSync(args.resultFile, `${JSON.stringify(result, null, 2)}\n`);
}

const args = parseBenchArgs(process.argv.slice(2));
if (args.scenario === "concurrent") {
  concurrentScenario(args).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
} else {
  main(args).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
