/**
 * The run engine's front: plan, apply and unlock one cluster for one pull request.
 * Plain inputs, plain results; no GitHub here. The bot, the Action and the CLI adapt it.
 *
 * plan:   definition → state backend ready → cluster lock → (queue) synth/init/plan/saved plan
 * apply:  cluster lock held → saved plan for this exact commit → (queue) restore/init/apply
 *
 * Per process, not per plan: the state backend check (once per bucket and table), synthesized
 * stacks (plan/synth-cache.ts), initialized working directories (plan/plan-cluster.ts).
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { ClusterConfig } from "../../infra/definition/config";
import type { AwsClients, AwsEnvironment } from "./aws-environment";
import { changedDatastores, rdsClientFor, snapshotDatastores } from "./datastore-snapshot";
import { loadDefinition } from "./definitions/load";
import type { DefinitionProblem } from "./definitions/problems";
import { definitionWarnings, warningsMarkdown } from "./definitions/warnings";
import { ClusterLocks, type ClusterRef, type LockHolder, type LockRecord } from "./locks";
import { claimState, stateRefusal } from "./ownership";
import { type Placement, withPlacement } from "./placement";
import { type GroupImage, imagesMarkdown, pinImages } from "./plan/images";
import type { PlanContext, PlanSection } from "./plan/markdown";
import { planCluster } from "./plan/plan-cluster";
import { rolloutMarkdown } from "./plan/rollout";
import type { PlanSummary } from "./plan/summary";
import { SynthCache } from "./plan/synth-cache";
import { digestMismatch, PlanDigests, planDigest } from "./plan-digest";
import { PLAN_FILES, type PlanMetadata, PlanStore, planPrefix } from "./plan-store";
import { redactSecrets } from "./redact";
import { bindingRefusal, type RepositoryBindings } from "./repository-bindings";
import { type RolloutOptions, type RolloutOutcome, rollOut } from "./rollout/instance-refresh";
import type { RunQueue } from "./run-queue";
import { ensureStateBackend } from "./state-backend";
import { TerraformProcesses } from "./terraform/processes";
import { TerraformError, TerraformRunner } from "./terraform/runner";

export interface ClusterRunsOptions {
  aws: AwsEnvironment;
  queue: RunQueue;
  /** Root of the per-cluster Terraform working directories. */
  workRoot: string;
  /** Per Terraform command. */
  timeoutMs?: number;
  /** Repository URL Argo CD should follow, given the repo's full name. */
  gitopsRepoUrl?: (repo: string) => string;
  /** What each repository may manage (the operator's K3S_BOT_REPOSITORY_BINDINGS). */
  bindings?: RepositoryBindings;
  /** Terraform's output as it comes, for progress on a terminal (the demo). */
  onTerraformOutput?: (chunk: string) => void;
  /**
   * Synthesized stacks to reuse; one per engine by default. Engines of one process may share
   * one (the tests' bot harness does): its key is everything synthesis reads.
   */
  synthCache?: SynthCache;
  /** RDS for the snapshot before an apply that changes the datastore (default: the SDK's). */
  rds?: (config: ClusterConfig) => Pick<RDSClient, "send">;
}

export interface PullRequestRef extends LockHolder {
  headSha: string;
}

export interface DefinitionSource {
  /** Path in the repository, e.g. clusters/dev.yaml. */
  file: string;
  text: string;
  /** The repository's definitions folder (bot config `definitionsPath`), for the name check. */
  definitionsDir?: string;
}

export type PlanOutcome =
  | { kind: "invalid"; problems: DefinitionProblem[] }
  /** This repository may not manage that state or role (bindings, ownership). */
  | { kind: "refused"; reason: string; config: ClusterConfig }
  | { kind: "locked"; heldBy: LockRecord; config: ClusterConfig }
  | { kind: "failed"; error: string; config: ClusterConfig }
  | {
      kind: "planned";
      config: ClusterConfig;
      summary: PlanSummary;
      /** The whole plan as Markdown, no size limit (the CLI); the bot renders its own. */
      markdown: string;
      /** What the bot renders from: the plan's text, where it ran, the sections above it. */
      planText: string;
      context: PlanContext;
      sections: PlanSection[];
      metadata: PlanMetadata;
      destroy: boolean;
    };

export type ApplyOutcome =
  | { kind: "not-locked"; heldBy: LockRecord | null }
  | { kind: "no-plan"; plannedCommits: string[] }
  | { kind: "already-applied"; metadata: PlanMetadata }
  /** Not applied, for a reason that is not Terraform's (e.g. the saved plan was changed). */
  | { kind: "refused"; reason: string }
  | {
      kind: "failed";
      error: string;
      metadata?: PlanMetadata;
      /** Terraform was killed or stopped mid-run; its saved plan was discarded (not reusable). */
      interrupted?: boolean;
    }
  | {
      kind: "applied";
      metadata: PlanMetadata;
      outputs: Record<string, unknown>;
      log: string;
      /** How long `terraform apply` took. */
      durationMs?: number;
    };

export function clusterRef(config: ClusterConfig): ClusterRef {
  return { cluster: config.name, stateBucket: config.state.bucket, stateKey: config.state.key };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class ClusterRuns {
  /**
   * State backends this process has checked, or is checking: once per backend, not per plan,
   * and concurrent plans on one backend share the one check. A failed check is forgotten.
   */
  private readonly backends = new Map<string, Promise<void>>();
  /** Synthesized stacks, so a re-plan of an unchanged definition skips synthesis. */
  readonly synthCache: SynthCache;
  /** The terraform processes this engine runs now: what `terminateTerraform` signals. */
  private readonly processes = new TerraformProcesses();

  constructor(private readonly options: ClusterRunsOptions) {
    this.synthCache = options.synthCache ?? new SynthCache();
  }

  /** The operator's repository bindings, and guardrails (repository-bindings.ts). */
  get bindings(): RepositoryBindings | undefined {
    return this.options.bindings;
  }

  /**
   * What a plan of this cluster runs against, resolved in one place for a PR's plan and a drift
   * scan alike: the node images as literal ids (pinned, or Canonical's current one:
   * plan/images.ts), so both make the same stack, and the account the cluster is managed in
   * (accountOf). A destroy pins no image: it launches nothing.
   */
  async resolveTarget(config: ClusterConfig, options: { destroy?: boolean } = {}) {
    const pinned = options.destroy
      ? { config, images: [] as GroupImage[] }
      : await pinImages(config, (name, region) => this.options.aws.imageParameter(name, region));
    return { ...pinned, accountId: await this.accountOf(config) };
  }

  /**
   * The account a cluster is managed in: its role's, else the one its definition names (which
   * the state backend checks against the bot's identity), else the bot's own identity's.
   */
  async accountOf(config: ClusterConfig): Promise<string | undefined> {
    if (config.aws.roleArn) return accountOfArn(config.aws.roleArn);
    return config.aws.accountId ?? (await this.options.aws.accountId(config.region));
  }

  private ensureBackend(config: ClusterConfig, clients: AwsClients): Promise<void> {
    const key = `${storeKey(config)}|${config.aws.accountId ?? ""}|${config.state.kmsKeyId ?? ""}`;
    let ready = this.backends.get(key);
    if (!ready) {
      ready = (async () => {
        await ensureStateBackend(
          {
            bucket: config.state.bucket,
            lockTable: config.state.lockTable,
            region: config.state.region,
            ...(config.aws.accountId ? { expectedAccountId: config.aws.accountId } : {}),
            ...(config.state.kmsKeyId ? { kmsKeyId: config.state.kmsKeyId } : {}),
          },
          clients,
        );
        await this.options.aws.afterStateBackend?.(config);
      })();
      this.backends.set(key, ready);
      ready.catch(() => {
        if (this.backends.get(key) === ready) this.backends.delete(key);
      });
    }
    return ready;
  }

  services(config: ClusterConfig) {
    const clients = this.options.aws.clients(config.state.region);
    return {
      clients,
      locks: new ClusterLocks(clients.dynamodb, config.state.lockTable),
      digests: new PlanDigests(clients.dynamodb, config.state.lockTable),
      plans: new PlanStore(clients.s3, config.state.bucket, config.state.kmsKeyId),
    };
  }

  /** What the engine was built with (drift.ts plans with the same). */
  get engineOptions(): Readonly<ClusterRunsOptions> {
    return this.options;
  }

  /** The stack's options for a repository's cluster: the same for a plan and a drift check. */
  stackOptions(repo: string, config: ClusterConfig, workDir: string, accountId?: string) {
    return {
      ...this.options.aws.stackOptions(config, workDir),
      // Names the roles' permissions boundary (infra/iam-boundary.ts) in the plan. Without it
      // the stack takes the account from the VPC's ARN, the same value once the VPC exists.
      ...(accountId ? { accountId } : {}),
      ...(this.options.gitopsRepoUrl
        ? {
            bootstrap: {
              gitops: {
                repoUrl: this.options.gitopsRepoUrl(repo),
                path: `clusters/${config.name}/argocd/apps`,
                revision: "HEAD",
              },
            },
          }
        : {}),
    };
  }

  /** Working directory of a cluster for a repository; `plan` holds the initialized backend. */
  workDirOf(repo: string, cluster: string, purpose: "plan" | `apply-${string}`): string {
    return this.workDir(repo, cluster, purpose);
  }

  workDir(repo: string, cluster: string, purpose: string): string {
    const dir = join(this.options.workRoot, repo.replace("/", "__"), cluster, purpose);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Graceful stop: SIGTERM to every terraform process this engine runs now (Terraform then stops
   * at a safe point and releases its state lock); returns how many were signalled.
   */
  terminateTerraform(): number {
    return this.processes.terminate();
  }

  private runner(workDir: string): TerraformRunner {
    return new TerraformRunner(workDir, {
      env: this.options.aws.terraformEnv(),
      processes: this.processes,
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.onTerraformOutput ? { onOutput: this.options.onTerraformOutput } : {}),
    });
  }

  /** Loads a definition; problems are returned, never thrown. */
  load(
    source: DefinitionSource,
  ): { ok: true; config: ClusterConfig } | { ok: false; problems: DefinitionProblem[] } {
    const loaded = loadDefinition(
      source.text,
      source.file,
      source.definitionsDir ? { definitionsDir: source.definitionsDir } : {},
    );
    return loaded.ok
      ? { ok: true, config: loaded.config }
      : { ok: false, problems: loaded.problems };
  }

  async plan(
    pr: PullRequestRef,
    source: DefinitionSource,
    options: {
      destroy?: boolean;
      /** The role the repository's bot config names for this cluster (see withRole). */
      roleArn?: string;
      /** The reviewed placement (default branch) to use instead of the definition's own. */
      placement?: Placement;
    } = {},
  ): Promise<PlanOutcome> {
    const loaded = this.load(source);
    if (!loaded.ok) return { kind: "invalid", problems: loaded.problems };
    const placed = options.placement
      ? withPlacement(loaded.config, options.placement)
      : loaded.config;
    const config = withRole(placed, options.roleArn);
    const protectedDatabase = options.destroy ? destroyBlockedBy(config) : null;
    if (protectedDatabase) return { kind: "failed", error: protectedDatabase, config };
    const bound = bindingRefusal(this.options.bindings, pr.repo, config);
    if (bound) return { kind: "refused", reason: bound, config };
    const { clients, locks, plans, digests } = this.services(config);
    try {
      await this.ensureBackend(config, clients);
      const owned = await claimState(
        clients.s3,
        config,
        pr.repo,
        pr.pullRequest,
        config.state.kmsKeyId,
      );
      if (owned) return { kind: "refused", reason: owned, config };
      // A lock failure is a failure (Digger #1366), reported with the holder's name.
      const lock = await locks.acquire(clusterRef(config), pr);
      if (!lock.acquired) return { kind: "locked", heldBy: lock.heldBy, config };

      const workDir = this.workDir(pr.repo, config.name, "plan");
      const images = await this.resolveTarget(config, { destroy: options.destroy ?? false });
      const { accountId } = images;
      // Plan and upload in one queued task: the next plan of this cluster cannot overwrite the
      // plan file between the two, so the saved plan is the one made for this head commit.
      return await this.options.queue.run(
        `${config.state.bucket}/${config.state.key}`,
        async () => {
          const context = {
            definitionFile: source.file,
            headSha: pr.headSha,
            ...(accountId ? { accountId } : {}),
          };
          const result = await planCluster({
            config: images.config,
            workDir,
            stackOptions: this.stackOptions(pr.repo, config, workDir, accountId),
            ...(this.options.aws.customize ? { customize: this.options.aws.customize } : {}),
            runner: {
              env: this.options.aws.terraformEnv(),
              processes: this.processes,
              ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
            },
            ...(options.destroy ? { planArgs: ["-destroy"] } : {}),
            synthCache: this.synthCache,
            context,
          });
          const metadata: PlanMetadata = {
            repo: pr.repo,
            pullRequest: pr.pullRequest,
            cluster: config.name,
            headSha: pr.headSha,
            definitionHash: sha256(source.text),
            createdAt: new Date().toISOString(),
            createdBy: pr.user,
            ...(accountId ? { accountId } : {}),
            add: result.summary.add,
            change: result.summary.change,
            destroy: result.summary.destroy,
            hasChanges: result.summary.hasChanges,
          };
          await plans.save(workDir, metadata);
          // Where only the bot writes: apply checks the restored plan against it (plan-digest.ts).
          await digests.record(clusterRef(config), pr, pr.headSha, planDigest(workDir));
          // Allowed but risky settings, said above the plan (definitions/warnings.ts).
          const warnings = warningsMarkdown(definitionWarnings(source.text, source.file, config));
          return {
            kind: "planned",
            config,
            summary: result.summary,
            markdown: `${warnings}${result.markdown}`,
            planText: result.planText,
            context: { cluster: config.name, region: config.region, ...context },
            sections: [
              { id: "warnings", markdown: warnings },
              { id: "images", markdown: imagesMarkdown(images.images) },
              ...(result.rollout
                ? [{ id: "rollout", markdown: rolloutMarkdown(result.rollout) }]
                : []),
            ].filter((section) => section.markdown !== ""),
            metadata,
            destroy: options.destroy ?? false,
          } satisfies PlanOutcome;
        },
      );
    } catch (error) {
      return { kind: "failed", error: describeError(error), config };
    }
  }

  async apply(pr: PullRequestRef, config: ClusterConfig): Promise<ApplyOutcome> {
    try {
      return await this.applyLocked(pr, config);
    } catch (error) {
      if ((error as { name?: string }).name === "ResourceNotFoundException") {
        // No lock table yet: nothing was ever planned with this state backend.
        return { kind: "not-locked", heldBy: null };
      }
      return { kind: "failed", error: describeError(error) };
    }
  }

  private async applyLocked(pr: PullRequestRef, config: ClusterConfig): Promise<ApplyOutcome> {
    const bound = bindingRefusal(this.options.bindings, pr.repo, config);
    if (bound) return { kind: "refused", reason: bound };
    const { clients, locks, plans, digests } = this.services(config);
    // Apply claims nothing (the plan did): another repository's state is refused by name, and a
    // state bucket that does not exist yet has no owner (a PR that never planned).
    const owned = await stateRefusal(clients.s3, config, pr.repo);
    if (owned) return { kind: "refused", reason: owned };
    const holder = await locks.get(clusterRef(config));
    if (!holder || holder.repo !== pr.repo || holder.pullRequest !== pr.pullRequest) {
      return { kind: "not-locked", heldBy: holder };
    }
    const key = {
      repo: pr.repo,
      pullRequest: pr.pullRequest,
      cluster: config.name,
      headSha: pr.headSha,
    };
    return this.options.queue.run(`${config.state.bucket}/${config.state.key}`, async () => {
      const stored = await plans.metadata(key);
      if (!stored)
        return {
          kind: "no-plan",
          plannedCommits: await plans.plannedCommits(pr.repo, pr.pullRequest, config.name),
        };
      if (stored.appliedAt) return { kind: "already-applied", metadata: stored };

      // A fresh directory holding only what the reviewed plan needs: nothing left over from
      // another commit's plan can slip in.
      const workDir = this.workDir(pr.repo, config.name, `apply-${pr.headSha.slice(0, 12)}`);
      rmSync(workDir, { recursive: true, force: true });
      mkdirSync(workDir, { recursive: true });
      const metadata = await plans.restore(key, workDir);
      if (!metadata)
        return {
          kind: "no-plan",
          plannedCommits: await plans.plannedCommits(pr.repo, pr.pullRequest, config.name),
        };
      const tampered = digestMismatch(
        config.name,
        config.state.bucket,
        planPrefix(key),
        await digests.expected(clusterRef(config), pr.headSha),
        planDigest(workDir),
      );
      if (tampered) {
        rmSync(workDir, { recursive: true, force: true });
        return { kind: "refused", reason: tampered };
      }
      const runner = this.runner(workDir);
      try {
        await runner.init();
        // A manual RDS snapshot first when the plan changes the datastore; none, no apply.
        const datastores = changedDatastores(await runner.showJson(PLAN_FILES.plan));
        const snapshots = datastores.length
          ? await snapshotDatastores((this.options.rds ?? rdsClientFor)(config), datastores)
          : [];
        const applied = await runner.apply(PLAN_FILES.plan);
        const outputs = Object.fromEntries(
          Object.entries(await runner.outputs()).map(([name, output]) => [
            name,
            output.sensitive ? "(sensitive)" : output.value,
          ]),
        );
        const done = { ...metadata, appliedAt: new Date().toISOString(), appliedBy: pr.user };
        await plans.markApplied(done);
        return {
          kind: "applied",
          metadata: done,
          outputs,
          log: redactSecrets(
            snapshots.map((id) => `RDS snapshot ${id} taken before the apply.\n`).join("") +
              applied.stdout,
          ),
          durationMs: applied.durationMs,
        };
      } catch (error) {
        if (error instanceof TerraformError && error.result.signal) {
          // The state may hold part of the plan, or a stale state lock: this plan is not applied
          // again blindly. The lock stays with the PR; the next plan shows what remains.
          await plans.deleteForCluster(pr.repo, pr.pullRequest, config.name).catch(() => 0);
          return { kind: "failed", error: describeError(error), metadata, interrupted: true };
        }
        return { kind: "failed", error: describeError(error), metadata };
      }
    });
  }

  /**
   * After an applied plan, outside the run queue: replaces the nodes of groups whose launch
   * template moved on, servers first (rollout/instance-refresh.ts). Null where the environment
   * cannot refresh instances.
   */
  async rollOut(
    config: ClusterConfig,
    report: RolloutOptions["report"],
  ): Promise<RolloutOutcome | null> {
    const clients = await this.options.aws.rolloutClients?.(config);
    return clients ? rollOut(config, { clients, report }) : null;
  }

  /**
   * On merge or close: releases every lock the PR holds and discards its plans, in each lock
   * table and bucket the given definitions use. Idempotent (redelivered webhooks).
   */
  async releasePullRequest(
    repo: string,
    pullRequest: number,
    configs: readonly ClusterConfig[],
  ): Promise<string[]> {
    const released: string[] = [];
    const seen = new Set<string>();
    for (const config of configs) {
      if (seen.has(storeKey(config))) continue;
      seen.add(storeKey(config));
      const { locks, plans } = this.services(config);
      released.push(...(await locks.releaseAll(repo, pullRequest, "")));
      await plans.deleteForPullRequest(repo, pullRequest);
    }
    return [...new Set(released)].sort();
  }

  /**
   * `/k3s unlock`: releases the locks this PR holds, found from the lock records themselves (in
   * each lock table the given definitions name), not from the definitions at the PR's head: a
   * definition that no longer loads, or was renamed, must not keep its cluster locked. `clusters`
   * empty: every lock the PR holds. Discards the PR's plans of each released cluster.
   */
  async unlockPullRequest(
    holder: LockHolder,
    configs: readonly ClusterConfig[],
    clusters: readonly string[],
  ): Promise<string[]> {
    const released = new Set<string>();
    const seen = new Set<string>();
    for (const config of configs) {
      if (seen.has(storeKey(config))) continue;
      seen.add(storeKey(config));
      const { locks, plans } = this.services(config);
      for (const ref of await locks.heldBy(holder.repo, holder.pullRequest)) {
        if (clusters.length > 0 && !clusters.includes(ref.cluster)) continue;
        const result = await locks.release(ref, holder);
        if (!result.released) continue;
        released.add(ref.cluster);
        await plans.deleteForCluster(holder.repo, holder.pullRequest, ref.cluster);
      }
    }
    return [...released].sort();
  }

  /** Who holds a cluster's lock, if anyone. */
  lockHolder(config: ClusterConfig) {
    return this.services(config).locks.get(clusterRef(config));
  }

  /** Releases this PR's lock on a cluster and discards its saved plans there. */
  async unlock(pr: LockHolder, config: ClusterConfig) {
    const { locks, plans } = this.services(config);
    const result = await locks.release(clusterRef(config), pr);
    if (result.released) await plans.deleteForCluster(pr.repo, pr.pullRequest, config.name);
    return result;
  }
}

/**
 * The role the repository's bot config names for a cluster. It wins over the definition's own
 * `aws.roleArn`: the config is read from the default branch, and a definition in a PR is not
 * reviewed yet (placement.ts).
 */
export function withRole(config: ClusterConfig, roleArn: string | undefined): ClusterConfig {
  if (!roleArn) return config;
  return { ...config, aws: { ...config.aws, roleArn } };
}

function accountOfArn(arn: string): string | undefined {
  return arn.split(":")[4] || undefined;
}

/** Where a definition keeps the bot's records: one lock table and plan bucket per combination. */
function storeKey(config: ClusterConfig): string {
  return `${config.state.region}|${config.state.lockTable}|${config.state.bucket}`;
}

export function describeError(error: unknown): string {
  if (error instanceof TerraformError) return TerraformError.excerpt(error.result);
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/**
 * Why a destroy of this cluster must not start, or null. A database with deletion protection
 * stops `terraform destroy` only once the teardown reaches it, after the nodes, load balancers
 * and much else are gone: a half-destroyed cluster. So the destroy is refused up front, and the
 * way out is a reviewed change.
 */
export function destroyBlockedBy(config: ClusterConfig): string | null {
  if (config.datastore.engine !== "postgres" || !config.datastore.deletionProtection) return null;
  return `the datastore of ${config.name} has deletion protection, and a destroy would tear down the rest of the cluster before failing at the database. First merge and apply a change that sets \`datastore.deletionProtection: false\` in its definition, then delete the definition.`;
}
