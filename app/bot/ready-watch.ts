/**
 * After an apply: keeps the apply check run in progress with a one-line summary of the
 * cluster's self-reported status ("servers 3/3 · workers 2/3 · add-ons 5/6 · Argo CD
 * Synced/Healthy") until it is ready or the timeout passes, then concludes it (success, or
 * failure naming what is stuck with the failing add-on's log tail, redacted) and ends the apply
 * comment with the time to ready and what to do next.
 *
 * The watch runs detached from the webhook event and holds no Terraform slot (it starts after
 * the apply's queued task returned and only reads SSM). It is recorded in the run journal
 * (run-journal.ts, kind "watch", with everything needed to go on): after a restart or a crash,
 * the replica that takes the record over resumes the watch where it was, with the same
 * deadline and the phases seen so far.
 */

import { describeError } from "../engine/cluster-runs";
import type { StatusExpectation } from "../engine/cluster-status/assess";
import type { StatusReader } from "../engine/cluster-status/read";
import {
  DEFAULT_READY_TIMEOUT_MS,
  type Phases,
  type WatchOutcome,
  watchUntilReady,
} from "../engine/cluster-status/watch";
import { nextSteps, statusDetail, timeToReady } from "./cluster-status-text";
import * as text from "./comments";
import type { Logger } from "./context";
import type { RepoGitHub } from "./github";
import type { RunJournal, RunRecord } from "./run-journal";

/** Everything a watch needs, stored with its journal record so another replica can resume it. */
export interface WatchJob {
  pullRequest: number;
  cluster: string;
  region: string;
  checkRunId: number;
  /** `clusters/<name>.yaml`, for the kubeconfig command. */
  definitionFile: string;
  expect: StatusExpectation;
  /** The apply comment as posted when Terraform finished; the watch appends to it. */
  appliedBody: string;
  applyStartedAt: number;
  appliedAt: number;
  deadline: number;
  phases: Phases;
}

export interface ReadyWatcherOptions {
  read: StatusReader;
  journal?: RunJournal;
  timeoutMs?: number;
  firstPollMs?: number;
  maxPollMs?: number;
  log?: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class ReadyWatcher {
  private readonly running = new Set<Promise<void>>();
  readonly timeoutMs: number;
  /** The reader the watch polls; `/k3s status` uses it too. */
  readonly read: StatusReader;

  constructor(private readonly options: ReadyWatcherOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.read = options.read;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** A new watch, just after an apply: its deadline is `timeoutMs` from now. */
  begin(
    github: RepoGitHub,
    installationId: number | undefined,
    job: Omit<WatchJob, "deadline" | "phases" | "appliedAt">,
  ): Promise<void> {
    const appliedAt = this.now();
    return this.start(github, installationId, {
      ...job,
      appliedAt,
      deadline: appliedAt + this.timeoutMs,
      phases: { applied: appliedAt },
    });
  }

  /** Resumes a watch another replica recorded (run-journal.ts sweep); resolves once recorded. */
  resume(github: RepoGitHub, record: RunRecord): Promise<void> {
    const job = JSON.parse(record.watch ?? "null") as WatchJob | null;
    if (!job) return Promise.resolve();
    return this.start(github, record.installationId, job);
  }

  /** Resolves when every watch of this process has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Starts the watch in the background; resolves once its journal record is written. */
  private start(
    github: RepoGitHub,
    installationId: number | undefined,
    job: WatchJob,
  ): Promise<void> {
    let recorded!: () => void;
    const onRecorded = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    const run = async () => {
      recorded();
      await this.watch(github, job);
    };
    const { journal } = this.options;
    const task = (
      journal && installationId !== undefined
        ? journal.track(
            github,
            installationId,
            {
              pullRequest: job.pullRequest,
              cluster: job.cluster,
              kind: "watch",
              checkRunId: job.checkRunId,
              watch: JSON.stringify(job),
            },
            run,
          )
        : run()
    )
      .catch((error) =>
        this.options.log?.error(`ready watch of ${job.cluster}: ${describeError(error)}`),
      )
      .finally(() => {
        this.running.delete(task);
        recorded();
      });
    this.running.add(task);
    return onRecorded;
  }

  private async watch(github: RepoGitHub, job: WatchJob): Promise<void> {
    const marker = text.marker("apply", job.cluster);
    const journal = this.options.journal;
    const outcome = await watchUntilReady({
      read: this.options.read,
      cluster: { name: job.cluster, region: job.region },
      expect: job.expect,
      state: job,
      ...(this.options.now ? { now: this.options.now } : {}),
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...(this.options.firstPollMs ? { firstPollMs: this.options.firstPollMs } : {}),
      ...(this.options.maxPollMs ? { maxPollMs: this.options.maxPollMs } : {}),
      ...(journal ? { stopped: () => journal.stopping } : {}),
      onProgress: async ({ status, assessment, phases }) => {
        job.phases = phases;
        await github.updateCheckRun(job.checkRunId, {
          title: assessment.summary,
          summary: `Applied; waiting for the cluster to be ready (until ${new Date(job.deadline).toISOString()}).\n\n${statusDetail(status, assessment, this.now())}`,
        });
      },
    });
    // Stopping: the record stays in the journal and another replica (or this one, restarted)
    // resumes the watch.
    if (!outcome) return;
    await this.conclude(github, job, marker, outcome);
  }

  private async conclude(
    github: RepoGitHub,
    job: WatchJob,
    marker: string,
    outcome: WatchOutcome,
  ): Promise<void> {
    const now = this.now();
    const ready = outcome.kind === "ready";
    const last = outcome.kind === "ready" ? outcome : outcome.last;
    const detail = last
      ? statusDetail(last.status, last.assessment, now)
      : outcome.kind === "timeout" && outcome.unreadable
        ? `The status parameter could not be read: ${outcome.unreadable}.`
        : "No server reported after the apply: none booted, or none could write its status (look at the instances' console output, or `journalctl -u k3s-bot-status` through SSM Session Manager).";
    const stuck = last?.assessment.waitingFor ?? ["a first status report"];
    const section = [
      "",
      "---",
      ready
        ? `#### Cluster ready`
        : `#### Cluster not ready after ${text.formatDuration(job.deadline - job.appliedAt)}`,
      "",
      ...(ready ? [] : [`Still waiting for: ${stuck.join("; ")}.`, ""]),
      timeToReady(outcome.phases, job.applyStartedAt, ready),
      "",
      detail,
      "",
      nextSteps(job.cluster, job.definitionFile, job.expect.addons),
    ].join("\n");
    const title = ready
      ? `Ready in ${text.formatDuration((outcome.phases.addonsConverged ?? now) - job.applyStartedAt)}`
      : `Not ready: ${stuck.slice(0, 2).join("; ")}`.slice(0, 255);
    await github.upsertComment(job.pullRequest, marker, `${job.appliedBody}\n${section}`);
    await github.finishCheckRun(job.checkRunId, ready ? "success" : "failure", {
      title,
      summary: `${last ? `${last.assessment.summary}\n\n` : ""}${detail}`,
    });
  }
}
