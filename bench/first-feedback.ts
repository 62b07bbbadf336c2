/**
 * `npm run bench` (first part), `npm run bench:feedback`: how long a reviewer waits, after
 * commenting `/k3s plan`, for the first feedback — the 👀 reaction, the in-progress check run
 * and the comment with the change summary (what the definition changes and what it costs),
 * which need no Terraform. GitHub is faked (test/support/fake-github.ts, in process), AWS is
 * the emulator, and Terraform is the fake (test/support/fake-terraform-bin.mjs) with a plan
 * that takes FAKE_TF_PLAN_MS (default 3,000 ms): what is measured is the bot's own path up to
 * the first feedback, which must not wait for Terraform. Each repetition is a new commit on the
 * PR (a new plan comment), the definition alternating between two changes against the base.
 *
 *   npm run bench:feedback -- [--reps 30] [--out .bench/first-feedback.json]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "../app/local/emulator";
import { useFakeTerraform } from "../test/support/fake-terraform";
import { startBenchBot } from "./bot";
import { firstFeedback, percentile } from "./feedback-stats";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = (text: string) => process.stderr.write(`${text}\n`);
const argOf = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const shaOf = (i: number) => i.toString(16).padStart(40, "a");

interface Rep {
  eyesMs: number;
  checkRunMs: number;
  summaryMs: number;
  planMs: number;
}

async function main(): Promise<void> {
  const reps = Number(argOf("--reps", "30"));
  const out = resolve(ROOT, argOf("--out", ".bench/first-feedback.json"));
  const planDelay = process.env.FAKE_TF_PLAN_MS ?? "3000";
  const base = readFileSync(join(ROOT, "examples/clusters/dev.yaml"), "utf8");
  const heads = [
    base.replace("instanceType: t3.large", "instanceType: m6i.large"),
    base.replace("max: 3", "max: 5"),
  ];
  const emulator = await startEmulator();
  const terraform = useFakeTerraform();
  terraform.set({ FAKE_TF_PLAN_MS: planDelay });
  const bot = startBenchBot(emulator.url);
  const { github } = bot;
  github.setFile("main", "clusters/dev.yaml", base);
  const results: Rep[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const headSha = shaOf(i + 1);
      github.setFile(headSha, "clusters/dev.yaml", heads[i % 2] as string);
      github.addPull({
        number: 7,
        headSha,
        baseSha: "b".repeat(40),
        files: [{ filename: "clusters/dev.yaml", status: "modified" }],
      });
      github.setFile("b".repeat(40), "clusters/dev.yaml", base);
      const marker = `<!-- k3s-bot:head:${headSha} -->`;
      const callsBefore = github.calls.length;
      const requestsBefore = github.requests.length;
      terraform.clear();
      const started = Date.now();
      await bot.comment(7, "/k3s plan");
      const planMs = Date.now() - started;
      const seen = firstFeedback(github, callsBefore, started, 7);
      const final = github.comments.find((c) => c.body.includes(marker))?.body ?? "";
      const planStart = terraform.runs().find((r) => r.args[0] === "plan")?.start;
      if (!final.includes("Plan: 1 to add") || planStart === undefined)
        throw new Error(`repetition ${i}: no plan comment:\n${final}`);
      const firstComment = github.requests
        .slice(requestsBefore)
        .find((r) => r.method === "POST" && r.path.endsWith("/issues/7/comments"));
      const firstBody = String((firstComment?.body as { body?: string } | null)?.body ?? "");
      if (!firstBody.includes("planning…") || !firstBody.includes("What this changes"))
        throw new Error(`repetition ${i}: the first comment is not the change summary`);
      // The feedback must come before Terraform plans, not after.
      if (seen.summaryMs > planStart - started)
        throw new Error(`repetition ${i}: the change summary came after terraform plan started`);
      // The first repetition warms the process (module loading, state backend check).
      if (i > 0) results.push({ ...seen, planMs });
      log(
        `rep ${i}: 👀 ${seen.eyesMs?.toFixed(0)} ms · check run ${seen.checkRunMs?.toFixed(0)} ms · summary ${seen.summaryMs.toFixed(0)} ms · plan ${planMs.toFixed(0)} ms${i === 0 ? " (warm-up, not counted)" : ""}`,
      );
    }
  } finally {
    bot.close();
    terraform.restore();
    await emulator.stop();
  }
  const stat = (key: keyof Rep) => {
    const values = results.map((r) => r[key]);
    return { p50: percentile(values, 50), p95: percentile(values, 95) };
  };
  const summary = {
    startedAt: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadAfter: loadavg() },
    reps: results.length,
    fakePlanMs: Number(planDelay),
    eyes: stat("eyesMs"),
    checkRun: stat("checkRunMs"),
    changeSummary: stat("summaryMs"),
    planComment: stat("planMs"),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ ...summary, results }, null, 2)}\n`);
  const row = (name: string, s: { p50: number; p95: number }) =>
    `| ${name} | ${s.p50.toFixed(0)} ms | ${s.p95.toFixed(0)} ms |`;
  process.stdout.write(
    [
      `First feedback on \`/k3s plan\`, ${results.length} repetitions (fake GitHub, fake terraform planning ${planDelay} ms, emulator), load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}:`,
      "",
      "| until | p50 | p95 |",
      "|---|--:|--:|",
      row("👀 reaction", summary.eyes),
      row("check run in progress", summary.checkRun),
      row("comment with the change summary and cost", summary.changeSummary),
      row("plan comment (after the fake plan)", summary.planComment),
      "",
      summary.changeSummary.p95 < 2_000
        ? "Within the 2 s target for the first feedback (p95)."
        : `Over the 2 s target for the first feedback: p95 ${summary.changeSummary.p95.toFixed(0)} ms.`,
      `Raw numbers: ${out}`,
      "",
    ].join("\n"),
  );
}

main().catch((error) => {
  log(String(error instanceof Error ? error.stack : error));
  process.exit(1);
});
