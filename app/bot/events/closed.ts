/**
 * A pull request closed. Merged: apply what was merged (if `autoApplyOnMerge`), then release
 * its locks. Closed unmerged: release its locks and say which.
 */
import { describeError } from "../../engine/cluster-runs";
import * as text from "../comments";
import { type BotConfig, readBotConfig } from "../config";
import { type EventContext, runFor } from "../context";
import type { PullRequestInfo } from "../github";
import { mergeApplyRefusal } from "../merge-apply";
import { applyOne } from "../steps/apply";
import { planOne } from "../steps/plan";
import { changesDefinitions, repositoryDefinitions, resolveTargets } from "../targets";

export async function closed(
  ctx: EventContext,
  number: number,
  merged: boolean,
  user: string,
): Promise<void> {
  const { github } = ctx;
  const config = await readBotConfig(github);
  const pr = await github.pullRequest(number);
  if (merged && config.ok && config.config.autoApplyOnMerge && !pr.fromFork && pr.mergeCommitSha) {
    const refusal = await mergeApplyRefusal(github, pr, config.config);
    if (!refusal) await applyMerged(ctx, pr, user, config.config);
    else if (await changesDefinitions(ctx, pr, config.config))
      await github.comment(pr.number, `### k3s apply · not after this merge\n\n${refusal}`);
  }
  let released: string[];
  try {
    released = await releaseAll(ctx, pr, config.ok ? config.config : undefined);
  } catch (error) {
    // The locks stay with a closed PR until someone releases them: say so, and how.
    throw new Error(
      `releasing this PR's locks failed, so they are still held: ${describeError(error)}. Reopen and close the PR, or comment \`/k3s unlock <cluster>\`, to release them.`,
    );
  }
  if (released.length > 0 && !merged)
    await github.comment(pr.number, text.closedReleased(released));
}

/** After a merge: plan the merge commit and apply it at once (the merge was the approval). */
async function applyMerged(
  ctx: EventContext,
  pr: PullRequestInfo,
  user: string,
  config: BotConfig,
): Promise<void> {
  const { github } = ctx;
  const sha = pr.mergeCommitSha as string;
  const merged: PullRequestInfo = { ...pr, headSha: sha };
  const { targets } = await resolveTargets(ctx, pr, [], config, sha);
  const ref = runFor(github, pr, user, sha);
  for (const target of targets) {
    if (!target.source) {
      // Never silent: a merged definition the bot cannot read is named on the PR.
      await github.comment(pr.number, text.mergedDefinitionMissing(target.cluster, target.file));
      continue;
    }
    const planned = await planOne(ctx, merged, ref, target, config);
    if (planned) await applyOne(ctx, merged, ref, target, config, true);
  }
}

/**
 * Releases every lock the PR holds and discards its plans, in every lock table the repository's
 * definitions name (at head and base): this also finds clusters planned by name.
 */
async function releaseAll(
  ctx: EventContext,
  pr: PullRequestInfo,
  config?: BotConfig,
): Promise<string[]> {
  const configs = await repositoryDefinitions(ctx, pr, config);
  return ctx.runs.releasePullRequest(ctx.github.fullName, pr.number, configs);
}
