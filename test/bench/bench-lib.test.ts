/**
 * The benchmark's pure parts (bench/lib.ts, bench/report.ts): `npm run bench` is not a test,
 * but its statistics, its concurrency proof and its table must not break unnoticed.
 */
import { describe, expect, it } from "vitest";
import {
  checkNoOverlap,
  descendantsOf,
  formatTable,
  median,
  parseBenchArgs,
  parseProbeLog,
  parseProcStat,
  peakConcurrent,
  ratio,
  type TerraformInterval,
} from "../../bench/lib";
import { type Results, report, summarize } from "../../bench/report";

const run = (key: string, startMs: number, endMs: number, command = "plan"): TerraformInterval => ({
  key,
  command,
  startMs,
  endMs,
});

describe("statistics", () => {
  it("takes the median of odd and even samples without reordering the input", () => {
    const samples = [30, 10, 20];
    expect(median(samples)).toBe(20);
    expect(samples).toEqual([30, 10, 20]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("rounds ratios to two decimals and refuses a zero floor", () => {
    expect(ratio(23_000, 20_000)).toBe(1.15);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(5, 0)).toBeNaN();
  });
});

describe("the concurrency proof", () => {
  it("accepts runs on one cluster back to back, and runs on different clusters at once", () => {
    const report = checkNoOverlap([
      run("a", 0, 10, "init"),
      run("a", 10, 20),
      run("b", 5, 15),
      run("a", 25, 30, "show"),
    ]);
    expect(report).toMatchObject({ ok: true, runs: 4, keys: 2, overlaps: [], peakConcurrent: 2 });
  });

  it("finds two runs on one cluster at once, even when a long run hides behind a short one", () => {
    const long = run("a", 0, 100, "plan");
    const report = checkNoOverlap([long, run("a", 10, 20, "init"), run("a", 50, 60, "show")]);
    expect(report.ok).toBe(false);
    expect(report.overlaps).toHaveLength(2);
    expect(report.overlaps.every(([first]) => first === long)).toBe(true);
  });

  it("counts the most processes alive at once", () => {
    expect(peakConcurrent([run("a", 0, 10), run("b", 0, 10), run("c", 10, 20)])).toBe(2);
    expect(peakConcurrent([])).toBe(0);
  });

  it("reads the probe's log and maps working directories to clusters", () => {
    const text =
      "101\t1000\t2000\t/w/acme__platform/c1/plan\tinit\t0\n102\t1500\t2500\t/w/acme__platform/c2/plan\tplan\t2\n";
    const runs = parseProbeLog(text, (cwd) => cwd.split("/").at(-2) ?? "");
    expect(runs).toEqual([
      { key: "c1", command: "init", startMs: 1000, endMs: 2000, pid: 101, exitCode: 0 },
      { key: "c2", command: "plan", startMs: 1500, endMs: 2500, pid: 102, exitCode: 2 },
    ]);
    expect(() => parseProbeLog("garbage", (c) => c)).toThrow(/bad probe line/);
  });
});

describe("process memory from /proc", () => {
  it("parses a stat line whose command name has spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i));
    fields[1] = "7"; // ppid (field 4)
    fields[21] = "256"; // rss in pages (field 24)
    const stat = `4242 (terraform (x) y) S ${fields.slice(1).join(" ")}`;
    expect(parseProcStat(stat, 4096)).toEqual({
      pid: 4242,
      ppid: 7,
      comm: "terraform (x) y",
      rssBytes: 256 * 4096,
    });
    expect(parseProcStat("nonsense")).toBeNull();
  });

  it("finds children and grandchildren, not the root and not strangers", () => {
    const p = (pid: number, ppid: number) => ({ pid, ppid, comm: "x", rssBytes: pid });
    const found = descendantsOf(1, [p(1, 0), p(2, 1), p(3, 2), p(4, 3), p(9, 0), p(10, 9)]);
    expect(found.map((q) => q.pid).sort()).toEqual([2, 3, 4]);
  });
});

describe("arguments", () => {
  it("defaults to three repetitions and twenty pull requests", () => {
    const args = parseBenchArgs([]);
    expect(args).toMatchObject({
      reps: 3,
      concurrent: 20,
      definition: "examples/clusters/ha.yaml",
    });
    expect(args.skip.size).toBe(0);
  });

  it("reads the flags and refuses nonsense", () => {
    const args = parseBenchArgs(["--reps", "5", "--concurrent", "0", "--skip", "parts,warm"]);
    expect(args.reps).toBe(5);
    expect([...args.skip].sort()).toEqual(["concurrent", "parts", "warm"]);
    expect(() => parseBenchArgs(["--reps", "0"])).toThrow(/positive integer/);
    expect(() => parseBenchArgs(["--reps"])).toThrow(/needs a value/);
    expect(() => parseBenchArgs(["--skip", "everything"])).toThrow(/unknown part/);
    expect(() => parseBenchArgs(["--fast"])).toThrow(/unknown option/);
  });
});

describe("the table", () => {
  it("pads columns to the widest cell", () => {
    expect(
      formatTable([
        ["a", "bb"],
        ["ccc", "d"],
      ]),
    ).toBe("a    bb\n---  --\nccc  d");
  });

  it("reports medians, ratios against the targets, memory and the proof", () => {
    const results: Results = {
      label: "after",
      startedAt: "2026-01-01T00:00:00Z",
      machine: { cores: 2, cpu: "x", memoryGb: 24, loadBefore: [1, 2, 3], loadAfter: [1, 1, 1] },
      definition: "examples/clusters/ha.yaml",
      reps: 3,
      maxTerraform: 2,
      cold: {
        bot: [23_000, 22_000, 40_000],
        bare: [20_000, 21_000, 19_000],
        bareInit: [],
        barePlan: [],
        githubCalls: [],
      },
      warm: { bot: [20_000, 20_000, 20_000], bare: [15_000, 15_000, 15_000], githubCalls: [] },
      concurrent: {
        pullRequests: 20,
        maxTerraform: 2,
        wallMs: 300_000,
        planned: 20,
        failures: [],
        botPeakRssBytes: 300 * 1024 * 1024,
        botPeakRssSampledBytes: 0,
        terraformPeakRssBytes: 1500 * 1024 * 1024,
        terraformPeakProcesses: 2,
        queuePeakConcurrent: 2,
        proof: { ok: true, runs: 60, keys: 20, overlaps: [], peakConcurrent: 2 },
      },
    };
    expect(summarize(results)).toMatchObject({ coldRatio: 1.15, warmRatio: 1.33 });
    const table = report(results);
    expect(table).toContain("[after] load average 1.00 2.00 3.00 before");
    expect(table).toMatch(/cold plan \(median of 3\) +23\.0 s +20\.0 s +1\.15× +≤ 1\.15× ok/);
    expect(table).toMatch(/warm re-plan .*1\.33× +≤ 1\.2× MISSED/);
    expect(table).toMatch(/bot peak RSS .*300 MB .*< 1 GB ok/);
    expect(table).toContain("never (60 runs, 20 clusters)");
  });
});
