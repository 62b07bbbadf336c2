/**
 * The plan as Markdown: the text of the PR comment and of `k3s-bot plan`'s output.
 * Summary first (what a reviewer decides on: the sections the caller passes, e.g. what the
 * definition changes and what it costs), the full plan folded below it, secrets redacted.
 * Within a size the caller chooses (the bot: GitHub's limits, app/bot/github-limits.ts), cut
 * between resources, with security groups and rules, listeners and IAM kept first, and the
 * cut part handed back for the caller to put where the note says.
 */
import { redactSecrets } from "../redact";
import { compactBlock, orderForReview, type PlanBlock, planBlocks, typesOf } from "./plan-blocks";
import { irreversibleReplacement } from "./plan-risk";
import { type PlanSummary, planHeadline } from "./summary";

/**
 * A part of the comment between its header (cluster, account, commit) and Terraform's count
 * line, in the order given. The seam for what other
 * modules add (definition warnings, the change summary, guardrails, what will roll).
 */
export interface PlanSection {
  id: string;
  markdown: string;
}

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
}

export interface RenderOptions {
  /** Maximum characters of the whole Markdown (default: no limit). */
  maxChars?: number;
  /** Values to redact whatever their shape. */
  knownSecrets?: readonly string[];
  /** Rendered after the header, before the counts. */
  sections?: readonly PlanSection[];
  /**
   * Where resources cut from the comment go, in order, and how much fits in each. Without
   * any, the note points to `terraform show` of the saved plan.
   */
  overflow?: readonly OverflowPlace[];
}

export interface OverflowPlace {
  maxChars: number;
  /** As the note names it: "in the check run `k3s plan · dev`". */
  location: string;
  /** "markdown": a fenced diff; "text": the plan's lines as they are (no Markdown there). */
  format: "markdown" | "text";
}

export interface RenderedPlan {
  markdown: string;
  /** The resources cut from `markdown`, one entry per overflow place used, in their order. */
  overflow: string[];
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
  const lines = shown.map((c) => {
    const irreversible = irreversibleReplacement(c);
    return `- ${irreversible ? "⚠️ " : ""}\`${c.address}\` (${c.kind === "replace" ? "replaced" : "destroyed"})${irreversible ? `: ${irreversible}` : ""}`;
  });
  if (summary.destructive.length > shown.length)
    lines.push(`- … and ${summary.destructive.length - shown.length} more`);
  return [
    `> [!CAUTION]`,
    `> **This plan destroys ${summary.destructive.length} resource${summary.destructive.length === 1 ? "" : "s"}.** Data on them may be lost. Check each one before applying:`,
    "",
    ...lines,
  ].join("\n");
}

function header(context: PlanContext): string {
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
  return `### k3s plan · \`${context.cluster}\`\n\n${where}${offline}`;
}

const WHOLE_PLAN =
  "`k3s-bot plan <definition>` on a terminal, or `terraform show` of the saved plan, prints the whole plan";

const diffOf = (text: string, secrets?: readonly string[]) => toDiff(redactSecrets(text, secrets));

const fenced = (text: string) => `\`\`\`diff\n${text}\n\`\`\``;

/** Blocks in order until `room` is used up; the rest returned. */
function fill(blocks: readonly { block: PlanBlock; diff: string }[], room: number) {
  const kept: { block: PlanBlock; diff: string }[] = [];
  let used = 0;
  let i = 0;
  for (; i < blocks.length; i++) {
    const entry = blocks[i] as { block: PlanBlock; diff: string };
    const cost = entry.diff.length + 2;
    if (used + cost > room) break;
    kept.push(entry);
    used += cost;
  }
  return { kept, rest: blocks.slice(i) };
}

const resources = (n: number) => `${n} resource${n === 1 ? "" : "s"}`;

/**
 * Renders the plan. When the whole plan fits, it is shown in Terraform's order. When it does
 * not, resources are ordered for review (security groups and rules, load balancers and
 * listeners, IAM and KMS, policies, then the rest, each in Terraform's order) and cut between
 * resources; a note says what was cut and where it is.
 */
export function renderPlan(
  context: PlanContext,
  summary: PlanSummary,
  planText: string,
  options: RenderOptions = {},
): RenderedPlan {
  const budget = options.maxChars ?? Number.POSITIVE_INFINITY;
  const secrets = options.knownSecrets;
  const top = [
    header(context),
    ...(options.sections ?? []).map((section) => section.markdown.trim()),
    // Terraform's own count line after what the definition says, before what the plan does.
    `**${planHeadline(summary)}**`,
    destructiveWarning(summary),
    countsTable(summary),
  ]
    .filter((part) => part !== "")
    .join("\n\n");
  const text = planText.replace(/^(\s*\n)+/, "").trimEnd();
  const whole = diffOf(text, secrets);
  const lineCount = whole.split("\n").length;
  const open = (what: string) => `<details><summary>${what}</summary>\n\n`;
  const close = "\n\n</details>";
  const full = `${top}\n\n${open(`Full plan (${lineCount} lines)`)}${fenced(whole)}${close}\n`;
  if (full.length <= budget) return { markdown: full, overflow: [] };

  const parsed = planBlocks(text);
  if (parsed.blocks.length === 0) {
    // Not a layout with resource headers: cut at a line, and say so.
    const note = `\n\n> [!NOTE]\n> The plan (${whole.length.toLocaleString("en-US")} characters) was cut to fit. ${WHOLE_PLAN}.`;
    const room = Math.max(0, budget - top.length - note.length - 200);
    const kept = whole.slice(0, Math.max(0, whole.lastIndexOf("\n", room)));
    return {
      markdown: `${top}\n\n${open("Start of the plan")}${fenced(`${kept}\n… (cut)`)}${close}${note}\n`,
      overflow: [],
    };
  }
  // Cut: unknown-until-apply attributes folded (plan-blocks.ts), the rest ordered for review.
  const ordered = orderForReview(parsed.blocks).map((block) => {
    const compact = { ...block, text: compactBlock(block.text) };
    return { block: compact, diff: diffOf(compact.text, secrets) };
  });
  const head = diffOf(parsed.head, secrets);
  const tail = diffOf(parsed.tail, secrets);
  const total = ordered.length;
  const places = options.overflow ?? [];
  // The note's longest form, so the plan is cut to leave room for whatever it ends up saying.
  const noteRoom = 1_500 + places.reduce((n, p) => n + p.location.length + 40, 0);
  const frame =
    top.length + open("Full plan: 00000 of 00000 resources, security first").length + 20;
  const room = budget - frame - noteRoom - head.length - tail.length;
  const { kept, rest } = fill(ordered, Math.max(0, room));

  const overflow: string[] = [];
  const placedIn: string[] = [];
  let lost = rest;
  for (const [index, place] of places.entries()) {
    if (lost.length === 0) break;
    const intro = `The plan of \`${context.cluster}\`${context.headSha ? ` at \`${context.headSha.slice(0, 7)}\`` : ""}, part ${index + 2}: resources cut from the plan comment.`;
    const placed = fill(lost, Math.max(0, place.maxChars - intro.length - 100));
    if (placed.kept.length === 0) break;
    const diffs = placed.kept.map((e) => e.diff).join("\n\n");
    overflow.push(
      `${intro}\n\n${place.format === "markdown" ? fenced(diffs) : placed.kept.map((e) => e.block.text).join("\n\n")}\n`,
    );
    placedIn.push(`${place.location} (part ${index + 2}: ${resources(placed.kept.length)})`);
    lost = placed.rest;
  }

  const cut = rest.map((e) => e.block);
  const lostTypes = typesOf(lost.map((e) => e.block));
  const where =
    placedIn.length === 0
      ? ` ${WHOLE_PLAN}.`
      : lost.length === 0
        ? ` They are ${placedIn.join("; then ")}.`
        : ` They are ${placedIn.join("; then ")}; the last ${resources(lost.length)} (${lostTypes}) fit nowhere on GitHub: ${WHOLE_PLAN}.`;
  const note = [
    "> [!NOTE]",
    `> The whole plan (${whole.length.toLocaleString("en-US")} characters) does not fit in one comment. Shown: ${kept.length} of ${resources(total)}, security groups and rules, load balancers and listeners, IAM first, without the attributes known only after apply. Cut: ${resources(cut.length)} (${typesOf(cut)}).${where}`,
  ].join("\n");
  const shown = [head, ...kept.map((e) => e.diff), tail].filter((p) => p !== "").join("\n\n");
  const markdown = `${top}\n\n${note}\n\n${open(`Full plan: ${kept.length} of ${total} resources, security first`)}${fenced(shown)}${close}\n`;
  return { markdown, overflow };
}

/** The comment's Markdown alone (see renderPlan). */
export function renderPlanMarkdown(
  context: PlanContext,
  summary: PlanSummary,
  planText: string,
  options: RenderOptions = {},
): string {
  return renderPlan(context, summary, planText, options).markdown;
}
