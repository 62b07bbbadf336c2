/**
 * Planning clusters for a PR, one check run and one comment per cluster: shared by
 * `/k3s plan`, autoplan on push and the plan of a merge commit before its apply.
 */
import type { PullRequestRef } from "../../engine/cluster-runs";
import { planCheckName } from "../check-runs";
import { planStatusLine } from "../cluster-status-text";
import * as text from "../comments";
import type { BotConfig } from "../config";
import { type EventContext, runFor } from "../context";
import type { PullRequestInfo } from "../github";
import { checkSourceGuardrails } from "../guardrails";
import { guardrailsSection, guardrailsTitle } from "../guardrails-section";
import { changeSummary, plannedComment, planningComment } from "../plan-comment";
import { reviewedPlacement } from "../reviewed-placement";
import { resolveTargets, type Target } from "../targets";

/**
 * Plans the named clusters (none: those the PR changes), or the `known` targets already resolved.
 * True when every cluster planned.
 */
export async function planClusters(
  ctx: EventContext,
  pr: PullRequestInfo,
  named: readonly string[],
  user: string,
  config: BotConfig,
  known?: Target[],
): Promise<boolean> {
  const { github } = ctx;
  const { targets, misnamedReported } = known
    ? { targets: known, misnamedReported: false }
    : await resolveTargets(ctx, pr, named, config);
  if (targets.length === 0) {
    if (!misnamedReported) await github.comment(pr.number, text.noClusters(config.definitionsPath));
    return false;
  }
  // Each plan is a Terraform run, a lock and a comment: a PR touching many definitions gets
  // them planned by name, on purpose, not all at once on every push.
  if (named.length === 0 && targets.length > config.plan.autoplanLimit) {
    await github.comment(
      pr.number,
      text.tooManyToPlan(
        targets.map((t) => t.cluster),
        config.plan.autoplanLimit,
      ),
    );
    return false;
  }
  const ref = runFor(github, pr, user);
  let allOk = true;
  for (const target of targets) {
    allOk = (await planOne(ctx, pr, ref, target, config)) && allOk;
  }
  return allOk;
}

/** Where the state lives and who manages it: from the default branch (reviewed-placement.ts). */
export function placementFor(
  ctx: EventContext,
  pr: PullRequestInfo,
  target: Target,
  config: BotConfig,
) {
  const roleArn = config.clusters[target.cluster]?.roleArn;
  return reviewedPlacement({
    github: ctx.github,
    runs: ctx.runs,
    cluster: target.cluster,
    file: target.file,
    definitionsPath: config.definitionsPath,
    proposed: target.source?.text ?? null,
    fromFork: pr.fromFork,
    ...(roleArn ? { configRoleArn: roleArn } : {}),
  });
}

export async function planOne(
  ctx: EventContext,
  pr: PullRequestInfo,
  ref: PullRequestRef,
  target: Target,
  config: BotConfig,
): Promise<boolean> {
  const { github, checks } = ctx;
  // First feedback before Terraform: what the PR changes, from the definitions alone.
  const summary = target.source ? await changeSummary(ctx, pr, target, config) : "";
  const checkId = await checks.start(
    planCheckName(target.cluster),
    pr.headSha,
    "Planning…",
    summary || "Planning…",
  );
  if (!target.source) {
    const body = text.missingDefinition(target.cluster, target.file, pr.headSha);
    await github.upsertComment(pr.number, text.planMarker(target.cluster, pr.headSha), body);
    await checks.finish(checkId, "failure", {
      title: "No definition",
      summary: body,
    });
    return false;
  }
  ctx.log.info(`plan ${target.cluster} for ${ref.repo}#${ref.pullRequest} at ${ref.headSha}`);
  const roleArn = config.clusters[target.cluster]?.roleArn;
  const source = target.source;
  const reviewed = await placementFor(ctx, pr, target, config);
  if (!reviewed.ok) {
    const body = `### k3s plan · \`${target.cluster}\` · refused\n\nNothing was planned: ${reviewed.reason}`;
    await github.upsertComment(pr.number, text.marker("plan", target.cluster), body);
    await checks.finish(checkId, "failure", { title: "Placement refused", summary: body });
    return false;
  }
  const { placement, notice } = reviewed;
  const planMarker = text.planMarker(target.cluster, pr.headSha);
  // Guardrails need no Terraform: a refusal is on the PR before the plan has finished.
  const guards = await checkSourceGuardrails(ctx, config, source, placement, roleArn);
  const guarded = guardrailsSection(guards, target.cluster);
  const refusedBy = guardrailsTitle(guards);
  await github.upsertComment(
    pr.number,
    planMarker,
    `${notice}${planningComment(target.cluster, `${guarded}${summary}`)}`,
  );
  const run = { pullRequest: pr.number, cluster: target.cluster, checkRunId: checkId };
  const outcome = await ctx.track({ ...run, kind: "plan" }, () =>
    ctx.runs.plan(ref, source, {
      destroy: target.destroy,
      ...(roleArn ? { roleArn } : {}),
      ...(placement ? { placement } : {}),
    }),
  );
  switch (outcome.kind) {
    case "invalid": {
      const body = text.invalidDefinition(target.cluster, target.file, outcome.problems);
      await github.upsertComment(pr.number, planMarker, body);
      await checks.finish(checkId, "failure", {
        title: `${outcome.problems.length} problem(s) in ${target.file}`,
        summary: body,
      });
      return false;
    }
    case "refused": {
      const body = `${notice}### k3s plan · \`${target.cluster}\` · refused\n\nNothing was planned: ${outcome.reason}`;
      await github.upsertComment(pr.number, text.marker("plan", target.cluster), body);
      await checks.finish(checkId, "failure", { title: "Refused", summary: body });
      return false;
    }
    case "locked": {
      const body = `${notice}${guarded}${text.lockedBy(target.cluster, outcome.heldBy, github.fullName)}`;
      await github.upsertComment(pr.number, planMarker, body);
      await checks.finish(checkId, "failure", {
        title: "Locked by another PR",
        summary: body,
      });
      return false;
    }
    case "failed": {
      ctx.log.error(`plan ${target.cluster} failed: ${outcome.error}`);
      const body = `${guarded}${text.planFailed(target.cluster, outcome.error)}`;
      await github.upsertComment(pr.number, planMarker, body);
      await checks.finish(checkId, "failure", {
        title: "terraform plan failed",
        summary: body,
      });
      return false;
    }
    case "planned": {
      // When the cluster last reported about itself, and whether it was healthy (status).
      const reported = target.destroy ? "" : await planStatusLine(ctx.readStatus, outcome.config);
      const { body, checkText, annotations } = plannedComment(
        outcome,
        notice,
        summary,
        target.file,
        guarded,
        reported,
      );
      await github.upsertComment(pr.number, planMarker, body);
      const s = outcome.summary;
      // A plan the guardrails refuse is planned, but not fit to apply: its check says so.
      await checks.finish(checkId, refusedBy ? "failure" : "success", {
        title: refusedBy ?? `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`,
        summary: body,
        ...(checkText ? { text: checkText } : {}),
        ...(annotations.length > 0 ? { annotations } : {}),
      });
      return true;
    }
  }
}
