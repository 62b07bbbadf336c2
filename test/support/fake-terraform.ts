/**
 * Puts test/support/fake-terraform-bin.mjs in place of terraform for the bot (K3S_BOT_TERRAFORM)
 * and reads what it recorded: every invocation's argv, environment, working directory and
 * start/end times. For tests about the bot around Terraform (injection, concurrency, faults).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FAKE_TERRAFORM = fileURLToPath(new URL("./fake-terraform-bin.mjs", import.meta.url));

export interface FakeTerraformEvent {
  event: "start" | "end" | "hanging";
  pid: number;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  start: number;
  at: number;
  code?: number;
}

export interface FakeTerraform {
  dir: string;
  log: string;
  events(): FakeTerraformEvent[];
  /** Invocations (start events), in order. */
  runs(): FakeTerraformEvent[];
  /** Sets FAKE_TF_* settings for the processes started from now on. */
  set(settings: Record<string, string | undefined>): void;
  /** Forgets what was recorded so far. */
  clear(): void;
  restore(): void;
}

const SETTINGS = [
  "K3S_BOT_TERRAFORM",
  "K3S_BOT_TERRAFORM_ENV",
  "FAKE_TF_LOG",
  "FAKE_TF_PLAN_MS",
  "FAKE_TF_APPLY",
  "FAKE_TF_SHOW_JSON",
];

export function useFakeTerraform(): FakeTerraform {
  const saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
  const dir = mkdtempSync(join(tmpdir(), "fake-terraform-"));
  const log = join(dir, "terraform.jsonl");
  process.env.K3S_BOT_TERRAFORM = FAKE_TERRAFORM;
  process.env.FAKE_TF_LOG = log;
  // Terraform gets an allow-list of the bot's environment; the fake's settings are let through
  // the way an operator adds a variable (child-env.ts).
  process.env.K3S_BOT_TERRAFORM_ENV = "FAKE_TF_LOG,FAKE_TF_PLAN_MS,FAKE_TF_APPLY,FAKE_TF_SHOW_JSON";
  const events = (): FakeTerraformEvent[] =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as FakeTerraformEvent)
      : [];
  return {
    dir,
    log,
    events,
    runs: () => events().filter((e) => e.event === "start"),
    set(settings) {
      for (const [name, value] of Object.entries(settings)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
    clear() {
      rmSync(log, { force: true });
    },
    restore() {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The most processes that were running at one moment, from their start and end events. */
export function peakConcurrency(events: readonly FakeTerraformEvent[]): number {
  const points = events
    .filter((e) => e.event === "start" || e.event === "end")
    .map((e) => ({ at: e.event === "start" ? e.start : e.at, delta: e.event === "start" ? 1 : -1 }))
    // At the same millisecond, an end before a start: touching runs did not overlap.
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const point of points) {
    running += point.delta;
    peak = Math.max(peak, running);
  }
  return peak;
}
