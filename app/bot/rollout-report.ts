/**
 * The rollout after an apply, as the PR sees it: progress of each node group's instance refresh
 * in the apply check run while it runs, and its outcome in the apply comment and check run.
 * The engine does the work (app/engine/rollout/instance-refresh.ts); this only reports it.
 */
import type { ClusterConfig } from "../../infra/definition/config";
import { describeError } from "../engine/cluster-runs";
import type { NodeGroup } from "../engine/plan/images";
import type { GroupProgress, RolloutOutcome } from "../engine/rollout/instance-refresh";
import type { EventContext } from "./context";

const LABEL: Record<NodeGroup, string> = { controlPlane: "servers", workers: "workers" };

/** One line of progress, e.g. "servers (ha-control-plane): InProgress, 33 % (2 to update)". */
export function progressLine(progress: GroupProgress): string {
  const percentage = progress.percentage !== undefined ? `, ${progress.percentage} %` : "";
  const left =
    progress.instancesToUpdate !== undefined ? `, ${progress.instancesToUpdate} to update` : "";
  const reason = progress.reason ? ` — ${progress.reason}` : "";
  return `${LABEL[progress.group]} (\`${progress.autoScalingGroup}\`): ${progress.status}${percentage}${left}${reason}`;
}

/** The outcome as a section of the apply comment; ok is false when the PR must act. */
export function outcomeMarkdown(outcome: RolloutOutcome | null): { ok: boolean; markdown: string } {
  const head = "#### Rollout";
  if (!outcome)
    return {
      ok: true,
      markdown: `${head}\n\nNot run here: this environment cannot refresh instances (nodes launched from now on use the new launch template).`,
    };
  switch (outcome.kind) {
    case "up-to-date":
      return { ok: true, markdown: `${head}\n\nNo node needed replacing.` };
    case "rolled":
      return {
        ok: true,
        markdown: `${head}\n\nReplaced the ${outcome.groups.map((g) => LABEL[g]).join(", then the ")}: every node runs the new launch template.`,
      };
    case "refused":
      return { ok: false, markdown: `${head}\n\n> [!CAUTION]\n> ${outcome.reason}` };
    case "failed": {
      const rolledBack = outcome.status === "RollbackSuccessful";
      const done = outcome.rolled.length
        ? ` The ${outcome.rolled.map((g) => LABEL[g]).join(" and ")} had been replaced.`
        : "";
      return {
        ok: false,
        markdown: `${head}\n\n> [!WARNING]\n> Replacing the ${LABEL[outcome.group]} ended ${outcome.status}: ${outcome.reason}.${rolledBack ? ` They were rolled back to the previous launch template version.` : ""}${done} Later groups were not started. Fix the cause: the next apply of this cluster resumes the rollout (it replaces whatever still runs an older launch template version).`,
      };
    }
  }
}

/**
 * Runs the rollout for an applied cluster, showing progress in the apply check run. Never
 * throws: an error is reported as a failed rollout.
 */
export async function reportRollout(
  ctx: EventContext,
  checkId: number,
  config: ClusterConfig,
): Promise<{ ok: boolean; markdown: string }> {
  const lines: string[] = [];
  try {
    const outcome = await ctx.runs.rollOut(config, async (progress) => {
      lines.push(`- ${new Date().toISOString().slice(11, 19)} ${progressLine(progress)}`);
      await ctx.checks.progress(checkId, {
        title: `Rolling ${LABEL[progress.group]}: ${progress.status}`,
        summary: `#### Rollout progress\n\n${lines.join("\n")}`,
      });
    });
    return outcomeMarkdown(outcome);
  } catch (error) {
    const message = describeError(error);
    ctx.log.error(`rollout of ${config.name} failed: ${message}`);
    return {
      ok: false,
      markdown: `#### Rollout\n\n> [!WARNING]\n> The rollout stopped with an error: ${message}. The next apply of this cluster resumes it.`,
    };
  }
}
