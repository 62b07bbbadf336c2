/**
 * Which clusters a command or event applies to, and their definitions: the clusters named in a
 * comment, or else those whose definition files the PR changes; each with its definition at
 * the commit being planned (or, deleted in this PR, at the base, for a destroy).
 */
import { posix } from "node:path";
import type { ClusterConfig } from "../../infra/definition/config";
import { CLUSTER_NAME_PATTERN } from "../../infra/definition/schema";
import type { DefinitionSource } from "../engine/cluster-runs";
import * as text from "./comments";
import type { BotConfig } from "./config";
import type { EventContext } from "./context";
import type { PullRequestInfo } from "./github";

/** A cluster the command applies to, with its definition at the commit being planned. */
export interface Target {
  cluster: string;
  file: string;
  /** The definition to plan: at the head, or (deleted in this PR) at the base for a destroy. */
  source: DefinitionSource | null;
  destroy: boolean;
}

export interface Targets {
  targets: Target[];
  /** Whether the PR was already told about misnamed definition files (so not again). */
  misnamedReported: boolean;
}

export async function resolveTargets(
  ctx: EventContext,
  pr: PullRequestInfo,
  named: readonly string[],
  config: BotConfig,
  ref = pr.headSha,
): Promise<Targets> {
  const { github } = ctx;
  const dir = config.definitionsPath;
  const fileOf = (cluster: string) => posix.join(dir, `${cluster}.yaml`);
  const changed = await github.changedFiles(pr.number, pr.changedFileCount ?? 0);
  const isDefinition = (path: string) => posix.dirname(path) === dir && path.endsWith(".yaml");
  const deleted = new Set<string>();
  const touched = new Set<string>();
  for (const file of changed) {
    if (isDefinition(file.filename))
      (file.status === "removed" ? deleted : touched).add(file.filename);
    if (file.previousFilename && isDefinition(file.previousFilename))
      deleted.add(file.previousFilename);
  }
  // A file name is not a cluster name until it matches the pattern: `clusters/$(id).yaml`
  // names no cluster, so nothing of it reaches a check name, a comment marker, a lock or a path.
  const changedNames = [...touched, ...deleted].map((f) => posix.basename(f, ".yaml"));
  const misnamed = [...touched, ...deleted].filter(
    (f) => !CLUSTER_NAME_PATTERN.test(posix.basename(f, ".yaml")),
  );
  let misnamedReported = false;
  if (named.length === 0 && misnamed.length > 0) {
    await github.comment(pr.number, text.misnamedDefinitions(misnamed, dir));
    misnamedReported = true;
  }
  const clusters =
    named.length > 0
      ? [...named]
      : [...new Set(changedNames.filter((name) => CLUSTER_NAME_PATTERN.test(name)))].sort();
  const targets: Target[] = [];
  for (const cluster of clusters) {
    const file = fileOf(cluster);
    const head = await github.fileAt(file, ref);
    if (head !== null) {
      targets.push({
        cluster,
        file,
        source: { file, text: head, definitionsDir: dir },
        destroy: false,
      });
    } else if (deleted.has(file)) {
      // The definition as it was before the PR deleted it: at the base commit, because after a
      // merge the base branch no longer has it.
      const base =
        (pr.baseSha ? await github.fileAt(file, pr.baseSha) : null) ??
        (await github.fileAt(file, pr.baseRef));
      targets.push({
        cluster,
        file,
        source: base === null ? null : { file, text: base, definitionsDir: dir },
        destroy: true,
      });
    } else {
      targets.push({ cluster, file, source: null, destroy: false });
    }
  }
  return { targets, misnamedReported };
}

/** Whether the PR changes any file in the definitions folder. */
export async function changesDefinitions(
  ctx: EventContext,
  pr: PullRequestInfo,
  config: BotConfig,
): Promise<boolean> {
  const changed = await ctx.github.changedFiles(pr.number, pr.changedFileCount ?? 0);
  const inFolder = (path?: string) =>
    path !== undefined && posix.dirname(path) === config.definitionsPath;
  return changed.some((f) => inFolder(f.filename) || inFolder(f.previousFilename));
}

/** The definitions that load at the PR's head and base: they name the lock tables to search. */
export async function repositoryDefinitions(
  ctx: EventContext,
  pr: PullRequestInfo,
  config?: BotConfig,
): Promise<ClusterConfig[]> {
  const dir = config?.definitionsPath ?? "clusters";
  const configs: ClusterConfig[] = [];
  for (const ref of new Set([pr.headSha, pr.baseSha ?? pr.baseRef, pr.baseRef])) {
    for (const file of await ctx.github.listFiles(dir, ref)) {
      if (!file.endsWith(".yaml")) continue;
      const source = await ctx.github.fileAt(file, ref);
      const loaded =
        source === null ? null : ctx.runs.load({ file, text: source, definitionsDir: dir });
      if (loaded?.ok) configs.push(loaded.config);
    }
  }
  return configs;
}
