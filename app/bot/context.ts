/**
 * What every handler of one webhook event is given: the repository on GitHub, the engine, the
 * log, the run journal and the check runs this event has open. One is made per event
 * (workflow.ts); nothing in it outlives the event.
 */
import type { ClusterConfig } from "../../infra/definition/config";
import type { ClusterRuns, PullRequestRef } from "../engine/cluster-runs";
import type { StatusReader } from "../engine/cluster-status/read";
import type { OpenCheckRuns } from "./check-runs";
import type { PullRequestInfo, RepoGitHub } from "./github";
import type { WatchJob } from "./ready-watch";
import type { RunStart } from "./run-journal";

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

/** What happens after a cluster was applied (the GitOps hand-off plugs in here). */
export interface AppliedCluster {
  github: RepoGitHub;
  pr: PullRequestInfo;
  config: ClusterConfig;
  outputs: Record<string, unknown>;
  /** True after a merge: the PR branch is gone or merged, so results go to a follow-up PR. */
  merged: boolean;
}

export type AfterApply = (applied: AppliedCluster) => Promise<void>;

/** Records a plan or apply while it runs (run-journal.ts), so a restart cannot lose it silently. */
export type TrackRun = <T>(run: RunStart, work: () => Promise<T>) => Promise<T>;

/** Starts watching a cluster become ready after an apply (ready-watch.ts); returns once recorded. */
export type WatchReady = (
  job: Omit<WatchJob, "deadline" | "phases" | "appliedAt">,
) => Promise<void>;

export interface EventContext {
  readonly github: RepoGitHub;
  readonly runs: ClusterRuns;
  readonly log: Logger;
  readonly afterApply?: AfterApply;
  readonly track: TrackRun;
  /** Without it, an apply concludes when Terraform finishes (no status watch). */
  readonly watchReady?: WatchReady;
  /** Reads a cluster's self-reported status (`/k3s status`); without it the command says so. */
  readonly readStatus?: StatusReader;
  /** Check runs started and not yet finished in this event: finished as failed if it breaks. */
  readonly checks: OpenCheckRuns;
}

/**
 * Who a run is for: this repository's PR, the user who caused it and the commit it runs on (the
 * PR's head, or the merge commit after a merge). It holds the cluster's lock while it runs.
 */
export function runFor(
  github: RepoGitHub,
  pr: PullRequestInfo,
  user: string,
  headSha: string = pr.headSha,
): PullRequestRef {
  return { repo: github.fullName, pullRequest: pr.number, user, headSha };
}
