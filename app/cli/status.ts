/**
 * `k3s-bot status <definition>`: what the cluster last reported about itself, read from its
 * status parameter in SSM with the caller's AWS credentials (ssm:GetParameter on
 * `/k3s-bot/<name>/status`); no network path to the Kubernetes API is needed.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { ClusterConfig } from "../../infra/definition/config";
import { statusParameterName } from "../../infra/naming";
import { assess } from "../engine/cluster-status/assess";
import { ssmStatusReader } from "../engine/cluster-status/read";
import { redactSecrets } from "../engine/redact";

/** The report as terminal text; `ok` is false when there is none or it cannot be read. */
export async function clusterStatusText(
  config: ClusterConfig,
  client: SSMClient,
  now = Date.now(),
): Promise<{ ok: boolean; text: string }> {
  const read = await ssmStatusReader(() => client)(config);
  const where = `${statusParameterName(config)} in ${config.region}`;
  if (read.kind === "none")
    return {
      ok: false,
      text: `${config.name}: no status report yet (${where}); the servers write one every 30 s once they boot`,
    };
  if (read.kind === "unreadable") return { ok: false, text: `${config.name}: ${read.reason}` };
  const { status } = read;
  const a = assess(status, config);
  // Terminal text: control characters from the document never reach the terminal.
  const clean = (t: string) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
    redactSecrets(t).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
  const age = Math.max(0, Math.round((now - Date.parse(status.at)) / 1000));
  const lines = [
    `${config.name}: ${a.ready ? "ready" : "not ready"} — ${a.summary}`,
    `reported ${age} s ago by ${clean(status.reporter)} (${where})`,
  ];
  if (!a.ready) lines.push(`waiting for: ${a.waitingFor.join("; ")}`);
  for (const n of status.nodes)
    lines.push(
      `  node ${clean(n.name)}  ${n.role}  ${n.ready ? "Ready" : "NotReady"}${n.cordoned ? " (cordoned)" : ""}  ${clean(n.version)}`,
    );
  for (const c of status.charts) lines.push(`  add-on ${clean(c.name)}  ${c.state}`);
  for (const c of a.failing) {
    lines.push(`add-on ${clean(c.name)} ${c.state}${c.message ? `: ${clean(c.message)}` : ""}`);
    if (c.log)
      lines.push(
        ...clean(c.log)
          .split("\n")
          .map((l) => `  | ${l}`),
      );
  }
  return { ok: true, text: lines.join("\n") };
}
