/**
 * GitHub's REST API for one repository, as far as the bot uses it, served by nock from an
 * in-memory model. Tests set up the repository (files at refs, PRs, reviews, permissions), feed
 * webhooks, then assert on what the bot did (comments, check runs, reactions, the call log).
 * With net connect disabled, any call the model does not know fails the test.
 */
import nock from "nock";
import { blobSha, gitSha, installGitDataRoutes, type Route } from "./fake-github-git";

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string };
  app: { slug: string };
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  user: { login: string; type: string };
}

export interface FakePull {
  number: number;
  author: string;
  headSha: string;
  headRef: string;
  headRepo?: string;
  baseRef: string;
  /** The base commit GitHub reports (`base.sha`); omitted when unset. */
  baseSha?: string;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  mergeable: boolean | null;
  mergeableState: string;
  files: Array<{ filename: string; status: string; previous_filename?: string }>;
  reviews: Array<{
    user: string;
    state: string;
    submitted_at: string;
    /** The head the review was given on; addPull fills in the PR's head. */
    commit_id?: string | null;
    /** "Bot" for Apps and github-actions. */
    type?: string;
  }>;
  /** GraphQL `reviewDecision` (null: no review required). */
  reviewDecision?: "APPROVED" | "CHANGES_REQUESTED" | "REVIEW_REQUIRED" | null;
  /** `changed_files` as GitHub counts it; the length of `files` when unset. */
  changedFiles?: number;
}

export const BOT_LOGIN = "k3s-bot[bot]";

/** A commit of the git data model: its tree is path → content (blob ids are computed). */
export interface FakeCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  /** What the request gave as author (undefined: GitHub makes the App the author). */
  author?: unknown;
}

export interface FakeCreatedPull {
  number: number;
  title: string;
  head: string;
  base: string;
  body: string;
  /** Absent: open. */
  state?: "open" | "closed";
}

export class FakeGitHub {
  readonly owner: string;
  readonly repo: string;
  defaultBranch = "main";
  /** ref (branch or sha) → path → content */
  readonly files = new Map<string, Map<string, string>>();
  readonly pulls = new Map<number, FakePull>();
  readonly permissions = new Map<string, string>();
  /** Who GitHub says authored / committed a commit (GET /commits/:sha); default: the PR's author. */
  readonly commitPeople = new Map<string, { author: string | null; committer: string | null }>();
  /** Active rules per branch (GET /rules/branches/:branch). */
  readonly branchRules = new Map<string, Array<{ type: string; parameters?: unknown }>>();
  /** The App's slug (GET /app); the bot comments as `<slug>[bot]`. */
  appSlug = "k3s-bot";
  readonly comments: FakeComment[] = [];
  /** Issues (not pull requests): the drift scan's. */
  readonly issues: FakeIssue[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly reactions: Array<{ commentId: number; content: string }> = [];
  readonly calls: string[] = [];
  /** When each of `calls` arrived (Date.now(), comparable with the fake terraform's log). */
  readonly callTimes: number[] = [];
  /** Respond to the next matching calls with an error status (fault injection). */
  readonly failures: Array<{
    method: string;
    path: RegExp;
    status: number;
    times: number;
    /** Response headers, e.g. x-ratelimit-remaining or retry-after. */
    headers?: Record<string, string>;
  }> = [];
  private nextId = 1000;
  /** Git data model: branch → commit, commits, trees (tree sha → path → content). */
  readonly branches = new Map<string, string>();
  readonly commits = new Map<string, FakeCommit>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly createdPulls: FakeCreatedPull[] = [];
  /** Every ref update as requested (tests assert that force is never true). */
  readonly refUpdates: Array<{ ref: string; sha: string; force: unknown }> = [];
  /**
   * List at most this many entries in a recursive tree listing, with `truncated: true` when more
   * exist (GitHub cuts very large trees the same way).
   */
  treeLimit = Number.POSITIVE_INFINITY;
  /** Every call with its parsed request body (null for GET), in order. */
  readonly requests: Array<{ method: string; path: string; body: unknown }> = [];
  /** Run once just before the next matching call is answered (e.g. someone pushes). */
  readonly beforeCall: Array<{ method: string; path: RegExp; run: () => void }> = [];

  constructor(fullName: string) {
    const [owner = "", repo = ""] = fullName.split("/");
    this.owner = owner;
    this.repo = repo;
  }

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  setFile(ref: string, path: string, content: string | null): void {
    const files = this.files.get(ref) ?? new Map<string, string>();
    if (content === null) files.delete(path);
    else files.set(path, content);
    this.files.set(ref, files);
  }

  addPull(pull: Partial<FakePull> & { number: number; headSha: string }): FakePull {
    const full: FakePull = {
      author: "alice",
      headRef: `change-${pull.number}`,
      baseRef: this.defaultBranch,
      state: "open",
      merged: false,
      mergeCommitSha: null,
      mergeable: true,
      mergeableState: "clean",
      files: [],
      reviews: [],
      ...pull,
    };
    full.reviews = full.reviews.map((r) => ({ commit_id: full.headSha, ...r }));
    this.pulls.set(pull.number, full);
    return full;
  }

  commentsOn(issue: number): FakeComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  /** The bot's comment carrying a marker, e.g. <!-- k3s-bot:plan:dev --> */
  markedComment(issue: number, marker: string): FakeComment | undefined {
    // The latest: plan comments are one per head commit.
    return [...this.commentsOn(issue)]
      .reverse()
      .find((c) => c.user.login === BOT_LOGIN && c.body.includes(marker));
  }

  latestCheck(name: string): FakeCheckRun | undefined {
    return [...this.checkRuns].reverse().find((c) => c.name === name);
  }

  /** @internal for fake-github-git.ts */
  storeTree(files: Map<string, string>): string {
    const sha = gitSha(
      [...files.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([p, c]) => `${p}\0${blobSha(c)}`)
        .join("\n"),
    );
    this.trees.set(sha, new Map(files));
    return sha;
  }

  /** @internal for fake-github-git.ts */
  storeCommit(commit: Omit<FakeCommit, "sha">): string {
    const sha = gitSha(
      `${commit.tree}\n${commit.parents.join(",")}\n${commit.message}\n${this.nextId++}`,
    );
    this.commits.set(sha, { sha, ...commit });
    // The contents API serves the commit's files too.
    this.files.set(sha, new Map(this.trees.get(commit.tree)));
    return sha;
  }

  /** @internal for fake-github-git.ts */
  moveBranch(branch: string, sha: string): void {
    this.branches.set(branch, sha);
    const commit = this.commits.get(sha);
    if (commit) this.files.set(branch, new Map(this.trees.get(commit.tree)));
  }

  /**
   * Commits files on a branch (someone's push): the branch's current files plus `changes`
   * (null deletes). Returns the new commit's sha.
   */
  pushCommit(branch: string, changes: Record<string, string | null>, message = "a commit"): string {
    const parent = this.branches.get(branch);
    const files = new Map(parent ? this.trees.get(this.commits.get(parent)?.tree ?? "") : []);
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) files.delete(path);
      else files.set(path, content);
    }
    const sha = this.storeCommit({
      tree: this.storeTree(files),
      parents: parent ? [parent] : [],
      message,
    });
    this.moveBranch(branch, sha);
    return sha;
  }

  /** The files of a branch's head commit. */
  filesOf(branch: string): Map<string, string> {
    const commit = this.commits.get(this.branches.get(branch) ?? "");
    return new Map(this.trees.get(commit?.tree ?? ""));
  }

  headCommit(branch: string): FakeCommit | undefined {
    return this.commits.get(this.branches.get(branch) ?? "");
  }

  /** @internal for fake-github-git.ts */
  descends(sha: string, ancestor: string): boolean {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (next === ancestor) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return false;
  }

  /** Installs the interceptors; call `nock.cleanAll()` after the test. */
  install(): void {
    const base = `/repos/${this.owner}/${this.repo}`;
    const scope = nock("https://api.github.com").persist();
    const route: Route = (method, pattern, reply) => {
      const matches = (uri: string) =>
        pattern.test(new URL(uri, "https://api.github.com").pathname);
      // nock 15 hands a full-reply function the fetch Request itself (a function of two
      // parameters would be taken for the callback style).
      const handler = async (
        request: Request,
      ): Promise<[number, unknown] | [number, unknown, Record<string, string>]> => {
        const url = new URL(request.url);
        this.calls.push(`${method} ${url.pathname}${url.search}`);
        this.callTimes.push(Date.now());
        const body = await request.text();
        const parsed = body ? JSON.parse(body) : null;
        this.requests.push({ method, path: url.pathname, body: parsed || null });
        if (process.env.FAKE_GITHUB_TRACE) console.log(Date.now() % 100000, method, url.pathname);
        const hook = this.beforeCall.findIndex(
          (h) => h.method === method && h.path.test(url.pathname),
        );
        if (hook >= 0) this.beforeCall.splice(hook, 1)[0]?.run();
        const failure = this.failures.find(
          (f) => f.method === method && f.path.test(url.pathname) && f.times > 0,
        );
        if (failure) {
          failure.times -= 1;
          return [failure.status, { message: `injected ${failure.status}` }, failure.headers ?? {}];
        }
        return reply(pattern.exec(url.pathname) as RegExpExecArray, parsed, url);
      };
      const interceptor =
        method === "GET"
          ? scope.get(matches)
          : method === "POST"
            ? scope.post(matches)
            : method === "PATCH"
              ? scope.patch(matches)
              : scope.delete(matches);
      interceptor.reply(handler);
    };
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const repoPath = `^${esc(base)}`;

    route("GET", new RegExp(`${repoPath}$`), () => [
      200,
      {
        full_name: this.fullName,
        name: this.repo,
        owner: { login: this.owner },
        default_branch: this.defaultBranch,
      },
    ]);
    route("GET", new RegExp(`${repoPath}/contents/(.+)$`), (m, _b, url) => {
      const path = decodeURIComponent(m[1] ?? "");
      const ref = url.searchParams.get("ref") ?? this.defaultBranch;
      const files = this.files.get(ref) ?? new Map<string, string>();
      const content = files.get(path);
      if (content !== undefined) {
        return [
          200,
          {
            type: "file",
            path,
            name: path.split("/").pop(),
            encoding: "base64",
            content: Buffer.from(content).toString("base64"),
          },
        ];
      }
      const inDir = [...files.keys()].filter(
        (p) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes("/"),
      );
      if (inDir.length > 0)
        return [200, inDir.map((p) => ({ type: "file", path: p, name: p.split("/").pop() }))];
      return [404, { message: "Not Found" }];
    });
    route("GET", new RegExp(`${repoPath}/pulls/(\\d+)$`), (m) => {
      const pull = this.pulls.get(Number(m[1]));
      if (!pull) return [404, { message: "Not Found" }];
      return [
        200,
        {
          number: pull.number,
          state: pull.state,
          merged: pull.merged,
          merge_commit_sha: pull.mergeCommitSha,
          mergeable: pull.mergeable,
          mergeable_state: pull.mergeableState,
          changed_files: pull.changedFiles ?? pull.files.length,
          user: { login: pull.author },
          head: {
            sha: pull.headSha,
            ref: pull.headRef,
            repo: { full_name: pull.headRepo ?? this.fullName },
          },
          base: {
            ref: pull.baseRef,
            ...(pull.baseSha ? { sha: pull.baseSha } : {}),
            repo: { full_name: this.fullName },
          },
        },
      ];
    });
    route("GET", new RegExp(`${repoPath}/pulls/(\\d+)/files$`), (m) => [
      200,
      this.pulls.get(Number(m[1]))?.files ?? [],
    ]);
    route("GET", new RegExp(`${repoPath}/pulls/(\\d+)/reviews$`), (m) => [
      200,
      (this.pulls.get(Number(m[1]))?.reviews ?? []).map((r, i) => ({
        id: i + 1,
        user: { login: r.user, type: r.type ?? "User" },
        state: r.state,
        submitted_at: r.submitted_at,
        commit_id: r.commit_id === undefined ? this.pulls.get(Number(m[1]))?.headSha : r.commit_id,
      })),
    ]);
    route("GET", new RegExp(`${repoPath}/commits/([0-9a-f]{40})$`), (m) => {
      const sha = m[1] ?? "";
      const people = this.commitPeople.get(sha) ?? {
        author: [...this.pulls.values()].find((p) => p.headSha === sha)?.author ?? null,
        committer: null,
      };
      const user = (login: string | null) => (login ? { login, type: "User" } : null);
      return [
        200,
        { sha, author: user(people.author), committer: user(people.committer), files: [] },
      ];
    });
    route("GET", new RegExp(`${repoPath}/rules/branches/(.+)$`), (m) => [
      200,
      this.branchRules.get(decodeURIComponent(m[1] ?? "")) ?? [],
    ]);
    route("GET", /^\/app$/, () => [200, { id: 1, slug: this.appSlug, name: this.appSlug }]);
    route("POST", /^\/graphql$/, (_m, body) => {
      const b = body as { query: string; variables?: { number?: number } };
      const number = b.variables?.number ?? 0;
      if (!/reviewDecision/.test(b.query)) return [400, { message: "query not modelled" }];
      const pull = this.pulls.get(number);
      return [
        200,
        {
          data: {
            repository: {
              pullRequest: pull ? { reviewDecision: pull.reviewDecision ?? null } : null,
            },
          },
        },
      ];
    });
    route("GET", new RegExp(`${repoPath}/collaborators/([^/]+)/permission$`), (m) => {
      const role = this.permissions.get(decodeURIComponent(m[1] ?? "")) ?? "read";
      const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
      return [200, { permission, role_name: role, user: { login: m[1] } }];
    });
    route("POST", new RegExp(`${repoPath}/issues/comments/(\\d+)/reactions$`), (m, body) => {
      this.reactions.push({
        commentId: Number(m[1]),
        content: (body as { content: string }).content,
      });
      return [201, { id: this.nextId++, content: (body as { content: string }).content }];
    });
    const issueJson = (i: FakeIssue) => ({ ...i, labels: i.labels.map((name) => ({ name })) });
    route("GET", new RegExp(`${repoPath}/issues$`), (_m, _b, url) => {
      const label = url.searchParams.get("labels");
      const state = url.searchParams.get("state") ?? "open";
      return [
        200,
        this.issues
          .filter((i) => !label || i.labels.includes(label))
          .filter((i) => state === "all" || i.state === state)
          .map(issueJson),
      ];
    });
    route("POST", new RegExp(`${repoPath}/issues$`), (_m, body) => {
      const b = body as { title: string; body: string; labels?: string[] };
      const issue: FakeIssue = {
        number: this.nextId++,
        title: b.title,
        body: b.body,
        state: "open",
        labels: b.labels ?? [],
        user: { login: BOT_LOGIN, type: "Bot" },
      };
      this.issues.push(issue);
      return [201, issueJson(issue)];
    });
    route("PATCH", new RegExp(`${repoPath}/issues/(\\d+)$`), (m, body) => {
      const issue = this.issues.find((i) => i.number === Number(m[1]));
      if (!issue) return [404, { message: "Not Found" }];
      const b = body as Partial<FakeIssue>;
      if (b.body !== undefined) issue.body = b.body;
      if (b.state !== undefined) issue.state = b.state;
      return [200, issueJson(issue)];
    });
    route("GET", new RegExp(`${repoPath}/issues/(\\d+)/comments$`), (m) => [
      200,
      this.commentsOn(Number(m[1])).map((c) => ({ id: c.id, body: c.body, user: c.user })),
    ]);
    route("POST", new RegExp(`${repoPath}/issues/(\\d+)/comments$`), (m, body) => {
      const comment: FakeComment = {
        id: this.nextId++,
        issue: Number(m[1]),
        body: (body as { body: string }).body,
        user: { login: BOT_LOGIN, type: "Bot" },
      };
      if (comment.body.length > 65_536)
        return [422, { message: "Body is too long (maximum is 65536 characters)" }];
      this.comments.push(comment);
      return [201, { id: comment.id, body: comment.body, user: comment.user }];
    });
    route("PATCH", new RegExp(`${repoPath}/issues/comments/(\\d+)$`), (m, body) => {
      const comment = this.comments.find((c) => c.id === Number(m[1]));
      if (!comment) return [404, { message: "Not Found" }];
      const next = (body as { body: string }).body;
      if (next.length > 65_536)
        return [422, { message: "Body is too long (maximum is 65536 characters)" }];
      comment.body = next;
      return [200, { id: comment.id, body: comment.body, user: comment.user }];
    });
    route("POST", new RegExp(`${repoPath}/check-runs$`), (_m, body) => {
      const b = body as {
        name: string;
        head_sha: string;
        status: string;
        output?: FakeCheckRun["output"];
      };
      const run: FakeCheckRun = {
        id: this.nextId++,
        name: b.name,
        head_sha: b.head_sha,
        status: b.status,
        conclusion: null,
        output: b.output ?? {},
        app: { slug: "k3s-bot" },
      };
      this.checkRuns.push(run);
      return [201, run];
    });
    route("PATCH", new RegExp(`${repoPath}/check-runs/(\\d+)$`), (m, body) => {
      const run = this.checkRuns.find((c) => c.id === Number(m[1]));
      if (!run) return [404, { message: "Not Found" }];
      Object.assign(run, body);
      return [200, run];
    });
    route("GET", new RegExp(`${repoPath}/commits/([^/]+)/check-runs$`), (m) => {
      const runs = this.checkRuns.filter((c) => c.head_sha === m[1]);
      return [200, { total_count: runs.length, check_runs: runs }];
    });

    installGitDataRoutes(this, route, repoPath);
    // Pull requests the bot opened (createdPulls): listed by head, edited, closed by a test.
    route("GET", new RegExp(`${repoPath}/pulls$`), (_m, _b, url) => {
      const head = url.searchParams.get("head");
      const state = url.searchParams.get("state") ?? "open";
      return [
        200,
        this.createdPulls
          .filter((p) => head === null || `${this.owner}:${p.head}` === head)
          .filter((p) => state === "all" || (p.state ?? "open") === state)
          .map((p) => ({
            number: p.number,
            title: p.title,
            head: { ref: p.head },
            state: p.state ?? "open",
          })),
      ];
    });
    route("PATCH", new RegExp(`${repoPath}/pulls/(\\d+)$`), (m, body) => {
      const pull = this.createdPulls.find((p) => p.number === Number(m[1]));
      if (!pull) return [404, { message: "Not Found" }];
      Object.assign(pull, body as { title?: string; body?: string; state?: "open" | "closed" });
      return [200, { number: pull.number, title: pull.title, state: pull.state ?? "open" }];
    });
    route("POST", new RegExp(`${repoPath}/pulls$`), (_m, body) => {
      const b = body as { title: string; head: string; base: string; body: string };
      if (!this.branches.has(b.head)) return [422, { message: "Validation Failed: head" }];
      const pull = { number: this.nextId++, ...b };
      this.createdPulls.push(pull);
      return [
        201,
        {
          number: pull.number,
          html_url: `https://github.com/${this.fullName}/pull/${pull.number}`,
        },
      ];
    });
  }
}
