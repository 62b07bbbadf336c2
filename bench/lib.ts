/**
 * The benchmark's pure parts: statistics, the concurrency-proof checker, /proc parsing, argument
 * parsing and the printed table. No I/O here, so test/bench/ can pin them down quickly.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `part / whole`, rounded to two decimals; NaN when the whole is not positive. */
export function ratio(part: number, whole: number): number {
  if (!(whole > 0) || !Number.isFinite(part)) return Number.NaN;
  return Math.round((part / whole) * 100) / 100;
}

/** One terraform process as the probe wrapper logged it. */
export interface TerraformInterval {
  /** What identifies a cluster: runs with the same key must never overlap. */
  key: string;
  command: string;
  startMs: number;
  endMs: number;
  pid?: number;
  exitCode?: number;
}

export interface OverlapReport {
  ok: boolean;
  runs: number;
  keys: number;
  /** Pairs of runs on one key that were alive at the same time. */
  overlaps: Array<[TerraformInterval, TerraformInterval]>;
  /** Most terraform processes alive at once, over all keys. */
  peakConcurrent: number;
}

/**
 * Proves (or refutes) that no key had two terraform processes alive at once. Intervals are
 * half-open [start, end): one run ending at the millisecond the next starts is not an overlap.
 */
export function checkNoOverlap(intervals: readonly TerraformInterval[]): OverlapReport {
  const byKey = new Map<string, TerraformInterval[]>();
  for (const run of intervals) {
    const list = byKey.get(run.key) ?? [];
    list.push(run);
    byKey.set(run.key, list);
  }
  const overlaps: Array<[TerraformInterval, TerraformInterval]> = [];
  for (const runs of byKey.values()) {
    const sorted = [...runs].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
    let latest: TerraformInterval | undefined;
    for (const run of sorted) {
      if (latest && run.startMs < latest.endMs) overlaps.push([latest, run]);
      if (!latest || run.endMs > latest.endMs) latest = run;
    }
  }
  return {
    ok: overlaps.length === 0,
    runs: intervals.length,
    keys: byKey.size,
    overlaps,
    peakConcurrent: peakConcurrent(intervals),
  };
}

/** Highest number of intervals alive at the same time (half-open intervals). */
export function peakConcurrent(intervals: readonly TerraformInterval[]): number {
  const events: Array<[number, number]> = [];
  for (const run of intervals) events.push([run.startMs, 1], [run.endMs, -1]);
  // Ends before starts at the same instant: half-open intervals.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let alive = 0;
  let peak = 0;
  for (const [, delta] of events) {
    alive += delta;
    peak = Math.max(peak, alive);
  }
  return peak;
}

/**
 * Parses the probe's log: one tab-separated line per finished terraform process,
 * `pid start end cwd command exitCode`. `keyOf` maps a working directory to its cluster.
 */
export function parseProbeLog(text: string, keyOf: (cwd: string) => string): TerraformInterval[] {
  const intervals: TerraformInterval[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [pid, start, end, cwd, command, exitCode] = line.split("\t");
    if (cwd === undefined || end === undefined) throw new Error(`bad probe line: ${line}`);
    intervals.push({
      key: keyOf(cwd),
      command: command ?? "",
      startMs: Number(start),
      endMs: Number(end),
      pid: Number(pid),
      exitCode: Number(exitCode),
    });
  }
  return intervals;
}

/** One process from /proc/<pid>/stat: its parent, and its resident memory in bytes. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  rssBytes: number;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself contain spaces or
 * parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(stat: string, pageSize = 4096): ProcInfo | null {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(stat.slice(0, open).trim());
  const comm = stat.slice(open + 1, close);
  // After ')': state(3) ppid(4) … rss is field 24, i.e. index 21 of the fields after comm.
  const rest = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(rest[1]);
  const rssPages = Number(rest[21]);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(rssPages)) return null;
  return { pid, ppid, comm, rssBytes: rssPages * pageSize };
}

/** Every process below `root` (children, grandchildren …), root itself excluded. */
export function descendantsOf(root: number, processes: readonly ProcInfo[]): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of processes) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found: ProcInfo[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of children.get(next) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

export interface BenchArgs {
  reps: number;
  concurrent: number;
  maxTerraform?: number;
  out: string;
  label: string;
  definition: string;
  skip: Set<"cold" | "warm" | "concurrent" | "parts">;
  /** Internal: run one scenario in this (child) process. */
  scenario?: "concurrent";
  emulatorUrl?: string;
  resultFile?: string;
}

export const BENCH_USAGE = `usage: npm run bench -- [options]
  --reps N            repetitions of each measurement (default 3)
  --concurrent N      pull requests planning N different clusters at once (default 20; 0 skips)
  --max-terraform N   the bot's bound on terraform processes (default: the bot's own default)
  --definition FILE   cluster to plan (default examples/clusters/ha.yaml)
  --skip LIST         comma-separated: cold,warm,concurrent,parts
  --label TEXT        stored with the results (e.g. before/after)
  --out FILE          results file (default .bench/plan-latency.json)`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    reps: 3,
    concurrent: 20,
    out: ".bench/plan-latency.json",
    label: "",
    definition: "examples/clusters/ha.yaml",
    skip: new Set(),
  };
  const positive = (flag: string, raw: string | undefined, allowZero = false): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
      throw new Error(`${flag} needs a ${allowZero ? "non-negative" : "positive"} integer`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--reps":
        args.reps = positive(flag, value());
        break;
      case "--concurrent":
        args.concurrent = positive(flag, value(), true);
        break;
      case "--max-terraform":
        args.maxTerraform = positive(flag, value());
        break;
      case "--out":
        args.out = value();
        break;
      case "--label":
        args.label = value();
        break;
      case "--definition":
        args.definition = value();
        break;
      case "--skip":
        for (const part of value().split(",")) {
          if (!["cold", "warm", "concurrent", "parts"].includes(part))
            throw new Error(`--skip: unknown part ${part}`);
          args.skip.add(part as "cold");
        }
        break;
      case "--scenario":
        if (value() !== "concurrent") throw new Error("--scenario: only concurrent");
        args.scenario = "concurrent";
        break;
      case "--emulator-url":
        args.emulatorUrl = value();
        break;
      case "--result-file":
        args.resultFile = value();
        break;
      default:
        throw new Error(`unknown option ${flag}\n${BENCH_USAGE}`);
    }
  }
  if (args.concurrent === 0) args.skip.add("concurrent");
  return args;
}

/** Milliseconds as seconds with one decimal, or a dash when not measured. */
export function seconds(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? "–" : `${(ms / 1000).toFixed(1)} s`;
}

export function megabytes(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes)
    ? "–"
    : `${Math.round(bytes / 1024 / 1024)} MB`;
}

/** A plain-text table: first row is the header; columns padded to their widest cell. */
export function formatTable(rows: ReadonlyArray<readonly string[]>): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - [...cell].length))
      .join("  ")
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return "";
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** A target check for the table: "ok" or "MISSED". */
export function verdict(value: number, limit: number): string {
  return Number.isFinite(value) ? (value <= limit ? "ok" : "MISSED") : "–";
}
