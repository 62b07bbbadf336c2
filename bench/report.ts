/**
 * The benchmark's results file and its printed table (pure: test/bench/ checks the table).
 */
import { formatTable, median, megabytes, type OverlapReport, ratio, seconds, verdict } from "./lib";

export interface Samples {
  bot: number[];
  bare: number[];
}

export interface Results {
  label: string;
  startedAt: string;
  finishedAt?: string;
  machine: {
    cores: number;
    cpu: string;
    memoryGb: number;
    loadBefore: number[];
    loadAfter?: number[];
  };
  definition: string;
  reps: number;
  maxTerraform: number;
  cold?: Samples & { bareInit: number[]; barePlan: number[]; githubCalls: number[] };
  warm?: Samples & { githubCalls: number[] };
  parts?: { synthMs: number[]; initFreshMs: number[]; initAgainMs: number[] };
  concurrent?: ConcurrentResult;
  summary?: Record<string, number>;
}

export interface ConcurrentResult {
  pullRequests: number;
  maxTerraform: number;
  wallMs: number;
  planned: number;
  failures: string[];
  botPeakRssBytes: number;
  botPeakRssSampledBytes: number;
  terraformPeakRssBytes: number;
  terraformPeakProcesses: number;
  queuePeakConcurrent: number;
  proof: Omit<OverlapReport, "overlaps"> & { overlaps: string[] };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

export function summarize(results: Results): Record<string, number> {
  const s: Record<string, number> = {};
  if (results.cold) {
    s.coldBotMs = median(results.cold.bot);
    s.coldBareMs = median(results.cold.bare);
    s.coldRatio = ratio(s.coldBotMs, s.coldBareMs);
  }
  if (results.warm) {
    s.warmBotMs = median(results.warm.bot);
    s.warmBareMs = median(results.warm.bare);
    s.warmRatio = ratio(s.warmBotMs, s.warmBareMs);
  }
  if (results.parts) {
    s.synthMs = median(results.parts.synthMs);
    s.initFreshMs = median(results.parts.initFreshMs);
    s.initAgainMs = median(results.parts.initAgainMs);
  }
  return s;
}

export function report(results: Results): string {
  const s = results.summary ?? summarize(results);
  const rows: string[][] = [["measurement", "bot", "bare terraform", "ratio", "target"]];
  if (results.cold)
    rows.push([
      `cold plan (median of ${results.cold.bot.length})`,
      seconds(s.coldBotMs),
      seconds(s.coldBareMs),
      `${s.coldRatio}×`,
      `≤ 1.15× ${verdict(s.coldRatio ?? Number.NaN, 1.15)}`,
    ]);
  if (results.warm)
    rows.push([
      `warm re-plan (median of ${results.warm.bot.length})`,
      seconds(s.warmBotMs),
      seconds(s.warmBareMs),
      `${s.warmRatio}×`,
      `≤ 1.2× ${verdict(s.warmRatio ?? Number.NaN, 1.2)}`,
    ]);
  if (results.parts) {
    rows.push(["synth alone", seconds(s.synthMs), "", "", ""]);
    rows.push(["terraform init, fresh dir", "", seconds(s.initFreshMs), "", ""]);
    rows.push(["terraform init, initialized dir", "", seconds(s.initAgainMs), "", ""]);
  }
  const c = results.concurrent;
  if (c) {
    const mb = 1024 * 1024;
    rows.push([
      `${c.pullRequests} PRs at once (bound ${c.maxTerraform})`,
      `${seconds(c.wallMs)} wall, ${c.planned}/${c.pullRequests} planned`,
      "",
      "",
      "",
    ]);
    rows.push([
      "  bot peak RSS (terraform excluded)",
      megabytes(c.botPeakRssBytes),
      "",
      "",
      `< 1 GB ${verdict(c.botPeakRssBytes / mb, 1024)}`,
    ]);
    rows.push([
      "  terraform processes peak RSS (sum)",
      "",
      `${megabytes(c.terraformPeakRssBytes)} (at most ${c.proof.peakConcurrent} terraform processes at once, per the wrapper)`,
      "",
      "",
    ]);
    rows.push([
      "  two runs on one cluster at once",
      c.proof.ok
        ? `never (${c.proof.runs} runs, ${c.proof.keys} clusters)`
        : `${c.proof.overlaps.length} overlaps`,
      "",
      "",
      c.proof.ok ? "ok" : "MISSED",
    ]);
  }
  const load = `load average ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(" ")} before, ${results.machine.loadAfter?.map((l) => l.toFixed(2)).join(" ") ?? "?"} after; ${results.machine.cores} cores`;
  return `${results.label ? `[${results.label}] ` : ""}${load}\n\n${formatTable(rows)}`;
}
