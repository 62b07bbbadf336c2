/**
 * The plan's text cut into one block per resource instance, so the folded plan can be ordered
 * by what a reviewer must see (who can reach what) and cut between resources, never inside one.
 *
 * Terraform lists resources alphabetically by address; a cut at the end of the text therefore
 * used to drop everything after `aws_nat_gateway`, security groups and their rules included.
 * Blocks are classified by resource type (read from the address with resourceOfAddress), not by
 * address: the addresses' names change, the types do not.
 */
import { resourceOfAddress } from "./plan-text";

export interface PlanBlock {
  address: string;
  type: string;
  /** 0 first: security groups and rules, then listeners and load balancers, IAM, the rest. */
  rank: number;
  text: string;
}

export interface PlanBlocks {
  /** Terraform's introduction (symbols legend) up to and including the actions heading. */
  head: string;
  blocks: PlanBlock[];
  /** `Plan: …` and `Changes to Outputs:`. */
  tail: string;
}

/**
 * Which resource types decide who can reach what; the order is the order in the comment.
 * Security groups and their rules (the API's 6443 from `adminCidrs`, 80/443 from
 * `ingressCidrs`), network ACLs; the load balancers and listeners that expose ports; IAM and
 * KMS (what the nodes and the bot may do); resource policies.
 */
const SECURITY_RANKS: ReadonlyArray<[RegExp, number]> = [
  [/^aws_(vpc_)?security_group(_rule|_ingress_rule|_egress_rule)?$|^aws_network_acl/, 0],
  [/^aws_lb_listener|^aws_lb$|^aws_alb_listener|^aws_alb$/, 1],
  [/^aws_iam_|^aws_kms_/, 2],
  [/_policy$|^aws_vpc_endpoint/, 3],
];
export const OTHER_RANK = 4;

export function securityRank(type: string): number {
  for (const [pattern, rank] of SECURITY_RANKS) if (pattern.test(type)) return rank;
  return OTHER_RANK;
}

const ACTIONS_HEADING = "Terraform will perform the following actions:";
/** A resource header: `  # aws_vpc.main will be created` (not `  # (because …)`). */
const HEADER = /^ {2}# ([^(\s].*?) (?:will|must|is|has) .+$/;

export function planBlocks(planText: string): PlanBlocks {
  const lines = planText.split("\n");
  const at = lines.indexOf(ACTIONS_HEADING);
  if (at < 0) return { head: planText, blocks: [], tail: "" };
  const end = lines.findIndex((line, i) => i > at && /^(Plan: |Changes to Outputs:)/.test(line));
  const body = lines.slice(at + 1, end < 0 ? undefined : end);
  const blocks: PlanBlock[] = [];
  let preface: string[] = [];
  for (const line of body) {
    const header = HEADER.exec(line);
    if (header) {
      const address = header[1] ?? "";
      const { type } = resourceOfAddress(address);
      blocks.push({ address, type, rank: securityRank(type), text: line });
    } else if (blocks.length === 0) {
      preface.push(line);
    } else {
      const last = blocks[blocks.length - 1] as PlanBlock;
      last.text += `\n${line}`;
    }
  }
  for (const block of blocks) block.text = block.text.replace(/\n+$/, "");
  preface = preface.filter((line) => line.trim() !== "");
  return {
    head: [...lines.slice(0, at + 1), ...preface].join("\n"),
    blocks,
    tail: end < 0 ? "" : lines.slice(end).join("\n").trimEnd(),
  };
}

/** Security-relevant blocks first (stable: Terraform's order within a rank). */
export function orderForReview(blocks: readonly PlanBlock[]): PlanBlock[] {
  return blocks
    .map((block, index) => ({ block, index }))
    .sort((a, b) => a.block.rank - b.block.rank || a.index - b.index)
    .map(({ block }) => block);
}

/** `aws_subnet ×9, aws_route ×3`: what a list of blocks holds, by type. */
export function typesOf(blocks: readonly PlanBlock[]): string {
  const counts = new Map<string, number>();
  for (const { type } of blocks) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts]
    .map(([type, count]) => `\`${type}\`${count > 1 ? ` ×${count}` : ""}`)
    .join(", ");
}

/** `      + arn = (known after apply)`: a value Terraform does not know yet (not a change `->`). */
const UNKNOWN_ATTRIBUTE = /^\s+\+ (?:"[^"]*"|[\w-]+)\s+= \(known after apply\)$/;

/**
 * A block without the attributes whose value is only known after apply (they say nothing a
 * reviewer can check, and are a third of a new cluster's plan), counted in one line before the
 * block's closing brace, the way Terraform writes `# (3 unchanged attributes hidden)`.
 */
export function compactBlock(text: string): string {
  const lines = text.split("\n");
  const kept = lines.filter((line) => !UNKNOWN_ATTRIBUTE.test(line));
  const hidden = lines.length - kept.length;
  if (hidden === 0) return text;
  const close = kept.length - 1;
  const note = `        # (${hidden} attribute${hidden === 1 ? "" : "s"} known only after apply hidden)`;
  return [...kept.slice(0, close), note, ...kept.slice(close)].join("\n");
}
