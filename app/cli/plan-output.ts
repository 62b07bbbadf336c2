/**
 * What `k3s-bot plan` prints. The PR comment is cut to fit GitHub's comment limit; a terminal
 * has no such limit, so there the whole plan is printed. Piped output (a file, a script that
 * posts it somewhere) keeps the comment's size.
 */
import { PLAN_COMMENT_BUDGET } from "../bot/github-limits";
import type { PlanContext } from "../engine/plan/markdown";
import { renderPlanMarkdown } from "../engine/plan/markdown";
import type { PlanClusterResult } from "../engine/plan/plan-cluster";

export function planOutput(
  result: Pick<PlanClusterResult, "markdown" | "summary" | "planText">,
  context: PlanContext,
  toTerminal: boolean,
): string {
  if (toTerminal) return result.markdown;
  return renderPlanMarkdown(context, result.summary, result.planText, {
    maxChars: PLAN_COMMENT_BUDGET,
  });
}
