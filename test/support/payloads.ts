/**
 * Webhook payloads built from GitHub's own examples (@octokit/webhooks-examples), with only the
 * fields a test is about changed, so the bot sees the shapes GitHub really sends.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as Array<{
  name: string;
  examples: Array<Record<string, unknown> & { action?: string }>;
}>;

function example(event: string, action: string): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no GitHub example for ${event}.${action}`);
  return structuredClone(found);
}

function repository(fullName: string) {
  const [owner = "", name = ""] = fullName.split("/");
  return (base: Record<string, unknown>) => ({
    ...base,
    name,
    full_name: fullName,
    owner: { ...(base.owner as object), login: owner },
  });
}

export interface CommentPayloadOptions {
  repo: string;
  pullRequest: number;
  body: string;
  user: string;
  userType?: "User" | "Bot";
  commentId?: number;
  /** A comment on a plain issue rather than a PR. */
  onIssue?: boolean;
  installationId?: number;
}

export function issueCommentCreated(options: CommentPayloadOptions) {
  const payload = example("issue_comment", "created") as Record<string, Record<string, unknown>>;
  const issue = payload.issue as Record<string, unknown>;
  issue.number = options.pullRequest;
  if (options.onIssue) delete issue.pull_request;
  else {
    issue.pull_request = {
      url: `https://api.github.com/repos/${options.repo}/pulls/${options.pullRequest}`,
      html_url: `https://github.com/${options.repo}/pull/${options.pullRequest}`,
      diff_url: `https://github.com/${options.repo}/pull/${options.pullRequest}.diff`,
      patch_url: `https://github.com/${options.repo}/pull/${options.pullRequest}.patch`,
    };
  }
  const comment = payload.comment as Record<string, unknown>;
  comment.id = options.commentId ?? Math.floor(Math.random() * 1e9);
  comment.body = options.body;
  comment.user = {
    ...(comment.user as object),
    login: options.user,
    type: options.userType ?? "User",
  };
  payload.repository = repository(options.repo)(payload.repository as Record<string, unknown>);
  payload.sender = {
    ...(payload.sender as object),
    login: options.user,
    type: options.userType ?? "User",
  };
  payload.installation = {
    id: options.installationId ?? 1,
    node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==",
  };
  return payload;
}

export interface PullRequestPayloadOptions {
  repo: string;
  pullRequest: number;
  action: "opened" | "synchronize" | "reopened" | "closed";
  merged?: boolean;
  user?: string;
  headSha?: string;
  installationId?: number;
}

export function pullRequestEvent(options: PullRequestPayloadOptions) {
  const payload = example("pull_request", options.action) as Record<
    string,
    Record<string, unknown>
  >;
  const pr = payload.pull_request as Record<string, unknown>;
  pr.number = options.pullRequest;
  payload.number = options.pullRequest as unknown as Record<string, unknown>;
  if (options.action === "closed") pr.merged = options.merged ?? false;
  if (options.headSha) pr.head = { ...(pr.head as object), sha: options.headSha };
  payload.repository = repository(options.repo)(payload.repository as Record<string, unknown>);
  payload.sender = { ...(payload.sender as object), login: options.user ?? "alice", type: "User" };
  payload.installation = {
    id: options.installationId ?? 1,
    node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==",
  };
  return payload;
}
