/**
 * The git data API of FakeGitHub (https://docs.github.com/en/rest/git): refs, commits and trees
 * on its in-memory model (branch → commit → tree), as the GitOps hand-off and the update pull
 * requests use them. A file of its own so that fake-github.ts stays one concern per file.
 */
import { createHash } from "node:crypto";
import type { FakeGitHub } from "./fake-github";

export const gitSha = (text: string) => createHash("sha1").update(text).digest("hex");
/** The id git gives a file's content (`git hash-object`). */
export const blobSha = (content: string) => {
  const body = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))
    .digest("hex");
};

/** Registers one interceptor: method, path pattern, and the reply from the match and body. */
export type Route = (
  method: string,
  pattern: RegExp,
  reply: (match: RegExpExecArray, body: unknown, url: URL) => [number, unknown],
) => void;

export function installGitDataRoutes(gh: FakeGitHub, route: Route, repoPath: string): void {
  // Git data API (https://docs.github.com/en/rest/git): refs, commits, trees, on the model above.
  // Octokit encodes the whole `ref` parameter (`heads%2Fmain`, `heads%2Fk3s-bot%2F…`), which
  // GitHub accepts; plain slashes are accepted too.
  route("GET", new RegExp(`${repoPath}/git/ref/heads(?:/|%2F)(.+)$`, "i"), (m) => {
    const branch = decodeURIComponent(m[1] ?? "");
    const sha = gh.branches.get(branch);
    if (!sha) return [404, { message: "Not Found" }];
    return [200, { ref: `refs/heads/${branch}`, object: { sha, type: "commit" } }];
  });
  route("GET", new RegExp(`${repoPath}/git/commits/([0-9a-f]{40})$`), (m) => {
    const commit = gh.commits.get(m[1] ?? "");
    if (!commit) return [404, { message: "Not Found" }];
    return [
      200,
      {
        sha: commit.sha,
        message: commit.message,
        tree: { sha: commit.tree },
        parents: commit.parents.map((sha) => ({ sha })),
      },
    ];
  });
  route("GET", new RegExp(`${repoPath}/git/trees/([0-9a-f]{40})$`), (m) => {
    const tree = gh.trees.get(m[1] ?? "");
    if (!tree) return [404, { message: "Not Found" }];
    const entries = [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return [
      200,
      {
        sha: m[1],
        truncated: entries.length > gh.treeLimit,
        tree: entries.slice(0, gh.treeLimit).map(([path, content]) => ({
          path,
          mode: "100644",
          type: "blob",
          sha: blobSha(content),
        })),
      },
    ];
  });
  route("POST", new RegExp(`${repoPath}/git/trees$`), (_m, body) => {
    const b = body as {
      base_tree?: string;
      tree: Array<{ path: string; content?: string; sha?: string | null }>;
    };
    const base = b.base_tree ? gh.trees.get(b.base_tree) : new Map<string, string>();
    if (!base) return [422, { message: "Invalid tree info" }];
    const files = new Map(base);
    for (const entry of b.tree) {
      if (entry.content !== undefined) files.set(entry.path, entry.content);
      else if (entry.sha === null) {
        if (!files.has(entry.path)) return [422, { message: "GitRPC::BadObjectState" }];
        files.delete(entry.path);
      } else return [422, { message: "only inline content and deletions are modelled" }];
    }
    return [201, { sha: gh.storeTree(files), truncated: false, tree: [] }];
  });
  route("POST", new RegExp(`${repoPath}/git/commits$`), (_m, body) => {
    const b = body as { message: string; tree: string; parents: string[]; author?: unknown };
    if (!gh.trees.has(b.tree)) return [422, { message: "Tree SHA does not exist" }];
    if (b.parents.some((p) => !gh.commits.has(p)))
      return [422, { message: "Parent SHA does not exist or is not a commit object" }];
    const sha = gh.storeCommit({
      tree: b.tree,
      parents: b.parents,
      message: b.message,
      ...(b.author !== undefined ? { author: b.author } : {}),
    });
    return [201, { sha, tree: { sha: b.tree }, message: b.message }];
  });
  route("PATCH", new RegExp(`${repoPath}/git/refs/heads(?:/|%2F)(.+)$`, "i"), (m, body) => {
    const branch = decodeURIComponent(m[1] ?? "");
    const b = body as { sha: string; force?: boolean };
    gh.refUpdates.push({ ref: `heads/${branch}`, sha: b.sha, force: b.force });
    const current = gh.branches.get(branch);
    if (!current) return [422, { message: "Reference does not exist" }];
    if (!gh.commits.has(b.sha)) return [422, { message: "Object does not exist" }];
    if (!b.force && !gh.descends(b.sha, current))
      return [422, { message: "Update is not a fast forward" }];
    gh.moveBranch(branch, b.sha);
    return [200, { ref: `refs/heads/${branch}`, object: { sha: b.sha, type: "commit" } }];
  });
  route("POST", new RegExp(`${repoPath}/git/refs$`), (_m, body) => {
    const b = body as { ref: string; sha: string };
    const branch = b.ref.replace(/^refs\/heads\//, "");
    if (gh.branches.has(branch)) return [422, { message: "Reference already exists" }];
    if (!gh.commits.has(b.sha)) return [422, { message: "Object does not exist" }];
    gh.moveBranch(branch, b.sha);
    return [201, { ref: b.ref, object: { sha: b.sha, type: "commit" } }];
  });
}
