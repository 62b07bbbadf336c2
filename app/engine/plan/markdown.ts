/**
 * The plan as Markdown: the text of the PR comment and of `k3s-bot plan`'s output.
 * Summary first (what a reviewer decides on), the full plan folded below it, secrets redacted,
 * and the whole kept under GitHub's 65,536-character limit for a comment.
 */
import { redactSecrets } from "../redact";
import { type PlanSummary, planHeadline } from "./summary";

/** GitHub rejects comment bodies over 65,536 characters; leave room for the bot's marker. */
export const GITHUB_COMMENT_LIMIT = 65_536;
const DEFAULT_BUDGET = GITHUB_COMMENT_LIMIT - 1_536;

export interface PlanContext {
  cluster: string;
  region: string;
  /** AWS account the plan ran against, when known (STS), so reviewers see where it lands. */
  accountId?: string;
  /** Commit the plan was made for. */
  headSha?: string;
  /** Definition file, e.g. clusters/dev.yaml. */
  definitionFile?: string;
  /** Shown when the plan ran without an AWS account (`--offline`). */
  offline?: boolean;
  /** Where the untruncated plan can be found, named in the truncation note. */
  fullPlanLocation?: string;
}

export interface RenderOptions {
  /** Maximum characters of the whole Markdown. */
  maxChars?: number;
  /** Values to redact whatever their shape. */
  knownSecrets?: readonly string[];
  /** More sections (node images, rollout), after the counts table; empty ones are skipped. */
  sections?: readonly string[];
}

/** Terraform's plan text as a `diff` block, so GitHub colours additions and removals. */
export function toDiff(planText: string): string {
  return planText
    .split("\n")
    .map((line) => {
      const match = /^(\s*)(-\/\+|\+\/-|[+~-]|<=)( .*)?$/.exec(line);
      if (!match) return line;
      const [, indent = "", marker = "", rest = ""] = match;
      const sign = marker === "+" ? "+" : marker === "-" ? "-" : "!";
      return `${sign}${indent}${marker}${rest}`;
    })
    .join("\n");
}

function countsTable(summary: PlanSummary): string {
  if (summary.byType.length === 0) return "";
  const rows = summary.byType.map(
    (t) =>
      `| \`${t.type}\` | ${t.add || ""} | ${t.change || ""} | ${t.replace ? `**${t.replace}**` : ""} | ${t.destroy ? `**${t.destroy}**` : ""} |`,
  );
  return [
    "| resource type | add | change | replace | destroy |",
    "|---|--:|--:|--:|--:|",
    ...rows,
  ].join("\n");
}

function destructiveWarning(summary: PlanSummary): string {
  if (summary.destructive.length === 0) return "";
  const shown = summary.destructive.slice(0, 30);
  const lines = shown.map(
    (c) => `- \`${c.address}\` (${c.kind === "replace" ? "replaced" : "destroyed"})`,
  );
  if (summary.destructive.length > shown.length)
    lines.push(`- … and ${summary.destructive.length - shown.length} more`);
  return [
    `> [!CAUTION]`,
    `> **This plan destroys ${summary.destructive.length} resource${summary.destructive.length === 1 ? "" : "s"}.** Data on them may be lost. Check each one before applying:`,
    "",
    ...lines,
  ].join("\n");
}

function header(context: PlanContext, summary: PlanSummary): string {
  const where = [
    context.accountId ? `account \`${context.accountId}\`` : undefined,
    `region \`${context.region}\``,
    context.headSha ? `commit \`${context.headSha.slice(0, 7)}\`` : undefined,
    context.definitionFile ? `from \`${context.definitionFile}\`` : undefined,
  ]
    .filter(Boolean)
    .join(" · ");
  const offline = context.offline
    ? "\n\n_Offline plan: no AWS account was consulted (local state, no credentials), so it shows what a first apply into an empty account would create._"
    : "";
  return `### k3s plan · \`${context.cluster}\`\n\n${where}${offline}\n\n**${planHeadline(summary)}**`;
}

/**
 * Renders the plan. When the full plan does not fit, its start is kept (the order in which
 * Terraform lists resources) and a note says how much was cut and where the rest is.
 */
export function renderPlanMarkdown(
  context: PlanContext,
  summary: PlanSummary,
  planText: string,
  options: RenderOptions = {},
): string {
  const budget = options.maxChars ?? DEFAULT_BUDGET;
  const top = [
    header(context, summary),
    destructiveWarning(summary),
    countsTable(summary),
    ...(options.sections ?? []),
  ]
    .filter((part) => part !== "")
    .join("\n\n");
  const diff = toDiff(
    redactSecrets(planText.replace(/^(\s*\n)+/, "").trimEnd(), options.knownSecrets),
  );
  const lineCount = diff.split("\n").length;
  const open = `<details><summary>Full plan (${lineCount} lines)</summary>\n\n\`\`\`diff\n`;
  const close = "\n```\n\n</details>";
  const room = budget - top.length - open.length - close.length - 4;
  if (diff.length <= room) return `${top}\n\n${open}${diff}${close}\n`;

  const where = context.fullPlanLocation ?? "in the output of `terraform show` for the saved plan";
  const note = (cut: number) =>
    `\n\n> [!NOTE]\n> The full plan is ${diff.length.toLocaleString("en-US")} characters; ${cut.toLocaleString("en-US")} were cut to fit GitHub's comment limit. The complete plan is ${where}.`;
  const roomWithNote = room - note(diff.length).length;
  if (roomWithNote <= 0) return `${top}${note(diff.length)}\n`;
  const kept = diff.slice(
    0,
    diff.lastIndexOf("\n", roomWithNote) > 0 ? diff.lastIndexOf("\n", roomWithNote) : roomWithNote,
  );
  return `${top}\n\n${open}${kept}\n… (truncated)${close}${note(diff.length - kept.length)}\n`;
}
