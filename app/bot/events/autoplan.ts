/** A pull request opened, reopened or pushed to: plan the clusters whose definitions changed. */
import { readBotConfig } from "../config";
import type { EventContext } from "../context";
import { planClusters } from "../steps/plan";
import { resolveTargets } from "../targets";

export async function autoplan(ctx: EventContext, number: number, user: string): Promise<void> {
  const config = await readBotConfig(ctx.github);
  if (!config.ok || !config.config.autoplan) return;
  const pr = await ctx.github.pullRequest(number);
  if (pr.fromFork && config.config.forkPullRequests !== "plan") return;
  const { targets } = await resolveTargets(ctx, pr, [], config.config);
  if (targets.length === 0) return;
  await planClusters(ctx, pr, [], user, config.config, targets);
}
