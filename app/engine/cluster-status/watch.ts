/**
 * Waits for a cluster to become ready after an apply, by polling its status parameter with
 * backoff. It holds no Terraform slot (app/engine/run-queue.ts): it runs after the apply's
 * queued task has returned, and only reads SSM. A report older than the apply is ignored (it
 * describes the cluster before this apply, or a cluster of the same name destroyed earlier).
 *
 * The phases are timed from the reports themselves where they carry times (a node's Ready
 * transition, an install Job's completion), else from when the watch first saw them.
 */
import type { StatusExpectation } from "./assess";
import { type Assessment, assess } from "./assess";
import type { ClusterStatus } from "./document";
import type { StatusRead, StatusReader } from "./read";

export const DEFAULT_READY_TIMEOUT_MS = 20 * 60_000;
export const FIRST_POLL_MS = 10_000;
export const MAX_POLL_MS = 60_000;

export interface Phases {
  /** Epoch ms when Terraform finished. */
  applied: number;
  firstServerUp?: number;
  allNodesReady?: number;
  addonsConverged?: number;
}

export interface WatchState {
  /** Epoch ms: reports older than this are from before the apply. */
  appliedAt: number;
  /** Epoch ms: when the watch gives up. */
  deadline: number;
  phases: Phases;
}

export type WatchOutcome =
  | { kind: "ready"; status: ClusterStatus; assessment: Assessment; phases: Phases }
  | {
      kind: "timeout";
      last?: { status: ClusterStatus; assessment: Assessment };
      unreadable?: string;
      phases: Phases;
    };

export interface WatchOptions {
  read: StatusReader;
  cluster: { name: string; region: string };
  expect: StatusExpectation;
  state: WatchState;
  /** Called with each fresh report (progress), and when the phases change (to persist them). */
  onProgress?: (report: {
    status: ClusterStatus;
    assessment: Assessment;
    phases: Phases;
  }) => Promise<void>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  firstPollMs?: number;
  maxPollMs?: number;
  /** Stops the watch early (bot shutting down): resolves undefined. */
  stopped?: () => boolean;
}

const epoch = (iso: string | undefined): number | undefined => {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** Updates the phase times from one report: the earliest evidence, never before the apply. */
export function notePhases(
  phases: Phases,
  status: ClusterStatus,
  a: Assessment,
  seenAt: number,
): Phases {
  const next = { ...phases };
  const clamp = (t: number | undefined) => Math.min(seenAt, Math.max(phases.applied, t ?? seenAt));
  const readyServers = status.nodes.filter((n) => n.role === "server" && n.ready);
  if (next.firstServerUp === undefined && readyServers.length > 0)
    next.firstServerUp = clamp(Math.min(...readyServers.map((n) => epoch(n.since) ?? seenAt)));
  const nodesReady = !a.waitingFor.some((w) => /^(servers|workers|the Kubernetes API)/.test(w));
  if (next.allNodesReady === undefined && nodesReady) {
    const times = status.nodes.filter((n) => n.ready).map((n) => epoch(n.since) ?? seenAt);
    next.allNodesReady = clamp(times.length > 0 ? Math.max(...times) : seenAt);
  }
  if (next.addonsConverged === undefined && a.ready) {
    const times = status.charts.map((c) => epoch(c.since) ?? seenAt);
    next.addonsConverged = clamp(Math.max(next.allNodesReady ?? seenAt, ...times));
  }
  return next;
}

export async function watchUntilReady(options: WatchOptions): Promise<WatchOutcome | undefined> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let wait = options.firstPollMs ?? FIRST_POLL_MS;
  const max = options.maxPollMs ?? MAX_POLL_MS;
  let phases = options.state.phases;
  let last: { status: ClusterStatus; assessment: Assessment } | undefined;
  let unreadable: string | undefined;
  let lastSeen: string | undefined;
  for (;;) {
    if (options.stopped?.()) return undefined;
    let read: StatusRead;
    try {
      read = await options.read(options.cluster);
    } catch (error) {
      read = { kind: "unreadable", reason: error instanceof Error ? error.message : String(error) };
    }
    if (read.kind === "unreadable") unreadable = read.reason;
    if (
      read.kind === "reported" &&
      (epoch(read.status.at) ?? 0) >= options.state.appliedAt - 1000
    ) {
      unreadable = undefined;
      const assessment = assess(read.status, options.expect);
      phases = notePhases(phases, read.status, assessment, now());
      last = { status: read.status, assessment };
      const seen = JSON.stringify(read.status);
      if (seen !== lastSeen) {
        lastSeen = seen;
        await options.onProgress?.({ ...last, phases });
      }
      if (assessment.ready) return { kind: "ready", ...last, phases };
    }
    if (now() >= options.state.deadline)
      return {
        kind: "timeout",
        ...(last ? { last } : {}),
        ...(unreadable ? { unreadable } : {}),
        phases,
      };
    await sleep(Math.min(wait, Math.max(0, options.state.deadline - now())));
    wait = Math.min(max, Math.round(wait * 1.5));
  }
}
