/**
 * "What this changes", the first section of the plan comment, from the definitions alone
 * (no Terraform): a new cluster is described; a change lists the fields that differ from the
 * base branch with what each does; a deletion says the cluster goes. Then the monthly cost
 * before, after and the difference. The bot posts it before the plan has run.
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import { changeLines, definitionChanges, describeCluster } from "./cluster-facts";
import { compareCost, costMarkdown } from "./plan-cost";

export interface ChangeSummaryInput {
  /** The definition at the PR's base; null when the PR adds the cluster. */
  base: ClusterConfig | null;
  /** The definition at the PR's head; null when the PR deletes it. */
  head: ClusterConfig | null;
  /** Where the base came from, e.g. `main`. */
  baseLabel?: string;
}

const workersOf = (config: ClusterConfig | null): [number, number] | undefined =>
  config ? [config.workers.min, config.workers.max] : undefined;

export function changeSummaryMarkdown(input: ChangeSummaryInput): string {
  const { base, head } = input;
  const cost = costMarkdown(compareCost(base, head), {
    ...(base ? { before: workersOf(base) } : {}),
    ...(head ? { after: workersOf(head) } : {}),
  });
  if (head && !base) {
    return [
      "#### What this creates",
      "",
      ...describeCluster(head).map((line) => `- ${line}`),
      "",
      cost,
    ].join("\n");
  }
  if (base && !head) {
    return [
      "#### What this destroys",
      "",
      "⚠️ The whole cluster, as defined on the base branch:",
      "",
      ...describeCluster(base).map((line) => `- ${line}`),
      "",
      cost,
    ].join("\n");
  }
  if (!base || !head) return "";
  const changes = definitionChanges(base, head);
  const from = input.baseLabel ? ` (base \`${input.baseLabel}\` → this PR)` : " (base → this PR)";
  return [
    `#### What this changes${from}`,
    "",
    ...(changes.length > 0
      ? changeLines(changes, head)
      : ["No field of the definition changes; the plan below shows any drift."]),
    "",
    cost,
  ].join("\n");
}
