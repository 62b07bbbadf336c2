/**
 * Applying one cluster's reviewed plan, with its check run, its comment and the GitOps hand-off
 * after it: shared by `/k3s apply` and the apply of a merge commit.
 */
import { describeError, type PullRequestRef, withRole } from "../../engine/cluster-runs";
import type { GuardrailId } from "../../engine/guardrails/rules";
import { withPlacement } from "../../engine/placement";
import { applyCheckName } from "../check-runs";
import * as text from "../comments";
import type { BotConfig } from "../config";
import type { EventContext } from "../context";
import type { PullRequestInfo } from "../github";
import { checkGuardrails, overrideRefusals } from "../guardrails";
import { guardrailsSection } from "../guardrails-section";
import type { Target } from "../targets";
import { placementFor } from "./plan";

export async function applyOne(
  ctx: EventContext,
  pr: PullRequestInfo,
  ref: PullRequestRef,
  target: Target,
  config: BotConfig,
  merged = false,
  /** Guardrails the commenter overrides for this apply; never on a merge. */
  overrides: readonly GuardrailId[] = [],
): Promise<boolean> {
  const { github, checks } = ctx;
  const post = (body: string) =>
    github.upsertComment(pr.number, text.marker("apply", target.cluster), body);
  if (!target.source) {
    await post(text.missingDefinition(target.cluster, target.file, pr.headSha));
    return false;
  }
  const loaded = ctx.runs.load(target.source);
  if (!loaded.ok) {
    await post(text.invalidDefinition(target.cluster, target.file, loaded.problems));
    return false;
  }
  const checkId = await checks.start(applyCheckName(target.cluster), pr.headSha, "Applying…");
  ctx.log.info(`apply ${target.cluster} for ${ref.repo}#${ref.pullRequest} at ${ref.headSha}`);
  const run = { pullRequest: pr.number, cluster: target.cluster, checkRunId: checkId };
  const reviewed = await placementFor(ctx, pr, target, config);
  const placed =
    reviewed.ok && reviewed.placement
      ? withPlacement(loaded.config, reviewed.placement)
      : loaded.config;
  const cluster = withRole(placed, config.clusters[target.cluster]?.roleArn);
  const finish = async (ok: boolean, title: string, body: string) => {
    await post(body);
    await checks.finish(checkId, ok ? "success" : "failure", {
      title,
      summary: body,
    });
    return ok;
  };
  // Guardrails, on the definition being applied, by the rules of the default branch and the
  // operator: a refusal stops the apply unless a permitted person overrode it, here and now.
  const guards = reviewed.ok ? await checkGuardrails(ctx, config, cluster, target.source) : [];
  const notOverridable = await overrideRefusals(ctx, guards, overrides, ref.user);
  if (notOverridable.length > 0)
    return finish(false, "Guardrail override refused", text.applyRefused(notOverridable));
  const standing = guards.filter((g) => g.refusal && !overrides.includes(g.id));
  if (standing.length > 0)
    return finish(
      false,
      `Guardrails refuse apply: ${standing.map((g) => g.id).join(", ")}`,
      `${text.applyRefused([`the definition breaks ${standing.length} guardrail(s), listed below`])}\n\n${guardrailsSection(guards, target.cluster)}`,
    );
  if (overrides.length > 0) {
    // The audit record of an override, before anything runs: who, which rules, which commit, as
    // a comment of its own on the PR (it stays whatever the apply does) and in the log.
    ctx.log.info(
      `guardrails ${overrides.join(",")} overridden by ${ref.user} for ${target.cluster} at ${pr.headSha}`,
    );
    await github.comment(
      pr.number,
      `> [!CAUTION]\n> @${ref.user} overrode the guardrail(s) ${overrides.map((o) => `\`${o}\``).join(", ")} for this apply of \`${target.cluster}\` at ${pr.headSha}.\n\n${guardrailsSection(guards, target.cluster, overrides)}`,
    );
  }
  const outcome = reviewed.ok
    ? await ctx.track({ ...run, kind: "apply" }, () => ctx.runs.apply(ref, cluster))
    : ({ kind: "refused", reason: reviewed.reason } as const);
  switch (outcome.kind) {
    case "not-locked":
      return finish(
        false,
        "Not locked by this PR",
        text.notLocked(target.cluster, outcome.heldBy, github.fullName),
      );
    case "no-plan":
      return finish(
        false,
        "No plan for this commit",
        text.noPlan(target.cluster, pr.headSha, outcome.plannedCommits),
      );
    case "refused":
      return finish(false, "Apply refused", text.applyRefused([outcome.reason]));
    case "already-applied":
      return finish(true, "Already applied", text.alreadyApplied(target.cluster, outcome.metadata));
    case "failed":
      ctx.log.error(
        `apply ${target.cluster} ${outcome.interrupted ? "interrupted" : "failed"}: ${outcome.error}`,
      );
      if (outcome.interrupted)
        return finish(
          false,
          "terraform apply interrupted",
          text.applyInterrupted(target.cluster, outcome.error),
        );
      return finish(
        false,
        "terraform apply failed",
        text.applyFailed(target.cluster, outcome.error),
      );
    case "applied": {
      const ok = await finish(
        true,
        "Applied",
        text.applied(target.cluster, outcome.metadata, outcome.outputs, outcome.durationMs),
      );
      if (ctx.afterApply) {
        // The apply stands whatever happens here; a failed hand-off is reported, not hidden.
        try {
          await ctx.afterApply({
            github,
            pr,
            config: loaded.config,
            outputs: outcome.outputs,
            merged,
          });
        } catch (error) {
          const message = describeError(error);
          ctx.log.error(`hand-off for ${target.cluster} failed: ${message}`);
          await github.comment(pr.number, text.handoffFailed(target.cluster, message));
        }
      }
      return ok;
    }
  }
}
