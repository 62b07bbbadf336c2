/**
 * GitHub's REST API for one repository, as far as the bot uses it, served by nock from an
 * in-memory model. Tests set up the repository (files at refs, PRs, reviews, permissions), feed
 * webhooks, then assert on what the bot did (comments, check runs, reactions, the call log).
 * With net connect disabled, any call the model does not know fails the test.
 */
import nock from "nock";

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

export interface FakePull {
  number: number;
  author: string;
  headSha: string;
  headRef: string;
  headRepo?: string;
  baseRef: string;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  mergeable: boolean | null;
  mergeableState: string;
  files: Array<{ filename: string; status: string; previous_filename?: string }>;
  reviews: Array<{ user: string; state: string; submitted_at: string }>;
}

export const BOT_LOGIN = "k3s-bot[bot]";

export class FakeGitHub {
  readonly owner: string;
  readonly repo: string;
  defaultBranch = "main";
  /** ref (branch or sha) → path → content */
  readonly files = new Map<string, Map<string, string>>();
  readonly pulls = new Map<number, FakePull>();
  readonly permissions = new Map<string, string>();
  readonly comments: FakeComment[] = [];
  readonly checkRuns: FakeCheckRun[] = [];
  readonly reactions: Array<{ commentId: number; content: string }> = [];
  readonly calls: string[] = [];
  /** Respond to the next matching calls with an error status (fault injection). */
  readonly failures: Array<{ method: string; path: RegExp; status: number; times: number }> = [];
  private nextId = 1000;

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
    this.pulls.set(pull.number, full);
    return full;
  }

  commentsOn(issue: number): FakeComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  /** The bot's comment carrying a marker, e.g. <!-- k3s-bot:plan:dev --> */
  markedComment(issue: number, marker: string): FakeComment | undefined {
    return this.commentsOn(issue).find(
      (c) => c.user.login === BOT_LOGIN && c.body.includes(marker),
    );
  }

  latestCheck(name: string): FakeCheckRun | undefined {
    return [...this.checkRuns].reverse().find((c) => c.name === name);
  }

  /** Installs the interceptors; call `nock.cleanAll()` after the test. */
  install(): void {
    const base = `/repos/${this.owner}/${this.repo}`;
    const scope = nock("https://api.github.com").persist();
    const route = (
      method: string,
      pattern: RegExp,
      reply: (match: RegExpExecArray, body: unknown, url: URL) => [number, unknown],
    ) => {
      const matches = (uri: string) =>
        pattern.test(new URL(uri, "https://api.github.com").pathname);
      const handler = function (this: unknown, uri: string, body: unknown): [number, unknown] {
        const url = new URL(uri, "https://api.github.com");
        self.calls.push(`${method} ${url.pathname}${url.search}`);
        if (process.env.FAKE_GITHUB_TRACE) console.log(Date.now() % 100000, method, url.pathname);
        const failure = self.failures.find(
          (f) => f.method === method && f.path.test(url.pathname) && f.times > 0,
        );
        if (failure) {
          failure.times -= 1;
          return [failure.status, { message: `injected ${failure.status}` }];
        }
        return reply(
          pattern.exec(url.pathname) as RegExpExecArray,
          typeof body === "string" && body ? JSON.parse(body) : body,
          url,
        );
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
    const self = this;
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
          user: { login: pull.author },
          head: {
            sha: pull.headSha,
            ref: pull.headRef,
            repo: { full_name: pull.headRepo ?? this.fullName },
          },
          base: { ref: pull.baseRef, repo: { full_name: this.fullName } },
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
        user: { login: r.user },
        state: r.state,
        submitted_at: r.submitted_at,
      })),
    ]);
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
  }
}
