/**
 * `/k3s status [cluster …]`: what the named clusters (or those this PR changes) last reported
 * about themselves (app/engine/cluster-status/): read from SSM, nothing touches the Kubernetes
 * API. Anyone who may comment may ask: it shows what the apply comments show.
 */

import { describeError } from "../../engine/cluster-runs";
import { assess } from "../../engine/cluster-status/assess";
import { redactSecrets } from "../../engine/redact";
import { lastReportedLine, statusDetail } from "../cluster-status-text";
import * as text from "../comments";
import { repositoryDefinitions, resolveTargets } from "../targets";
import type { CommandRunner } from "./runner";

export const statusCommand: CommandRunner = {
  doneReaction: "+1",
  async run(ctx, { pr, clusters: named, config }) {
    const { github } = ctx;
    if (!ctx.readStatus) {
      await github.comment(pr.number, "k3s-bot here is not set up to read cluster status.");
      return false;
    }
    const configs =
      named.length > 0
        ? (await repositoryDefinitions(ctx, pr, config)).filter((c) => named.includes(c.name))
        : (await resolveTargets(ctx, pr, [], config)).targets.flatMap((t) => {
            const loaded = t.source ? ctx.runs.load(t.source) : undefined;
            return loaded?.ok ? [loaded.config] : [];
          });
    const unknown = named.filter((name) => !configs.some((c) => c.name === name));
    if (configs.length === 0 && unknown.length === 0) {
      await github.comment(pr.number, text.noClusters(config.definitionsPath));
      return false;
    }
    const sections: string[] = [];
    const now = Date.now();
    for (const cluster of configs) {
      try {
        const read = await ctx.readStatus(cluster);
        const a = read.kind === "reported" ? assess(read.status, cluster) : undefined;
        sections.push(
          [
            `### k3s status · \`${cluster.name}\` · ${a ? (a.ready ? "ready" : "not ready") : read.kind === "none" ? "no report" : "unreadable"}`,
            "",
            a ? a.summary : lastReportedLine(read, undefined, now),
            ...(read.kind === "reported" && a ? ["", statusDetail(read.status, a, now)] : []),
          ].join("\n"),
        );
      } catch (error) {
        sections.push(
          `### k3s status · \`${cluster.name}\` · unreadable\n\nCould not read its status: ${redactSecrets(describeError(error))}`,
        );
      }
    }
    for (const name of unknown)
      sections.push(
        `### k3s status · \`${name}\`\n\nNo definition \`${config.definitionsPath}/${name}.yaml\` in this PR or its base.`,
      );
    await github.comment(pr.number, sections.join("\n\n"));
    return unknown.length === 0;
  },
};
