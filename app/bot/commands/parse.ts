/**
 * Step 1 of a PR comment's life: parse it into a command.
 *
 * Only the first line counts; it must start with `/k3s`. Anything else in a comment is
 * conversation and is ignored. Arguments are cluster names only, and `apply`'s one option,
 * `--override-guardrail <id>` (an id from a fixed list): no flags reach Terraform, and names
 * must match the cluster-name pattern, so nothing from a comment can reach a shell, a path or
 * a Terraform expression.
 */

import { closestMatch } from "../../../infra/definition/rules";
import { CLUSTER_NAME_PATTERN } from "../../../infra/definition/schema";
import { describeFound } from "../../engine/definitions/problems";
import { GUARDRAIL_IDS, type GuardrailId } from "../../engine/guardrails/rules";

export const COMMAND_PREFIX = "/k3s";
export const COMMAND_KINDS = ["plan", "apply", "unlock", "help"] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** More clusters than this in one comment is a mistake, not a plan. */
export const MAX_CLUSTERS_PER_COMMAND = 20;

export interface Command {
  kind: CommandKind;
  /** Clusters named in the comment; empty means "the clusters this PR changes". */
  clusters: string[];
  /** Guardrails to override for this apply (`--override-guardrail <id>`); empty otherwise. */
  overrides: GuardrailId[];
}

export type ParseResult =
  | { type: "ignore" }
  | { type: "command"; command: Command }
  /** A comment meant for the bot that it cannot run: `reply` says why and what to type. */
  | { type: "error"; reply: string };

const DESCRIPTIONS: Record<CommandKind, string> = {
  plan: "plan the named clusters, or those whose definitions this PR changes",
  apply:
    "apply the plan reviewed for the current commit (needs write access, approval, the lock); `--override-guardrail <id>` overrides a guardrail that allows it",
  unlock: "release this PR's lock on the clusters, discarding their saved plans",
  help: "show this help",
};

export function helpText(): string {
  const rows = COMMAND_KINDS.map((kind) =>
    kind === "help"
      ? `| \`${COMMAND_PREFIX} help\` | ${DESCRIPTIONS[kind]} |`
      : `| \`${COMMAND_PREFIX} ${kind} [cluster …]\` | ${DESCRIPTIONS[kind]} |`,
  );
  return [
    "**k3s-bot commands** (first line of a PR comment):",
    "",
    "| command | what it does |",
    "|---|---|",
    ...rows,
    "",
    "Cluster names are the `name` of `clusters/<name>.yaml`. With none given, the clusters whose definitions this PR changes.",
  ].join("\n");
}

const error = (reply: string): ParseResult => ({ type: "error", reply });

/** How many rejected names a reply lists; the rest are counted. */
const MAX_SHOWN = 5;

/**
 * Text from a comment, fit to quote back in a reply: one line, at most 60 characters, invisible
 * and direction-changing characters spelled out (`<U+202E>`), in a code span it cannot close
 * (backticks become '), so a reply never carries the commenter's Markdown, links or mentions.
 */
export function quoted(text: string): string {
  return `\`${describeFound(text).replace(/`/g, "'")}\``;
}

function quotedList(items: readonly string[]): string {
  const shown = items.slice(0, MAX_SHOWN).map(quoted).join(", ");
  return items.length > MAX_SHOWN ? `${shown} and ${items.length - MAX_SHOWN} more` : shown;
}

export function parseComment(body: string): ParseResult {
  const firstLine = (body.split(/\r?\n/, 1)[0] ?? "").trim();
  const words = firstLine.split(/\s+/).filter((w) => w !== "");
  if (words[0] !== COMMAND_PREFIX) return { type: "ignore" };

  const [, verb, ...rest] = words;
  if (verb === undefined) return error(helpText());
  if (!(COMMAND_KINDS as readonly string[]).includes(verb)) {
    if (verb === "terraform" && rest[0] && (COMMAND_KINDS as readonly string[]).includes(rest[0])) {
      return error(
        `k3s-bot runs Terraform for you: did you mean \`${COMMAND_PREFIX} ${rest[0]}\`?\n\n${helpText()}`,
      );
    }
    const suggestion = closestMatch(verb, COMMAND_KINDS);
    const hint = suggestion
      ? `did you mean \`${COMMAND_PREFIX} ${suggestion}\`?`
      : `${quoted(verb)} is not a command.`;
    return error(`${hint}\n\n${helpText()}`);
  }
  const kind = verb as CommandKind;
  const overrides: GuardrailId[] = [];
  const args: string[] = [];
  const OVERRIDE = "--override-guardrail";
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (kind !== "apply" || (word !== OVERRIDE && !word.startsWith(`${OVERRIDE}=`))) {
      args.push(word);
      continue;
    }
    const id = word === OVERRIDE ? rest[++i] : word.slice(OVERRIDE.length + 1);
    if (!id || !(GUARDRAIL_IDS as readonly string[]).includes(id))
      return error(
        `\`${OVERRIDE}\` takes a guardrail id, one of ${GUARDRAIL_IDS.map((g) => `\`${g}\``).join(", ")}${id ? `; found ${quoted(id)}` : ""}.`,
      );
    if (!overrides.includes(id as GuardrailId)) overrides.push(id as GuardrailId);
  }

  if (args.some((a) => a === "-h" || a === "--help"))
    return error(`\`${COMMAND_PREFIX} ${kind}\`: ${DESCRIPTIONS[kind]}.\n\n${helpText()}`);
  const flag = args.find((a) => a.startsWith("-"));
  if (flag)
    return error(
      `${quoted(flag)} is not an option of \`${COMMAND_PREFIX} ${kind}\`: it takes only cluster names.`,
    );
  if (kind === "help")
    return args.length === 0
      ? { type: "command", command: { kind, clusters: [], overrides } }
      : error(helpText());

  const bad = args.filter((a) => !CLUSTER_NAME_PATTERN.test(a));
  if (bad.length > 0) {
    return error(
      `${quotedList(bad)} ${bad.length === 1 ? "is not a cluster name" : "are not cluster names"}: names are 2-20 lowercase letters, digits and hyphens, as in \`clusters/<name>.yaml\`.`,
    );
  }
  const clusters = [...new Set(args)];
  if (clusters.length > MAX_CLUSTERS_PER_COMMAND) {
    return error(
      `At most ${MAX_CLUSTERS_PER_COMMAND} clusters per command; this one names ${clusters.length}.`,
    );
  }
  return { type: "command", command: { kind, clusters, overrides } };
}
