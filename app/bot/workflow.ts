/**
 * A pull request's life with the bot: each webhook becomes one call here.
 * parse (commands.ts) → authorize (authorize.ts) → lock/run (engine) → report (comments, checks).
 */
import { posix } from "node:path";
import type { ClusterConfig } from "../../infra/definition/config";
import { CLUSTER_NAME_PATTERN } from "../../infra/definition/schema";
import {
  type ClusterRuns,
  type DefinitionSource,
  describeError,
  type PullRequestRef,
  withRole,
} from "../engine/cluster-runs";
import { withPlacement } from "../engine/placement";
import { applyGate } from "./apply-gate";
import { canWrite } from "./authorize";
import { type Command, helpText, parseComment } from "./commands";
import * as text from "./comments";
import { type BotConfig, CONFIG_PATH, parseBotConfig } from "./config";
import { type PullRequestInfo, type RepoGitHub, TooManyFilesError } from "./github";
import { mergeApplyRefusal } from "./merge-apply";
import { atLeast } from "./permissions";
import { reviewedPlacement } from "./reviewed-placement";
import type { RunStart } from "./run-journal";

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export interface CommentEvent {
  commentId: number;
  body: string;
  user: string;
  /** "Bot" for apps, including this one: bots never trigger the bot. */
  userType: string;
  issueNumber: number;
  isPullRequest: boolean;
}

/** A cluster the command applies to, with its definition at the commit being planned. */
interface Target {
  cluster: string;
  file: string;
  /** The definition to plan: at the head, or (deleted in this PR) at the base for a destroy. */
  source: DefinitionSource | null;
  destroy: boolean;
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

const planCheck = (cluster: string) => `k3s plan · ${cluster}`;
const applyCheck = (cluster: string) => `k3s apply · ${cluster}`;

export class PullRequestWorkflow {
  constructor(
    private readonly github: RepoGitHub,
    private readonly runs: ClusterRuns,
    private readonly log: Logger,
    private readonly afterApply?: AfterApply,
    private readonly track: TrackRun = (_run, work) => work(),
  ) {}

  /** Rules come from the default branch: a PR cannot change the rules it is judged by. */
  /** The repository's config, once read for this event. */
  private botConfig?: BotConfig;
  /** Whether this event already told the PR about misnamed definition files. */
  private misnamedReported = false;

  private async config(): Promise<
    { ok: true; config: BotConfig } | { ok: false; message: string }
  > {
    const branch = await this.github.defaultBranch();
    const result = parseBotConfig(await this.github.fileAt(CONFIG_PATH, branch));
    if (result.ok) this.botConfig = result.config;
    return result;
  }

  /** Check runs started and not yet finished in this event: finished as failed if it breaks. */
  private readonly openChecks = new Set<number>();

  async onComment(event: CommentEvent): Promise<void> {
    if (!event.isPullRequest || event.userType === "Bot") return;
    const parsed = parseComment(event.body);
    if (parsed.type === "ignore") return;
    await this.guarded(
      `command on #${event.issueNumber}`,
      event.issueNumber,
      async () => {
        await this.github.react(event.commentId, "eyes");
        await this.onCommand(parsed, event);
      },
      event.commentId,
    );
  }

  private async finishCheck(
    id: number,
    conclusion: "success" | "failure",
    output: { title: string; summary: string },
  ): Promise<void> {
    await this.github.finishCheckRun(id, conclusion, output);
    this.openChecks.delete(id);
  }

  /**
   * Never a silent drop: when an event's work fails (GitHub still failing after Octokit's bounded
   * retries, AWS unreachable, a bug), it is logged, every check run it started is completed as
   * failed, and the PR gets a comment saying what broke. If GitHub refuses even those, the log
   * line says so, and the error is raised to Probot, which logs the delivery as failed.
   */
  private async guarded(
    what: string,
    issueNumber: number,
    work: () => Promise<void>,
    commentId?: number,
  ): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof TooManyFilesError) {
        // Not a failure of the bot: the PR is beyond what GitHub lists. Say so plainly.
        await this.github.comment(issueNumber, `k3s-bot cannot run on this PR: ${error.message}`);
        if (commentId !== undefined) await this.github.react(commentId, "confused");
        return;
      }
      const message = describeError(error);
      this.log.error(`${what} failed: ${message}`);
      const unreported: string[] = [];
      for (const id of [...this.openChecks]) {
        try {
          await this.github.finishCheckRun(id, "failure", {
            title: "k3s-bot stopped before it finished",
            summary: text.unexpectedFailure(message),
          });
          this.openChecks.delete(id);
        } catch (checkError) {
          unreported.push(`check run ${id}: ${describeError(checkError)}`);
        }
      }
      try {
        await this.github.comment(issueNumber, text.unexpectedFailure(message));
        if (commentId !== undefined) await this.github.react(commentId, "confused");
      } catch (commentError) {
        unreported.push(`comment: ${describeError(commentError)}`);
      }
      if (unreported.length > 0) {
        this.log.error(
          `${what}: could not report the failure on GitHub (${unreported.join("; ")})`,
        );
        throw error;
      }
    }
  }

  private async onCommand(
    parsed: Exclude<ReturnType<typeof parseComment>, { type: "ignore" }>,
    event: CommentEvent,
  ): Promise<void> {
    if (parsed.type === "error") {
      await this.github.comment(event.issueNumber, parsed.reply);
      return;
    }
    const config = await this.config();
    if (!config.ok) {
      await this.github.comment(event.issueNumber, `k3s-bot cannot run: ${config.message}`);
      await this.github.react(event.commentId, "confused");
      return;
    }
    const ok = await this.runCommand(parsed.command, event, config.config);
    await this.github.react(
      event.commentId,
      ok ? (parsed.command.kind === "apply" ? "rocket" : "+1") : "confused",
    );
  }

  private async runCommand(
    command: Command,
    event: CommentEvent,
    config: BotConfig,
  ): Promise<boolean> {
    const pr = await this.github.pullRequest(event.issueNumber);
    switch (command.kind) {
      case "help":
        await this.github.comment(pr.number, helpText());
        return true;
      case "plan":
        if (pr.fromFork && config.forkPullRequests !== "plan") {
          await this.github.comment(
            pr.number,
            "This PR comes from a fork; this repository does not plan fork PRs (`forkPullRequests: ignore`).",
          );
          return false;
        }
        {
          // A plan runs Terraform with the bot's AWS identity and takes the cluster's lock: only
          // people the repository trusts that far may ask for one (`plan.permission`).
          const permission = await this.github.permission(event.user);
          if (!atLeast(permission, config.plan.permission)) {
            await this.github.comment(
              pr.number,
              `### k3s plan · refused\n\nNothing was planned and no lock was taken: @${event.user} needs ${config.plan.permission} access to this repository to plan (has: ${permission}). Someone with it can comment \`/k3s plan\`.`,
            );
            return false;
          }
        }
        return this.plan(pr, command.clusters, event.user, config);
      case "apply":
        return this.apply(pr, command.clusters, event.user, config);
      case "unlock":
        return this.unlock(pr, command.clusters, event.user, config);
    }
  }

  /** Autoplan on opened / synchronize / reopened, when definitions changed. */
  async onPullRequestUpdated(number: number, user: string): Promise<void> {
    await this.guarded(`autoplan of #${number}`, number, () => this.autoplan(number, user));
  }

  private async autoplan(number: number, user: string): Promise<void> {
    const config = await this.config();
    if (!config.ok || !config.config.autoplan) return;
    const pr = await this.github.pullRequest(number);
    if (pr.fromFork && config.config.forkPullRequests !== "plan") return;
    const targets = await this.targets(pr, [], config.config);
    if (targets.length === 0) return;
    await this.plan(pr, [], user, config.config, targets);
  }

  /** Merged: apply what was merged (if configured), then release. Closed: release. */
  async onPullRequestClosed(number: number, merged: boolean, user: string): Promise<void> {
    await this.guarded(`closing #${number}`, number, () => this.closed(number, merged, user));
  }

  private async closed(number: number, merged: boolean, user: string): Promise<void> {
    const config = await this.config();
    const pr = await this.github.pullRequest(number);
    if (
      merged &&
      config.ok &&
      config.config.autoApplyOnMerge &&
      !pr.fromFork &&
      pr.mergeCommitSha
    ) {
      const refusal = await mergeApplyRefusal(this.github, pr, config.config);
      if (!refusal) await this.applyMerged(pr, user, config.config);
      else if (await this.changesDefinitions(pr, config.config))
        await this.github.comment(pr.number, `### k3s apply · not after this merge\n\n${refusal}`);
    }
    let released: string[];
    try {
      released = await this.releaseAll(pr, config.ok ? config.config : undefined);
    } catch (error) {
      // The locks stay with a closed PR until someone releases them: say so, and how.
      throw new Error(
        `releasing this PR's locks failed, so they are still held: ${describeError(error)}. Reopen and close the PR, or comment \`/k3s unlock <cluster>\`, to release them.`,
      );
    }
    if (released.length > 0 && !merged)
      await this.github.comment(pr.number, text.closedReleased(released));
  }

  /** Whether the PR changes any file in the definitions folder. */
  private async changesDefinitions(pr: PullRequestInfo, config: BotConfig): Promise<boolean> {
    const changed = await this.github.changedFiles(pr.number, pr.changedFileCount ?? 0);
    const inFolder = (path?: string) =>
      path !== undefined && posix.dirname(path) === config.definitionsPath;
    return changed.some((f) => inFolder(f.filename) || inFolder(f.previousFilename));
  }

  private async targets(
    pr: PullRequestInfo,
    named: readonly string[],
    config: BotConfig,
    ref = pr.headSha,
  ): Promise<Target[]> {
    const dir = config.definitionsPath;
    const fileOf = (cluster: string) => posix.join(dir, `${cluster}.yaml`);
    const changed = await this.github.changedFiles(pr.number, pr.changedFileCount ?? 0);
    const isDefinition = (path: string) => posix.dirname(path) === dir && path.endsWith(".yaml");
    const deleted = new Set<string>();
    const touched = new Set<string>();
    for (const file of changed) {
      if (isDefinition(file.filename))
        (file.status === "removed" ? deleted : touched).add(file.filename);
      if (file.previousFilename && isDefinition(file.previousFilename))
        deleted.add(file.previousFilename);
    }
    // A file name is not a cluster name until it matches the pattern: `clusters/$(id).yaml`
    // names no cluster, so nothing of it reaches a check name, a comment marker, a lock or a path.
    const changedNames = [...touched, ...deleted].map((f) => posix.basename(f, ".yaml"));
    const misnamed = [...touched, ...deleted].filter(
      (f) => !CLUSTER_NAME_PATTERN.test(posix.basename(f, ".yaml")),
    );
    if (named.length === 0 && misnamed.length > 0) {
      await this.github.comment(pr.number, text.misnamedDefinitions(misnamed, dir));
      this.misnamedReported = true;
    }
    const clusters =
      named.length > 0
        ? [...named]
        : [...new Set(changedNames.filter((name) => CLUSTER_NAME_PATTERN.test(name)))].sort();
    const targets: Target[] = [];
    for (const cluster of clusters) {
      const file = fileOf(cluster);
      const head = await this.github.fileAt(file, ref);
      if (head !== null) {
        targets.push({
          cluster,
          file,
          source: { file, text: head, definitionsDir: dir },
          destroy: false,
        });
      } else if (deleted.has(file)) {
        // The definition as it was before the PR deleted it: at the base commit, because after a
        // merge the base branch no longer has it.
        const base =
          (pr.baseSha ? await this.github.fileAt(file, pr.baseSha) : null) ??
          (await this.github.fileAt(file, pr.baseRef));
        targets.push({
          cluster,
          file,
          source: base === null ? null : { file, text: base, definitionsDir: dir },
          destroy: true,
        });
      } else {
        targets.push({ cluster, file, source: null, destroy: false });
      }
    }
    return targets;
  }

  private async plan(
    pr: PullRequestInfo,
    named: readonly string[],
    user: string,
    config: BotConfig,
    known?: Target[],
  ): Promise<boolean> {
    const targets = known ?? (await this.targets(pr, named, config));
    if (targets.length === 0) {
      if (!this.misnamedReported)
        await this.github.comment(pr.number, text.noClusters(config.definitionsPath));
      return false;
    }
    // Each plan is a Terraform run, a lock and a comment: a PR touching many definitions gets
    // them planned by name, on purpose, not all at once on every push.
    if (named.length === 0 && targets.length > config.plan.autoplanLimit) {
      await this.github.comment(
        pr.number,
        text.tooManyToPlan(
          targets.map((t) => t.cluster),
          config.plan.autoplanLimit,
        ),
      );
      return false;
    }
    const ref: PullRequestRef = {
      repo: this.github.fullName,
      pullRequest: pr.number,
      user,
      headSha: pr.headSha,
    };
    let allOk = true;
    for (const target of targets) {
      allOk = (await this.planOne(pr, ref, target)) && allOk;
    }
    return allOk;
  }

  private async planOne(
    pr: PullRequestInfo,
    ref: PullRequestRef,
    target: Target,
  ): Promise<boolean> {
    const checkId = await this.github.startCheckRun(
      planCheck(target.cluster),
      pr.headSha,
      "Planning…",
    );
    this.openChecks.add(checkId);
    if (!target.source) {
      const body = text.missingDefinition(target.cluster, target.file, pr.headSha);
      await this.github.upsertComment(pr.number, text.planMarker(target.cluster, pr.headSha), body);
      await this.finishCheck(checkId, "failure", {
        title: "No definition",
        summary: body,
      });
      return false;
    }
    this.log.info(`plan ${target.cluster} for ${ref.repo}#${ref.pullRequest} at ${ref.headSha}`);
    const roleArn = this.botConfig?.clusters[target.cluster]?.roleArn;
    const source = target.source;
    // Where the state lives and who manages it: from the default branch (reviewed-placement.ts).
    const reviewed = await this.reviewedPlacement(pr, target);
    if (!reviewed.ok) {
      const body = `### k3s plan · \`${target.cluster}\` · refused\n\nNothing was planned: ${reviewed.reason}`;
      await this.github.upsertComment(pr.number, text.marker("plan", target.cluster), body);
      await this.finishCheck(checkId, "failure", { title: "Placement refused", summary: body });
      return false;
    }
    const { placement, notice } = reviewed;
    const run = { pullRequest: pr.number, cluster: target.cluster, checkRunId: checkId };
    const outcome = await this.track({ ...run, kind: "plan" }, () =>
      this.runs.plan(ref, source, {
        destroy: target.destroy,
        ...(roleArn ? { roleArn } : {}),
        ...(placement ? { placement } : {}),
      }),
    );
    switch (outcome.kind) {
      case "invalid": {
        const body = text.invalidDefinition(target.cluster, target.file, outcome.problems);
        await this.github.upsertComment(
          pr.number,
          text.planMarker(target.cluster, pr.headSha),
          body,
        );
        await this.finishCheck(checkId, "failure", {
          title: `${outcome.problems.length} problem(s) in ${target.file}`,
          summary: body,
        });
        return false;
      }
      case "refused": {
        const body = `${notice}### k3s plan · \`${target.cluster}\` · refused\n\nNothing was planned: ${outcome.reason}`;
        await this.github.upsertComment(pr.number, text.marker("plan", target.cluster), body);
        await this.finishCheck(checkId, "failure", { title: "Refused", summary: body });
        return false;
      }
      case "locked": {
        const body = `${notice}${text.lockedBy(target.cluster, outcome.heldBy, this.github.fullName)}`;
        await this.github.upsertComment(
          pr.number,
          text.planMarker(target.cluster, pr.headSha),
          body,
        );
        await this.finishCheck(checkId, "failure", {
          title: "Locked by another PR",
          summary: body,
        });
        return false;
      }
      case "failed": {
        this.log.error(`plan ${target.cluster} failed: ${outcome.error}`);
        const body = text.planFailed(target.cluster, outcome.error);
        await this.github.upsertComment(
          pr.number,
          text.planMarker(target.cluster, pr.headSha),
          body,
        );
        await this.finishCheck(checkId, "failure", {
          title: "terraform plan failed",
          summary: body,
        });
        return false;
      }
      case "planned": {
        const body = `${notice}${outcome.markdown}\n${text.planFooter(target.cluster, outcome.destroy)}`;
        await this.github.upsertComment(
          pr.number,
          text.planMarker(target.cluster, pr.headSha),
          body,
        );
        const s = outcome.summary;
        await this.finishCheck(checkId, "success", {
          title: `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`,
          summary: body,
        });
        return true;
      }
    }
  }

  private async apply(
    pr: PullRequestInfo,
    named: readonly string[],
    user: string,
    config: BotConfig,
  ): Promise<boolean> {
    const refusals = await applyGate(this.github, pr, user, config);
    if (refusals.length > 0) {
      await this.github.comment(pr.number, text.applyRefused(refusals));
      return false;
    }
    const targets = await this.targets(pr, named, config);
    if (targets.length === 0) {
      if (!this.misnamedReported)
        await this.github.comment(pr.number, text.noClusters(config.definitionsPath));
      return false;
    }
    const ref: PullRequestRef = {
      repo: this.github.fullName,
      pullRequest: pr.number,
      user,
      headSha: pr.headSha,
    };
    let allOk = true;
    for (const target of targets) allOk = (await this.applyOne(pr, ref, target)) && allOk;
    return allOk;
  }

  private async applyOne(
    pr: PullRequestInfo,
    ref: PullRequestRef,
    target: Target,
    merged = false,
  ): Promise<boolean> {
    const post = (body: string) =>
      this.github.upsertComment(pr.number, text.marker("apply", target.cluster), body);
    if (!target.source) {
      await post(text.missingDefinition(target.cluster, target.file, pr.headSha));
      return false;
    }
    const loaded = this.runs.load(target.source);
    if (!loaded.ok) {
      await post(text.invalidDefinition(target.cluster, target.file, loaded.problems));
      return false;
    }
    const checkId = await this.github.startCheckRun(
      applyCheck(target.cluster),
      pr.headSha,
      "Applying…",
    );
    this.openChecks.add(checkId);
    this.log.info(`apply ${target.cluster} for ${ref.repo}#${ref.pullRequest} at ${ref.headSha}`);
    const run = { pullRequest: pr.number, cluster: target.cluster, checkRunId: checkId };
    const reviewed = await this.reviewedPlacement(pr, target);
    const placed =
      reviewed.ok && reviewed.placement
        ? withPlacement(loaded.config, reviewed.placement)
        : loaded.config;
    const outcome = reviewed.ok
      ? await this.track({ ...run, kind: "apply" }, () =>
          this.runs.apply(ref, withRole(placed, this.botConfig?.clusters[target.cluster]?.roleArn)),
        )
      : ({ kind: "refused", reason: reviewed.reason } as const);
    const finish = async (ok: boolean, title: string, body: string) => {
      await post(body);
      await this.finishCheck(checkId, ok ? "success" : "failure", {
        title,
        summary: body,
      });
      return ok;
    };
    switch (outcome.kind) {
      case "not-locked":
        return finish(
          false,
          "Not locked by this PR",
          text.notLocked(target.cluster, outcome.heldBy, this.github.fullName),
        );
      case "no-plan":
        return finish(
          false,
          "No plan for this commit",
          text.noPlan(target.cluster, pr.headSha, outcome.plannedCommits),
        );
      case "refused":
        return finish(false, "Apply refused", text.applyRefused([outcome.reason]));
      case "already-applied":
        return finish(
          true,
          "Already applied",
          text.alreadyApplied(target.cluster, outcome.metadata),
        );
      case "failed":
        this.log.error(
          `apply ${target.cluster} ${outcome.interrupted ? "interrupted" : "failed"}: ${outcome.error}`,
        );
        if (outcome.interrupted)
          return finish(
            false,
            "terraform apply interrupted",
            text.applyInterrupted(target.cluster, outcome.error),
          );
        return finish(
          false,
          "terraform apply failed",
          text.applyFailed(target.cluster, outcome.error),
        );
      case "applied": {
        const ok = await finish(
          true,
          "Applied",
          text.applied(target.cluster, outcome.metadata, outcome.outputs, outcome.durationMs),
        );
        if (this.afterApply) {
          // The apply stands whatever happens here; a failed hand-off is reported, not hidden.
          try {
            await this.afterApply({
              github: this.github,
              pr,
              config: loaded.config,
              outputs: outcome.outputs,
              merged,
            });
          } catch (error) {
            const message = describeError(error);
            this.log.error(`hand-off for ${target.cluster} failed: ${message}`);
            await this.github.comment(pr.number, text.handoffFailed(target.cluster, message));
          }
        }
        return ok;
      }
    }
  }

  /** After a merge: plan the merge commit and apply it at once (the merge was the approval). */
  private async applyMerged(pr: PullRequestInfo, user: string, config: BotConfig): Promise<void> {
    const sha = pr.mergeCommitSha as string;
    const merged: PullRequestInfo = { ...pr, headSha: sha };
    const targets = await this.targets(pr, [], config, sha);
    const ref: PullRequestRef = {
      repo: this.github.fullName,
      pullRequest: pr.number,
      user,
      headSha: sha,
    };
    for (const target of targets) {
      if (!target.source) {
        // Never silent: a merged definition the bot cannot read is named on the PR.
        await this.github.comment(
          pr.number,
          text.mergedDefinitionMissing(target.cluster, target.file),
        );
        continue;
      }
      const planned = await this.planOne(merged, ref, target);
      if (planned) await this.applyOne(merged, ref, target, true);
    }
  }

  private reviewedPlacement(pr: PullRequestInfo, target: Target) {
    const roleArn = this.botConfig?.clusters[target.cluster]?.roleArn;
    return reviewedPlacement({
      github: this.github,
      runs: this.runs,
      cluster: target.cluster,
      file: target.file,
      definitionsPath: this.botConfig?.definitionsPath ?? "clusters",
      proposed: target.source?.text ?? null,
      fromFork: pr.fromFork,
      ...(roleArn ? { configRoleArn: roleArn } : {}),
    });
  }

  private async unlock(
    pr: PullRequestInfo,
    named: readonly string[],
    user: string,
    config: BotConfig,
  ): Promise<boolean> {
    if (!canWrite(await this.github.permission(user))) {
      await this.github.comment(
        pr.number,
        text.applyRefused([`@${user} needs write access to this repository to unlock`]),
      );
      return false;
    }
    const configs = await this.repositoryDefinitions(pr, config);
    if (configs.length === 0) {
      await this.github.comment(pr.number, text.unlockNowhere(config.definitionsPath));
      return false;
    }
    const released = await this.runs.unlockPullRequest(
      { repo: this.github.fullName, pullRequest: pr.number, user },
      configs,
      named,
    );
    // A named cluster this PR holds no lock on: say who does, when its definition tells where.
    const refused: Array<{ cluster: string; holder: string }> = [];
    for (const cluster of named.filter((c) => !released.includes(c))) {
      const known = configs.find((c) => c.name === cluster);
      const holder = known ? await this.runs.lockHolder(known) : null;
      refused.push({
        cluster,
        holder: holder ? `${holder.repo}#${holder.pullRequest}` : "nobody",
      });
    }
    await this.github.comment(pr.number, text.unlocked(released, refused));
    return refused.length === 0;
  }

  /**
   * Releases every lock the PR holds and discards its plans, in every lock table the repository's
   * definitions name (at head and base): this also finds clusters planned by name.
   */
  private async releaseAll(pr: PullRequestInfo, config?: BotConfig): Promise<string[]> {
    const configs = await this.repositoryDefinitions(pr, config);
    return this.runs.releasePullRequest(this.github.fullName, pr.number, configs);
  }

  /** The definitions that load at the PR's head and base: they name the lock tables to search. */
  private async repositoryDefinitions(
    pr: PullRequestInfo,
    config?: BotConfig,
  ): Promise<ClusterConfig[]> {
    const dir = config?.definitionsPath ?? "clusters";
    const configs: ClusterConfig[] = [];
    for (const ref of new Set([pr.headSha, pr.baseSha ?? pr.baseRef, pr.baseRef])) {
      for (const file of await this.github.listFiles(dir, ref)) {
        if (!file.endsWith(".yaml")) continue;
        const source = await this.github.fileAt(file, ref);
        const loaded =
          source === null ? null : this.runs.load({ file, text: source, definitionsDir: dir });
        if (loaded?.ok) configs.push(loaded.config);
      }
    }
    return configs;
  }
}
