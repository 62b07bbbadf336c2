/**
 * The status document a cluster's servers write to `/k3s-bot/<name>/status`
 * (infra/bootstrap/scripts/cluster-status.py), read back as untrusted input: any server of the
 * cluster (so anyone who controls one) can write anything up to SSM's size limit. Every field is
 * checked for type, enums are closed, strings are bounded; what does not fit is dropped, never
 * passed on. Rendering (app/bot/cluster-status-text.ts) escapes and redacts on top of this.
 */

export type ChartState = "installed" | "installing" | "pending" | "failing" | "failed";
const CHART_STATES: readonly ChartState[] = [
  "installed",
  "installing",
  "pending",
  "failing",
  "failed",
];

export interface NodeStatus {
  name: string;
  role: "server" | "agent";
  ready: boolean;
  version: string;
  cordoned: boolean;
  /** When the node object was created (ISO 8601), if reported. */
  created?: string;
  /** When Ready last changed (the Ready condition's lastTransitionTime), if reported. */
  since?: string;
}

export interface ChartStatus {
  name: string;
  state: ChartState;
  since?: string;
  attempts?: number;
  message?: string;
  /** Tail of the failing install Job's log, already redacted once on the node. */
  log?: string;
}

export interface ClusterStatus {
  cluster: string;
  /** When the reporter wrote it (ISO 8601). */
  at: string;
  reporter: string;
  api: "up" | "down";
  nodes: NodeStatus[];
  charts: ChartStatus[];
  argocd?: { sync: string; health: string; message?: string };
  jenkins?: { ready: boolean };
  /** What the reporter cut to fit the parameter's size limit. */
  cut: string[];
}

export class StatusDocumentError extends Error {
  override name = "StatusDocumentError";
}

// Argo CD's values (argoproj/argo-cd, SyncStatusCode and health.HealthStatusCode): anything
// else is shown as Unknown, so no free text from a node reaches a summary line.
const SYNC = ["Synced", "OutOfSync", "Unknown"] as const;
const HEALTH = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"] as const;
const MAX_NODES = 500;
const MAX_CHARTS = 50;

const str = (value: unknown, max: number): string | undefined =>
  typeof value === "string" ? value.slice(0, max) : undefined;
const time = (value: unknown): string | undefined =>
  typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)
    ? value
    : undefined;
const object = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const list = (value: unknown, max: number): unknown[] =>
  Array.isArray(value) ? value.slice(0, max) : [];

/** Parses a stored document; throws StatusDocumentError when it is not one at all. */
export function parseStatusDocument(text: string): ClusterStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StatusDocumentError("the status parameter does not hold JSON");
  }
  const doc = object(raw);
  if (doc?.v !== 1) throw new StatusDocumentError("the status document is not version 1");
  const at = time(doc.at);
  if (!at) throw new StatusDocumentError("the status document has no valid time (`at`)");
  const nodes = list(doc.nodes, MAX_NODES).flatMap((value): NodeStatus[] => {
    const n = object(value);
    const name = str(n?.name, 120);
    if (!n || !name) return [];
    const created = time(n.created);
    const since = time(n.since);
    return [
      {
        name,
        role: n.role === "server" ? "server" : "agent",
        ready: n.ready === true,
        version: str(n.version, 40) ?? "",
        cordoned: n.cordoned === true,
        ...(created ? { created } : {}),
        ...(since ? { since } : {}),
      },
    ];
  });
  const charts = list(doc.charts, MAX_CHARTS).flatMap((value): ChartStatus[] => {
    const c = object(value);
    const name = str(c?.name, 60);
    const state = CHART_STATES.find((s) => s === c?.state);
    if (!c || !name || !state) return [];
    const since = time(c.since);
    const message = str(c.message, 200);
    const log = str(c.log, 1000);
    return [
      {
        name,
        state,
        ...(since ? { since } : {}),
        ...(typeof c.attempts === "number" && Number.isInteger(c.attempts) && c.attempts >= 0
          ? { attempts: c.attempts }
          : {}),
        ...(message ? { message } : {}),
        ...(log ? { log } : {}),
      },
    ];
  });
  const argo = object(doc.argocd);
  const jenkins = object(doc.jenkins);
  return {
    cluster: str(doc.cluster, 40) ?? "",
    at,
    reporter: str(doc.reporter, 120) ?? "",
    api: doc.api === "up" ? "up" : "down",
    nodes,
    charts,
    ...(argo
      ? {
          argocd: {
            sync: SYNC.find((v) => v === argo.sync) ?? "Unknown",
            health: HEALTH.find((v) => v === argo.health) ?? "Unknown",
            ...(str(argo.message, 200) ? { message: str(argo.message, 200) } : {}),
          },
        }
      : {}),
    ...(jenkins ? { jenkins: { ready: jenkins.ready === true } } : {}),
    cut: list(doc.cut, 10).flatMap((c) => (typeof c === "string" ? [c.slice(0, 20)] : [])),
  };
}
