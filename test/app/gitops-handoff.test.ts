/**
 * The GitOps hand-off against GitHub's git data API, faked by nock (FakeGitHub) with net connect
 * disabled: the exact call sequence of the one commit on a PR branch, no commit when nothing
 * changed, a branch that moves under the bot (retry on the new head, never force, give up and say
 * so), a fork PR (a patch in a comment, checked with `git apply`), and the follow-up PR after a
 * merge. The hand-off is called directly with a real RepoGitHub on an Octokit; one test drives it
 * through the real bot (Probot, webhook payload, workflow) with Terraform's apply stubbed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PullRequestInfo } from "../../app/bot/github";
import {
  createGitopsHandoff,
  filePatch,
  followUpBranch,
  handoffMarker,
} from "../../app/bot/gitops-handoff";
import type { AppliedCluster } from "../../app/bot/workflow";
import { loadDefinition } from "../../app/engine/definitions/load";
import { GENERATED_MARKER, renderClusterFiles } from "../../app/engine/gitops/render";
import type { PlanMetadata } from "../../app/engine/plan-store";
import type { ClusterConfig } from "../../infra/definition/config";
import { startBot } from "../support/bot-harness";
import { BOT_LOGIN } from "../support/fake-github";
import { useFakeRepository } from "../support/fake-repository";
import { issueCommentCreated } from "../support/payloads";

const REPO = "acme/platform";
const REPO_URL = `https://github.com/${REPO}.git`;
const DEFINITION = readFileSync("examples/clusters/dev.yaml", "utf8");
const OUTPUTS = {
  cluster_name: "dev",
  api_endpoint: "dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com",
  api_url: "https://dev-api-0123456789abcdef.elb.eu-central-1.amazonaws.com:6443",
  ingress_dns: "dev-ingress-0123456789abcdef.elb.eu-central-1.amazonaws.com",
  efs_id: "fs-0123456789abcdef0",
};
const MARKER = handoffMarker("dev");
const BRANCH = "change-7";

function definition(text = DEFINITION): ClusterConfig {
  const loaded = loadDefinition(text, "clusters/dev.yaml");
  if (!loaded.ok) throw new Error("the dev example is invalid");
  return loaded.config;
}

const CONFIG = definition();
/** What the bot should commit: rendered independently of the hand-off (render.test.ts pins it). */
const RENDERED = renderClusterFiles(CONFIG, OUTPUTS, { url: REPO_URL });
const RENDERED_PATHS = RENDERED.map((f) => f.path).sort();
const renderedMap = () => new Map(RENDERED.map((f) => [f.path, f.content]));

const { gh, github } = useFakeRepository(REPO);

beforeEach(() => {
  gh.pushCommit("main", { "README.md": "# platform\n", "clusters/dev.yaml": DEFINITION }, "init");
});

// Every call the hand-off made was one the model knows (useFakeRepository); and it never
// forced a ref.
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

function applied(pr: PullRequestInfo, merged = false, config = CONFIG): AppliedCluster {
  return { github, pr, config, outputs: OUTPUTS, merged };
}

/** The dev example with Jenkins turned off (its two Jenkins files are no longer rendered). */
const NO_JENKINS: ClusterConfig = { ...CONFIG, addons: { ...CONFIG.addons, jenkins: false } };
const RENDERED_NO_JENKINS = renderClusterFiles(NO_JENKINS, OUTPUTS, { url: REPO_URL });

const handoff = (options: { maxAttempts?: number } = {}) =>
  createGitopsHandoff({ repoUrl: (name) => `https://github.com/${name}.git`, ...options });

const P = `/repos/${REPO}`;
/** A branch's ref in a path, as Octokit sends it (the whole parameter encoded; GitHub takes it). */
const enc = (branch: string) => encodeURIComponent(`heads/${branch}`);
const gitWrites = () =>
  gh.calls.filter((c) => /^(POST|PATCH|DELETE) /.test(c) && c.includes("/git/"));
const bodyOf = (method: string, suffix: string) =>
  gh.requests.filter((r) => r.method === method && r.path === `${P}${suffix}`).map((r) => r.body);

/** Paths whose content differs between two file maps (added, changed or removed). */
function diffPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}

function isAncestor(ancestor: string, sha: string | undefined): boolean {
  const queue = sha ? [sha] : [];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (next === ancestor) return true;
    queue.push(...(gh.commits.get(next)?.parents ?? []));
  }
  return false;
}

const STALE = "clusters/dev/argocd/apps/old-addon.yaml";
const HAND_WRITTEN = "clusters/dev/argocd/apps/team-extra.yaml";
const staleGenerated = `# ${GENERATED_MARKER} from clusters/dev.yaml. Do not edit.\nkind: Application\n`;
const handWritten = "# added by the team\nkind: Application\n";
const edited = (path: string) => `${renderedMap().get(path)}# a hand edit\n`;
const ROOT = "clusters/dev/argocd/root.yaml";

describe("same-repository PR: one commit on the PR branch", () => {
  it("makes the exact git data API calls, one commit with every rendered file, never forced", async () => {
    const pr = await openPull(7);
    const head = gh.branches.get(BRANCH) as string;
    const headTree = gh.commits.get(head)?.tree as string;
    const before = gh.filesOf(BRANCH);

    await handoff()(applied(pr));

    const after = gh.headCommit(BRANCH);
    expect(gh.calls).toEqual([
      `GET ${P}/git/ref/${enc(BRANCH)}`,
      `GET ${P}/git/commits/${head}`,
      `GET ${P}/git/trees/${headTree}?recursive=true`,
      `POST ${P}/git/trees`,
      `POST ${P}/git/commits`,
      `PATCH ${P}/git/refs/${enc(BRANCH)}`,
      `GET ${P}/issues/7/comments?per_page=100`,
      `POST ${P}/issues/7/comments`,
    ]);
    // createTree on top of the head's tree, with exactly the rendered files inline.
    const [tree] = bodyOf("POST", "/git/trees") as Array<{
      base_tree: string;
      tree: Array<{ path: string; mode: string; type: string; content: string }>;
    }>;
    expect(tree?.base_tree).toBe(headTree);
    expect(tree?.tree.map((e) => e.path).sort()).toEqual(RENDERED_PATHS);
    for (const entry of tree?.tree ?? []) {
      expect(entry).toMatchObject({ mode: "100644", type: "blob" });
      expect(entry.content).toBe(renderedMap().get(entry.path));
    }
    // createCommit: one parent (the head read), a clear message, no author (GitHub makes the App
    // the author).
    const [commit] = bodyOf("POST", "/git/commits") as Array<Record<string, unknown>>;
    expect(commit).toMatchObject({ parents: [head] });
    expect(commit).not.toHaveProperty("author");
    expect(commit).not.toHaveProperty("committer");
    expect(String(commit?.message).split("\n")[0]).toBe(
      "k3s-bot: Argo CD and Jenkins config for dev",
    );
    expect(commit?.message).toContain(`apply of ${head.slice(0, 7)} (#7)`);
    // updateRef moves the PR branch to that commit, force false.
    expect(gh.refUpdates).toEqual([{ ref: `heads/${BRANCH}`, sha: after?.sha, force: false }]);
    expect(after?.parents).toEqual([head]);
    // One commit: the branch is the old head plus the rendered files, nothing else touched.
    expect(diffPaths(before, gh.filesOf(BRANCH))).toEqual(RENDERED_PATHS);
    for (const file of RENDERED) expect(gh.filesOf(BRANCH).get(file.path)).toBe(file.content);
    expect(gh.filesOf(BRANCH).get("README.md")).toBe("# platform\n");
    // The PR hears which commit and files.
    const body = gh.markedComment(7, MARKER)?.body ?? "";
    expect(body).toContain(`Committed \`${after?.sha.slice(0, 7)}\` to \`${BRANCH}\``);
    for (const path of RENDERED_PATHS) expect(body).toContain(`\`${path}\``);
    expect(gh.filesOf("main").size).toBe(2);
  });

  const jenkinsOnly = RENDERED_PATHS.filter((p) => !RENDERED_NO_JENKINS.some((f) => f.path === p));
  const changedWithoutJenkins = RENDERED_NO_JENKINS.filter(
    (f) => renderedMap().get(f.path) !== f.content,
  ).map((f) => f.path);

  it.each([
    {
      name: "a branch without the files: all of them",
      onBranch: {},
      config: CONFIG,
      committed: RENDERED_PATHS,
      removed: [] as string[],
    },
    {
      name: "one generated file edited by hand: that one file",
      onBranch: () => ({ ...Object.fromEntries(renderedMap()), [ROOT]: edited(ROOT) }),
      config: CONFIG,
      committed: [ROOT],
      removed: [],
    },
    {
      name: "a file it generated earlier and no longer renders: removed; a hand-written one stays",
      onBranch: () => ({
        ...Object.fromEntries(renderedMap()),
        [STALE]: staleGenerated,
        [HAND_WRITTEN]: handWritten,
      }),
      config: CONFIG,
      committed: [],
      removed: [STALE],
    },
    {
      name: "Jenkins turned off: its generated files removed, the others updated",
      onBranch: () => ({ ...Object.fromEntries(renderedMap()), [HAND_WRITTEN]: handWritten }),
      config: NO_JENKINS,
      committed: changedWithoutJenkins.sort(),
      removed: jenkinsOnly,
    },
  ])("commits only what differs — $name", async ({ onBranch, config, committed, removed }) => {
    const pr = await openPull(7, typeof onBranch === "function" ? onBranch() : onBranch);
    const before = gh.filesOf(BRANCH);
    const expected = renderClusterFiles(config, OUTPUTS, { url: REPO_URL });

    await handoff()(applied(pr, false, config));

    const [tree] = bodyOf("POST", "/git/trees") as Array<{
      tree: Array<{ path: string; content?: string; sha?: null }>;
    }>;
    expect(
      tree?.tree
        .filter((e) => e.content !== undefined)
        .map((e) => e.path)
        .sort(),
    ).toEqual(committed);
    expect(
      tree?.tree
        .filter((e) => e.sha === null)
        .map((e) => e.path)
        .sort(),
    ).toEqual(removed);
    expect(gh.refUpdates).toHaveLength(1);
    expect(diffPaths(before, gh.filesOf(BRANCH))).toEqual([...committed, ...removed].sort());
    const after = gh.filesOf(BRANCH);
    for (const file of expected) expect(after.get(file.path)).toBe(file.content);
    for (const path of removed) expect(after.has(path)).toBe(false);
    if (before.has(HAND_WRITTEN)) expect(after.get(HAND_WRITTEN)).toBe(handWritten);
    const body = gh.markedComment(7, MARKER)?.body ?? "";
    for (const path of removed) expect(body).toContain(`\`${path}\` (removed`);
  });

  it.each([
    { name: "files already there", onBranch: () => Object.fromEntries(renderedMap()), commits: 0 },
    { name: "files missing", onBranch: () => ({}), commits: 1 },
  ])(
    "with a truncated tree listing, reads unlisted files to decide — $name",
    async ({ onBranch, commits }) => {
      const pr = await openPull(7, onBranch());
      gh.treeLimit = 1;
      await handoff()(applied(pr));
      expect(gh.calls.some((c) => c.includes("/contents/"))).toBe(true);
      expect(gh.refUpdates).toHaveLength(commits);
      for (const file of RENDERED) expect(gh.filesOf(BRANCH).get(file.path)).toBe(file.content);
    },
  );

  it.each([
    { name: "a second hand-off after its own commit", first: "handoff" },
    { name: "a branch where someone already committed the same files", first: "push" },
  ])("makes no commit when nothing changed — $name", async ({ first }) => {
    const pr = await openPull(7, first === "push" ? Object.fromEntries(renderedMap()) : {});
    if (first === "handoff") await handoff()(applied(pr));
    const head = gh.branches.get(BRANCH) as string;
    const comments = structuredClone(gh.comments);
    gh.calls.length = 0;
    const refUpdates = gh.refUpdates.length;

    await handoff()(applied(pr));

    expect(gh.calls).toEqual([
      `GET ${P}/git/ref/${enc(BRANCH)}`,
      `GET ${P}/git/commits/${head}`,
      `GET ${P}/git/trees/${gh.commits.get(head)?.tree}?recursive=true`,
    ]);
    expect(gh.branches.get(BRANCH)).toBe(head);
    expect(gh.refUpdates).toHaveLength(refUpdates);
    expect(gh.comments).toEqual(comments);
  });
});

describe("the branch moves between read and update", () => {
  const bobPushes = (n: number) => () =>
    gh.pushCommit(
      BRANCH,
      { [`clusters/dev/apps/bob-${n}.yaml`]: `kind: ConfigMap # ${n}\n` },
      `bob ${n}`,
    );
  const beforeUpdate = (run: () => void) =>
    gh.beforeCall.push({ method: "PATCH", path: /\/git\/refs\/heads(\/|%2F)/i, run });

  it("retries on the new head: the other commit stays an ancestor with its file, never forced", async () => {
    const pr = await openPull(7);
    const head = gh.branches.get(BRANCH) as string;
    let bob = "";
    beforeUpdate(() => {
      bob = bobPushes(1)();
    });

    await handoff()(applied(pr));

    const final = gh.headCommit(BRANCH);
    const bobTree = gh.commits.get(bob)?.tree as string;
    expect(gh.calls.filter((c) => c.includes("/git/"))).toEqual([
      `GET ${P}/git/ref/${enc(BRANCH)}`,
      `GET ${P}/git/commits/${head}`,
      `GET ${P}/git/trees/${gh.commits.get(head)?.tree}?recursive=true`,
      `POST ${P}/git/trees`,
      `POST ${P}/git/commits`,
      `PATCH ${P}/git/refs/${enc(BRANCH)}`, // 422: not a fast forward
      `GET ${P}/git/ref/${enc(BRANCH)}`,
      `GET ${P}/git/commits/${bob}`,
      `GET ${P}/git/trees/${bobTree}?recursive=true`,
      `POST ${P}/git/trees`,
      `POST ${P}/git/commits`,
      `PATCH ${P}/git/refs/${enc(BRANCH)}`,
    ]);
    expect(gh.refUpdates.map((u) => u.force)).toEqual([false, false]);
    // The second tree and commit are built on Bob's head.
    expect((bodyOf("POST", "/git/trees")[1] as { base_tree: string }).base_tree).toBe(bobTree);
    expect((bodyOf("POST", "/git/commits")[1] as { parents: string[] }).parents).toEqual([bob]);
    expect(final?.parents).toEqual([bob]);
    expect(isAncestor(bob, final?.sha)).toBe(true);
    const files = gh.filesOf(BRANCH);
    expect(files.get("clusters/dev/apps/bob-1.yaml")).toBe("kind: ConfigMap # 1\n");
    for (const file of RENDERED) expect(files.get(file.path)).toBe(file.content);
    expect(gh.markedComment(7, MARKER)?.body).toContain(`Committed \`${final?.sha.slice(0, 7)}\``);
  });

  it("makes no commit when the other push already brought the same files", async () => {
    const pr = await openPull(7);
    beforeUpdate(() => gh.pushCommit(BRANCH, Object.fromEntries(renderedMap()), "bob renders"));
    await handoff()(applied(pr));
    const bob = gh.headCommit(BRANCH);
    expect(bob?.message).toBe("bob renders");
    expect(gh.refUpdates).toHaveLength(1);
    expect(gitWrites().filter((c) => c.startsWith("POST"))).toHaveLength(2);
  });

  it.each([1, 2, 3])(
    "gives up after maxAttempts = %i moves, reports it and overwrites nothing",
    async (maxAttempts) => {
      const pr = await openPull(7);
      const pushed: string[] = [];
      for (let n = 1; n <= maxAttempts; n++) beforeUpdate(() => pushed.push(bobPushes(n)()));

      await handoff({ maxAttempts })(applied(pr));

      expect(gh.refUpdates).toHaveLength(maxAttempts);
      expect(gh.refUpdates.every((u) => u.force === false)).toBe(true);
      expect(pushed).toHaveLength(maxAttempts);
      // The branch is exactly where the last other push left it; none of the bot's files on it.
      expect(gh.branches.get(BRANCH)).toBe(pushed.at(-1));
      for (const sha of pushed) expect(isAncestor(sha, gh.branches.get(BRANCH))).toBe(true);
      const files = gh.filesOf(BRANCH);
      for (const path of RENDERED_PATHS) expect(files.has(path)).toBe(false);
      for (let n = 1; n <= maxAttempts; n++)
        expect(files.has(`clusters/dev/apps/bob-${n}.yaml`)).toBe(true);
      const body = gh.markedComment(7, MARKER)?.body ?? "";
      expect(body).toContain(`moved ${maxAttempts} times`);
      expect(body).toContain("never force-pushes");
    },
  );

  it("lets any other ref-update failure propagate, the branch untouched", async () => {
    const pr = await openPull(7);
    const head = gh.branches.get(BRANCH);
    gh.failures.push({
      method: "PATCH",
      path: /\/git\/refs\/heads(\/|%2F)/i,
      status: 500,
      times: 1,
    });
    await expect(handoff()(applied(pr))).rejects.toMatchObject({ status: 500 });
    expect(gh.branches.get(BRANCH)).toBe(head);
    // One attempt, no retry on an error that is not "not a fast forward".
    expect(gh.calls.filter((c) => c.startsWith("PATCH "))).toHaveLength(1);
  });

  it("reports a branch deleted before the hand-off", async () => {
    const pr = await openPull(7);
    gh.branches.delete(BRANCH);
    await handoff()(applied(pr));
    expect(gitWrites()).toEqual([]);
    expect(gh.markedComment(7, MARKER)?.body).toContain(`\`${BRANCH}\` no longer exists`);
  });
});

/** The patch in the fork comment: the body of its ```diff fence. */
function patchOf(body: string): string {
  const match = /^(`{3,})diff\n([\s\S]*?)^\1$/m.exec(body);
  if (!match?.[2]) throw new Error(`no diff fence in:\n${body}`);
  return match[2];
}

function filesIn(dir: string): Map<string, string> {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  return new Map(walk(dir).map((f) => [relative(dir, f), readFileSync(f, "utf8")]));
}

/** `git apply` the patch on a checkout of `files`; returns the files afterwards. */
function gitApply(files: Map<string, string>, patch: string): Map<string, string> {
  const root = mkdtempSync(join(tmpdir(), "k3s-gitops-patch-"));
  const dir = join(root, "checkout");
  const patchFile = join(root, "k3s-gitops.patch");
  try {
    mkdirSync(dir);
    for (const [path, content] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    writeFileSync(patchFile, patch);
    execFileSync("git", ["apply", "--check", patchFile], { cwd: dir });
    execFileSync("git", ["apply", patchFile], { cwd: dir });
    return filesIn(dir);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("fork PR: a patch in a comment, no git writes", () => {
  it.each([
    { name: "all files new", onBranch: {}, changed: RENDERED_PATHS },
    {
      name: "one file edited, one stale generated file, one hand-written file",
      onBranch: () => ({
        ...Object.fromEntries(renderedMap()),
        [ROOT]: edited(ROOT),
        [STALE]: staleGenerated,
        [HAND_WRITTEN]: handWritten,
      }),
      changed: [ROOT, STALE].sort(),
    },
  ])(
    "$name: the patch applies with git apply and yields the rendered files",
    async ({ onBranch, changed }) => {
      const pr = await openPull(9, typeof onBranch === "function" ? onBranch() : onBranch, {
        headRepo: "mallory/platform",
        headRef: "main-fork",
      });
      expect(pr.fromFork).toBe(true);
      const atHead = new Map(gh.files.get(pr.headSha));

      await handoff()(applied(pr));

      expect(gitWrites()).toEqual([]);
      expect(gh.refUpdates).toEqual([]);
      expect(gh.createdPulls).toEqual([]);
      expect(gh.branches.get("main-fork")).toBe(pr.headSha);
      const body = gh.markedComment(9, MARKER)?.body ?? "";
      expect(body).toContain("comes from a fork");
      expect(body).toContain("git apply k3s-gitops.patch");
      const patch = patchOf(body);
      const touched = [...patch.matchAll(/^diff --git a\/(\S+) b\/\1$/gm)].map((m) => m[1]);
      expect(touched.sort()).toEqual(changed);
      const result = gitApply(atHead, patch);
      expect(diffPaths(atHead, result)).toEqual(changed);
      for (const file of RENDERED) expect(result.get(file.path)).toBe(file.content);
      expect(result.has(STALE)).toBe(false);
      if (atHead.has(HAND_WRITTEN)) expect(result.get(HAND_WRITTEN)).toBe(handWritten);
    },
  );

  it("lists the files without a patch when the patch would not fit in a comment", async () => {
    const huge = `${"# padding line of a hand-edited root Application\n".repeat(1500)}`;
    const pr = await openPull(
      9,
      { ...Object.fromEntries(renderedMap()), [ROOT]: huge },
      {
        headRepo: "mallory/platform",
        headRef: "main-fork",
      },
    );
    await handoff()(applied(pr));
    expect(gitWrites()).toEqual([]);
    const body = gh.markedComment(9, MARKER)?.body ?? "";
    expect(body.length).toBeLessThan(65_536);
    expect(body).not.toContain("```diff");
    expect(body).toContain(`\`${ROOT}\``);
    expect(body).toContain("too long for a comment");
    expect(body).toContain("k3s-bot render clusters/dev.yaml");
  });

  it("says nothing when the fork already has the files", async () => {
    const pr = await openPull(9, Object.fromEntries(renderedMap()), {
      headRepo: "mallory/platform",
      headRef: "main-fork",
    });
    await handoff()(applied(pr));
    expect(gh.calls.every((c) => c.startsWith("GET "))).toBe(true);
    expect(gh.comments).toEqual([]);
  });

  it.each([
    ["a new file without a final newline", null, "a: 1\nb: 2"],
    ["an edit", "a: 1\n", "a: 2\nb: 3\n"],
    ["an edit dropping the final newline", "a: 1\n", "a: 1"],
    ["a deletion", "a: 1\nb: 2\n", null],
  ])("filePatch: %s applies with git apply", (_name, before, after) => {
    const files = new Map(before === null ? [] : [["x/y.yaml", before]]);
    const result = gitApply(files, filePatch("x/y.yaml", before, after));
    expect(result.get("x/y.yaml") ?? null).toBe(after);
  });
});

describe("after a merge: a follow-up PR, never a push to the base branch", () => {
  async function merge(mainChanges: Record<string, string | null> = {}) {
    await openPull(11);
    // The merge commit lands on main (the default branch).
    const mergeSha = gh.pushCommit(
      "main",
      { ...Object.fromEntries(gh.filesOf(BRANCH)), ...mainChanges },
      "Merge pull request #11",
    );
    const pulled = gh.pulls.get(11);
    if (pulled) Object.assign(pulled, { state: "closed", merged: true, mergeCommitSha: mergeSha });
    const info = await github.pullRequest(11);
    gh.calls.length = 0;
    gh.requests.length = 0;
    // The workflow applies the merge commit: headSha is the merge commit's.
    return { pr: { ...info, headSha: mergeSha }, mergeSha };
  }

  it("opens a PR from k3s-bot/gitops-<cluster>-<short sha> into the default branch with the files", async () => {
    const { pr, mergeSha } = await merge();
    const mainBefore = gh.filesOf("main");
    const branch = `k3s-bot/gitops-dev-${mergeSha.slice(0, 7)}`;
    expect(followUpBranch("dev", pr)).toBe(branch);

    await handoff()(applied(pr, true));

    expect(gh.calls).toEqual([
      `GET ${P}/git/ref/${enc("main")}`,
      `GET ${P}/git/commits/${mergeSha}`,
      `GET ${P}/git/trees/${gh.commits.get(mergeSha)?.tree}?recursive=true`,
      `POST ${P}/git/trees`,
      `POST ${P}/git/commits`,
      `POST ${P}/git/refs`,
      `POST ${P}/pulls`,
      `GET ${P}/issues/11/comments?per_page=100`,
      `POST ${P}/issues/11/comments`,
    ]);
    // main is untouched: no ref update at all.
    expect(gh.refUpdates).toEqual([]);
    expect(gh.branches.get("main")).toBe(mergeSha);
    expect(gh.filesOf("main")).toEqual(mainBefore);
    // The new branch: one commit on the merge commit with the rendered files.
    expect(bodyOf("POST", "/git/refs")).toEqual([
      { ref: `refs/heads/${branch}`, sha: gh.branches.get(branch) },
    ]);
    expect(gh.headCommit(branch)?.parents).toEqual([mergeSha]);
    expect(diffPaths(mainBefore, gh.filesOf(branch))).toEqual(RENDERED_PATHS);
    for (const file of RENDERED) expect(gh.filesOf(branch).get(file.path)).toBe(file.content);
    expect(gh.createdPulls).toHaveLength(1);
    const created = gh.createdPulls[0];
    expect(created).toMatchObject({ head: branch, base: gh.defaultBranch });
    for (const path of RENDERED_PATHS) expect(created?.body).toContain(path);
    expect(created?.body).toContain("#11");
    expect(gh.markedComment(11, MARKER)?.body).toContain(`follow-up PR #${created?.number}`);
  });

  it("opens no PR when the default branch already has identical files", async () => {
    const { pr, mergeSha } = await merge(Object.fromEntries(renderedMap()));
    await handoff()(applied(pr, true));
    expect(gh.calls.every((c) => c.startsWith("GET "))).toBe(true);
    expect(gh.createdPulls).toEqual([]);
    expect([...gh.branches.keys()].sort()).toEqual([BRANCH, "main"]);
    expect(gh.branches.get("main")).toBe(mergeSha);
    expect(gh.comments).toEqual([]);
  });

  it("leaves an existing follow-up branch alone and says so", async () => {
    const { pr, mergeSha } = await merge();
    const branch = `k3s-bot/gitops-dev-${mergeSha.slice(0, 7)}`;
    gh.branches.set(branch, mergeSha);
    await handoff()(applied(pr, true));
    expect(gh.branches.get(branch)).toBe(mergeSha);
    expect(gh.createdPulls).toEqual([]);
    expect(gh.markedComment(11, MARKER)?.body).toContain(`\`${branch}\` already exists`);
  });
});

describe("through the real bot: /k3s apply, then the hand-off", () => {
  it("commits to the PR branch after the apply, and reports a failed hand-off next to a standing apply", async () => {
    // This test uses the harness's own FakeGitHub; the one from beforeEach is dropped.
    nock.cleanAll();
    // No AWS call is made: Terraform's apply is stubbed below (the loopback URL is never dialled).
    const bot = startBot("http://127.0.0.1:9", { afterApply: handoff() });
    try {
      const fake = bot.github;
      fake.pushCommit("main", { "clusters/dev.yaml": DEFINITION }, "init");
      fake.branches.set(BRANCH, fake.branches.get("main") as string);
      const head = fake.pushCommit(BRANCH, { "README.md": "change\n" }, "change");
      fake.addPull({
        number: 7,
        headSha: head,
        files: [{ filename: "clusters/dev.yaml", status: "modified" }],
        reviews: [{ user: "bob", state: "APPROVED", submitted_at: "2026-11-25T12:00:00Z" }],
      });
      fake.permissions.set("alice", "write");
      fake.permissions.set("bob", "write");
      const metadata: PlanMetadata = {
        repo: REPO,
        pullRequest: 7,
        cluster: "dev",
        headSha: head,
        definitionHash: "0".repeat(64),
        createdAt: "2026-11-25T12:00:00Z",
        createdBy: "alice",
        add: 1,
        change: 0,
        destroy: 0,
        hasChanges: true,
        appliedBy: "alice",
      };
      const apply = vi
        .spyOn(bot.runs, "apply")
        .mockResolvedValue({ kind: "applied", metadata, outputs: OUTPUTS, log: "" });
      const comment = () =>
        bot.receive(
          "issue_comment",
          issueCommentCreated({ repo: REPO, pullRequest: 7, body: "/k3s apply", user: "alice" }),
        );

      await comment();

      expect(apply).toHaveBeenCalledTimes(1);
      expect(apply.mock.calls[0]?.[1].name).toBe("dev");
      const commit = fake.headCommit(BRANCH);
      expect(commit?.parents).toEqual([head]);
      expect(commit?.message).toMatch(/^k3s-bot: Argo CD and Jenkins config for dev\n/);
      for (const file of RENDERED) expect(fake.filesOf(BRANCH).get(file.path)).toBe(file.content);
      expect(fake.refUpdates).toEqual([{ ref: `heads/${BRANCH}`, sha: commit?.sha, force: false }]);
      expect(fake.latestCheck("k3s apply · dev")).toMatchObject({ conclusion: "success" });
      expect(fake.markedComment(7, MARKER)?.user.login).toBe(BOT_LOGIN);
      expect(fake.reactions.map((r) => r.content)).toEqual(["eyes", "rocket"]);

      // A second apply whose hand-off breaks (GitHub answers 500 on the tree): the apply still
      // stands, the PR hears about the hand-off.
      const branchHead = fake.branches.get(BRANCH);
      fake.pushCommit(BRANCH, { [ROOT]: edited(ROOT) }, "hand edit");
      fake.failures.push({ method: "POST", path: /\/git\/trees$/, status: 500, times: 1 });
      await comment();
      expect(fake.branches.get(BRANCH)).not.toBe(branchHead);
      expect(fake.headCommit(BRANCH)?.message).toBe("hand edit");
      const failed = fake.commentsOn(7).at(-1)?.body ?? "";
      expect(failed).toContain("### k3s apply · `dev` · applied, hand-off failed");
      expect(failed).toContain("500");
      expect(fake.latestCheck("k3s apply · dev")).toMatchObject({ conclusion: "success" });
      expect(fake.refUpdates.every((u) => u.force === false)).toBe(true);
    } finally {
      bot.close();
    }
  });
});
