import { describe, expect, it } from "vitest";
import { renderClusterFiles } from "../../app/engine/gitops/render";
import {
  BRANCH,
  CONFIG,
  diffPaths,
  edited,
  enc,
  HAND_WRITTEN,
  handoff,
  handWritten,
  MARKER,
  NO_JENKINS,
  OUTPUTS,
  P,
  RENDERED,
  RENDERED_NO_JENKINS,
  RENDERED_PATHS,
  REPO_URL,
  ROOT,
  renderedMap,
  STALE,
  staleGenerated,
  useHandoffRepository,
} from "../support/gitops-handoff-fixture";

const { gh, openPull, applied, gitWrites, bodyOf, isAncestor } = useHandoffRepository();

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
