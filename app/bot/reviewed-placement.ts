/**
 * Which placement (engine/placement.ts: state bucket, key, region, lock table, KMS key, role,
 * account) a PR's plan or apply of a cluster may use. Never the PR's own choice where that
 * matters:
 * - a cluster defined on the default branch keeps the default branch's placement until the
 *   change is merged; the PR is told which fields it changes and that they are not used yet;
 * - a new cluster (not on the default branch) may not point at the state of a cluster the
 *   default branch defines, and a fork's new cluster may not name a role or account (the
 *   repository config names roles for forks' clusters, on the default branch).
 */
import type { ClusterConfig } from "../../infra/definition/config";
import type { ClusterRuns } from "../engine/cluster-runs";
import { type Placement, placementChanges, placementOf, stateAddress } from "../engine/placement";
import type { RepoGitHub } from "./github";

export type ReviewedPlacement =
  | {
      ok: true;
      /** The default branch's placement; absent for a new cluster (the PR's own is checked). */
      placement?: Placement;
      /** Markdown to put above the plan: the PR changes placement fields (empty if not). */
      notice: string;
    }
  | { ok: false; reason: string };

export async function reviewedPlacement(options: {
  github: RepoGitHub;
  runs: Pick<ClusterRuns, "load">;
  cluster: string;
  file: string;
  definitionsPath: string;
  /** The definition the PR would plan (head, or base for a deletion); null if none. */
  proposed: string | null;
  fromFork: boolean;
  /** The role the repository config (default branch) names for this cluster. */
  configRoleArn?: string;
}): Promise<ReviewedPlacement> {
  const { github, cluster, file } = options;
  // Loaded as the plan will load them, with the repository's definitions folder: a file whose
  // name does not match its `name:` is reported by the plan as invalid, not placed here.
  const definitionsDir = options.definitionsPath;
  const load = (source: { file: string; text: string }) =>
    options.runs.load({ ...source, definitionsDir });
  if (options.proposed === null) return { ok: true, notice: "" };
  const proposed = load({ file, text: options.proposed });
  if (!proposed.ok) return { ok: true, notice: "" };
  const branch = await github.defaultBranch();
  const reviewedText = await github.fileAt(file, branch);
  const reviewed = reviewedText === null ? null : load({ file, text: reviewedText });
  if (reviewed?.ok) {
    const placement = placementOf(reviewed.config);
    const changes = placementChanges(placement, placementOf(proposed.config));
    return { ok: true, placement, notice: changes.length ? notice(cluster, branch, changes) : "" };
  }
  // A new cluster: its placement is the PR's, so it must not be another cluster's.
  const address = stateAddress(placementOf(proposed.config));
  for (const other of await github.listFiles(options.definitionsPath, branch)) {
    if (!other.endsWith(".yaml") || other === file) continue;
    const text = await github.fileAt(other, branch);
    const loaded = text === null ? null : load({ file: other, text });
    if (loaded?.ok && sameState(loaded.config, proposed.config))
      return {
        ok: false,
        reason: `\`${file}\` puts the new cluster \`${cluster}\` in ${code(address)}, the state of \`${loaded.config.name}\` (\`${other}\` on \`${branch}\`). A cluster's state is its own: give \`state.key\` (or \`state.bucket\`) a value no other definition uses.`,
      };
  }
  const { roleArn, accountId } = proposed.config.aws;
  if (options.fromFork && (roleArn || accountId) && roleArn !== options.configRoleArn)
    return {
      ok: false,
      reason: `This PR comes from a fork and its new cluster \`${cluster}\` names ${roleArn ? `the role ${code(roleArn)}` : `the account ${code(accountId ?? "")}`}. A fork cannot choose the AWS identity the bot plans with: a maintainer names the role for \`${cluster}\` in \`.github/k3s-bot.yml\` (\`clusters.${cluster}.roleArn\`) on \`${branch}\`, or the cluster is added from a branch of this repository.`,
    };
  return { ok: true, notice: "" };
}

function sameState(a: ClusterConfig, b: ClusterConfig): boolean {
  return a.state.bucket === b.state.bucket && a.state.key === b.state.key;
}

const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;

function notice(cluster: string, branch: string, changes: string[]): string {
  return [
    `> [!CAUTION]`,
    `> **This PR changes where \`${cluster}\`'s state lives or which AWS identity manages it:**`,
    ...changes.map((change) => `> - ${change}`),
    `>`,
    `> Those fields take effect only from \`${branch}\`: this plan, its lock and an apply use \`${branch}\`'s values (the state \`${cluster}\` has today). Review the change itself before merging; after the merge, the next plan uses the new values.`,
    "",
    "",
  ].join("\n");
}
