/**
 * What the GitOps hand-off tests share (test/app/gitops-handoff*.test.ts): the dev example, the
 * outputs an apply reports, the files the bot should commit (rendered independently of the
 * hand-off; render.test.ts pins them), and a fake repository whose main holds the example.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, expect } from "vitest";
import type { PullRequestInfo } from "../../app/bot/github";
import { createGitopsHandoff, handoffMarker } from "../../app/bot/gitops-handoff";
import type { AppliedCluster } from "../../app/bot/workflow";
import { loadDefinition } from "../../app/engine/definitions/load";
import { GENERATED_MARKER, renderClusterFiles } from "../../app/engine/gitops/render";
import type { ClusterConfig } from "../../infra/definition/config";
import { useFakeRepository } from "./fake-repository";

export const REPO = "acme/platform";
export const REPO_URL = `https://github.com/${REPO}.git`;
export const DEFINITION = readFileSync("examples/clusters/dev.yaml", "utf8");
export const OUTPUTS = {
  cluster_name: "dev",
  api_endpoint: "dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com",
  api_url: "https://dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com:6443",
  ingress_dns: "dev-ingress-0123456789abcdef.elb.eu-central-1.amazonaws.com",
  efs_id: "fs-0123456789abcdef0",
};
export const MARKER = handoffMarker("dev");
export const BRANCH = "change-7";

export function definition(text = DEFINITION): ClusterConfig {
  const loaded = loadDefinition(text, "clusters/dev.yaml");
  if (!loaded.ok) throw new Error("the dev example is invalid");
  return loaded.config;
}

export const CONFIG = definition();
/** What the bot should commit: rendered independently of the hand-off (render.test.ts pins it). */
export const RENDERED = renderClusterFiles(CONFIG, OUTPUTS, { url: REPO_URL });
export const RENDERED_PATHS = RENDERED.map((f) => f.path).sort();
export const renderedMap = () => new Map(RENDERED.map((f) => [f.path, f.content]));

/** The dev example with Jenkins turned off (its two Jenkins files are no longer rendered). */
export const NO_JENKINS: ClusterConfig = {
  ...CONFIG,
  addons: { ...CONFIG.addons, jenkins: false },
};
export const RENDERED_NO_JENKINS = renderClusterFiles(NO_JENKINS, OUTPUTS, { url: REPO_URL });

export const handoff = (options: { maxAttempts?: number } = {}) =>
  createGitopsHandoff({ repoUrl: (name) => `https://github.com/${name}.git`, ...options });

export const P = `/repos/${REPO}`;
/** A branch's ref in a path, as Octokit sends it (the whole parameter encoded; GitHub takes it). */
export const enc = (branch: string) => encodeURIComponent(`heads/${branch}`);

/** Paths whose content differs between two file maps (added, changed or removed). */
export function diffPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}

export const STALE = "clusters/dev/argocd/apps/old-addon.yaml";
export const HAND_WRITTEN = "clusters/dev/argocd/apps/team-extra.yaml";
export const staleGenerated = `# ${GENERATED_MARKER} from clusters/dev.yaml. Do not edit.\nkind: Application\n`;
export const handWritten = "# added by the team\nkind: Application\n";
export const edited = (path: string) => `${renderedMap().get(path)}# a hand edit\n`;
export const ROOT = "clusters/dev/argocd/root.yaml";

/**
 * The fake repository, main holding the dev example before each test, and the checks every test
 * ends with: every call the hand-off made was one the model knows (useFakeRepository), and no
 * ref was ever forced. Call once at the top of a test file.
 */
export function useHandoffRepository() {
  const { gh, github } = useFakeRepository(REPO);

  beforeEach(() => {
    gh.pushCommit("main", { "README.md": "# platform\n", "clusters/dev.yaml": DEFINITION }, "init");
  });
  afterEach(() => {
    expect(gh.refUpdates.filter((u) => u.force === true)).toEqual([]);
  });

  /** A PR branch off main with `changes` pushed on it; returns the PR as the bot reads it. */
  async function openPull(
    number: number,
    changes: Record<string, string | null> = {},
    extra: { headRepo?: string; headRef?: string } = {},
  ): Promise<PullRequestInfo> {
    const headRef = extra.headRef ?? BRANCH;
    gh.branches.set(headRef, gh.branches.get("main") as string);
    const head = gh.pushCommit(headRef, { "clusters/dev.yaml": DEFINITION, ...changes }, "change");
    gh.addPull({ number, headSha: head, headRef, ...extra });
    const pr = await github.pullRequest(number);
    gh.calls.length = 0;
    gh.requests.length = 0;
    return pr;
  }

  const applied = (pr: PullRequestInfo, merged = false, config = CONFIG): AppliedCluster => ({
    github,
    pr,
    config,
    outputs: OUTPUTS,
    merged,
  });
  const gitWrites = () =>
    gh.calls.filter((c) => /^(POST|PATCH|DELETE) /.test(c) && c.includes("/git/"));
  const bodyOf = (method: string, suffix: string) =>
    gh.requests.filter((r) => r.method === method && r.path === `${P}${suffix}`).map((r) => r.body);
  const isAncestor = (ancestor: string, sha: string | undefined): boolean => {
    const queue = sha ? [sha] : [];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (next === ancestor) return true;
      queue.push(...(gh.commits.get(next)?.parents ?? []));
    }
    return false;
  };

  return { gh, github, openPull, applied, gitWrites, bodyOf, isAncestor };
}
