/**
 * The plan comment and the plan's check run, as GitHub gets them: the change summary first
 * (posted before Terraform runs, so a reviewer sees within a second what the PR does), then the
 * plan within GitHub's limits (github-limits.ts), the part that does not fit in the comment in
 * the check run's `text`, and a note in the comment that says exactly that.
 */
import type { ClusterConfig } from "../../infra/definition/config";
import type { PlanOutcome } from "../engine/cluster-runs";
import { changeSummaryMarkdown } from "../engine/plan/change-summary";
import { renderPlan } from "../engine/plan/markdown";
import { planCheckName } from "./check-runs";
import * as text from "./comments";
import type { BotConfig } from "./config";
import type { EventContext } from "./context";
import type { CheckAnnotation, PullRequestInfo } from "./github";
import {
  PLAN_ANNOTATION_BUDGET,
  PLAN_ANNOTATION_PAGES,
  PLAN_COMMENT_BUDGET,
  PLAN_OVERFLOW_BUDGET,
} from "./github-limits";
import type { Target } from "./targets";

/**
 * The change summary of a target: its definition at the PR's head against the base branch's.
 * Empty when the definition does not load (the plan reports why, naming file and line).
 */
export async function changeSummary(
  ctx: EventContext,
  pr: PullRequestInfo,
  target: Target,
  config: BotConfig,
): Promise<string> {
  const load = (text: string | null): ClusterConfig | null => {
    if (text === null) return null;
    const loaded = ctx.runs.load({
      file: target.file,
      text,
      definitionsDir: config.definitionsPath,
    });
    return loaded.ok ? loaded.config : null;
  };
  const base = pr.baseSha ?? pr.baseRef;
  const baseText = target.destroy
    ? (target.source?.text ?? null)
    : await ctx.github.fileAt(target.file, base);
  const head = target.destroy ? null : load(target.source?.text ?? null);
  if (!target.destroy && !head) return "";
  return changeSummaryMarkdown({ base: load(baseText), head, baseLabel: pr.baseRef });
}

/** The comment while Terraform runs: what the PR changes, and that the plan follows. */
export function planningComment(cluster: string, summary: string): string {
  return [
    `### k3s plan · \`${cluster}\` · planning…`,
    ...(summary ? ["", summary] : []),
    "",
    "_Terraform is planning. This comment is replaced by the plan when it is done._",
  ].join("\n");
}

export interface PlannedComment {
  body: string;
  /** The check run's `text`: the first part of the plan the comment could not hold. */
  checkText: string | null;
  /** The parts after that, each an annotation's `raw_details` on the definition file. */
  annotations: CheckAnnotation[];
}

/**
 * The finished plan: the comment, then what it could not hold in the check run's `text`, then
 * in annotations on line 1 of the definition file (not for a deleted definition: GitHub can
 * only annotate a file of the commit).
 */
export function plannedComment(
  outcome: Extract<PlanOutcome, { kind: "planned" }>,
  notice: string,
  summary: string,
  definitionFile: string,
  /** The guardrails section (guardrails-section.ts), first: a refusal is read before anything. */
  guardrails = "",
): PlannedComment {
  const cluster = outcome.config.name;
  const check = `the check run \`${planCheckName(cluster)}\``;
  const annotationPlaces = outcome.destroy
    ? []
    : Array.from({ length: PLAN_ANNOTATION_PAGES }, () => ({
        maxChars: PLAN_ANNOTATION_BUDGET,
        location: `in an annotation of ${check} on \`${definitionFile}\` line 1`,
        format: "text" as const,
      }));
  const rendered = renderPlan(outcome.context, outcome.summary, outcome.planText, {
    maxChars: PLAN_COMMENT_BUDGET - notice.length,
    sections: [
      ...(guardrails ? [{ id: "guardrails", markdown: guardrails }] : []),
      ...(summary ? [{ id: "change-summary", markdown: summary }] : []),
      ...outcome.sections,
    ],
    overflow: [
      {
        maxChars: PLAN_OVERFLOW_BUDGET,
        location: `in ${check}, below its summary`,
        format: "markdown",
      },
      ...annotationPlaces,
    ],
  });
  const [checkText = null, ...pages] = rendered.overflow;
  return {
    body: `${notice}${rendered.markdown}\n${text.planFooter(cluster, outcome.destroy)}`,
    checkText,
    annotations: pages.map((page, i) => ({
      path: definitionFile,
      start_line: 1,
      end_line: 1,
      annotation_level: "notice",
      title: `k3s plan · ${cluster}: plan, part ${i + 3}`,
      message: `The plan of ${cluster} continues in this annotation's details (part ${i + 3}; parts 1 and 2 are the plan comment and this check run's text).`,
      raw_details: page,
    })),
  };
}
