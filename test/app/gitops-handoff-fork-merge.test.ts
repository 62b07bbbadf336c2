/**
 * The GitOps hand-off for a fork PR (a patch in a comment, checked with `git apply`; no git
 * writes), after a merge (a follow-up PR, never a push to the base branch), and once through the
 * real bot (Probot, webhook payload, workflow) with Terraform's apply stubbed. GitHub's git data
 * API is faked by nock (FakeGitHub) with net connect disabled. The commit on a same-repository
 * PR branch is in gitops-handoff.test.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import nock from "nock";
import { describe, expect, it, vi } from "vitest";
import { filePatch, followUpBranch } from "../../app/bot/gitops-handoff";
import type { PlanMetadata } from "../../app/engine/plan-store";
import { startBot } from "../support/bot-harness";
import { BOT_LOGIN } from "../support/fake-github";
import {
  BRANCH,
  DEFINITION,
  diffPaths,
  edited,
  enc,
  HAND_WRITTEN,
  handoff,
  handWritten,
  MARKER,
  OUTPUTS,
  P,
  RENDERED,
  RENDERED_PATHS,
  REPO,
  ROOT,
  renderedMap,
  STALE,
  staleGenerated,
  useHandoffRepository,
} from "../support/gitops-handoff-fixture";
import { issueCommentCreated } from "../support/payloads";

const { gh, github, openPull, applied, gitWrites, bodyOf } = useHandoffRepository();

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
