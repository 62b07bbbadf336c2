/**
 * Which test files need more than Node: Terraform (with the AWS provider), the AWS emulator
 * (moto, `scripts/setup-moto.sh`), shellcheck (the same venv), checkov or the network, or that
 * simply take a minute or more. Every other test file is in the fast set (`npm run test:fast`,
 * vitest.fast.config.ts), which blocks those tools, so a file that needs one and is missing here
 * fails there; test/docs/test-tiers.test.ts checks that every entry names an existing file and
 * says why, and that no unlisted file visibly starts one of those tools.
 */
/** "time": needs no tool, but takes a minute or more on 2 shared cores. */
export type Need = "terraform" | "emulator" | "shellcheck" | "checkov" | "network" | "time";

export interface SlowTestFile {
  needs: readonly Need[];
  why: string;
  /**
   * About how long the file takes in a full run on 2 cores (fresh-clone CI of 2026-11-29), for
   * files of half a minute or more. vitest.config.ts starts the longest first, so that none of
   * them starts last and leaves one core idle while it runs alone (on a fresh clone vitest has
   * no durations of its own and would order by file size). Only the order depends on it.
   */
  seconds?: number;
  /**
   * The file spends most of its wall time idle, in the AWS provider's waiters while it applies a
   * stack to the emulator (test/emulator/cluster-dev.test.ts: 349 s of wall time, 100 s of CPU).
   * vitest.config.ts never starts more of these together than leave a worker for files that use
   * the CPU: four of them at once left both cores 81-90% idle for 40 s (vmstat, 2026-11-29).
   */
  waits?: true;
}

export const SLOW_TEST_FILES: Record<string, SlowTestFile> = {
  "test/app/ready-watch.test.ts": {
    needs: ["emulator"],
    why: "the ready watch after apply, reading a fake reporter's states from the emulator's SSM",
    seconds: 37,
  },
  "test/aws/job-lease.test.ts": {
    needs: ["emulator"],
    why: "the scheduled jobs' leader lease and the App's schedule of two replicas: conditional writes on DynamoDB in the emulator",
  },
  "test/security/guardrails.test.ts": {
    needs: ["emulator"],
    why: "guardrails through the real app: plans and applies with fake terraform, locks in the emulator",
  },
  "test/app/commands.test.ts": {
    needs: ["emulator"],
    why: "the bot's replies that need no Terraform run, with locks and the state backend in the emulator",
  },
  "test/app/http-server.test.ts": {
    needs: ["emulator"],
    why: "the HTTP server with signed webhooks, its AWS (delivery log) in the emulator",
  },
  "test/app/plan-feedback.test.ts": {
    needs: ["emulator"],
    why: "the first feedback on /k3s plan before the (fake) terraform plan, locks in the emulator",
  },
  "test/app/plan-apply.test.ts": {
    needs: ["terraform", "emulator"],
    why: "a PR's whole life, then the drift scan of the cluster it applied: real terraform plan and apply of a small stack against the emulator",
    seconds: 441,
    waits: true,
  },
  "test/app/start.test.ts": {
    needs: ["terraform"],
    why: "starts the server as a child process, whose start-up check runs `terraform version`",
  },
  "test/aws/datastore-snapshot.test.ts": {
    needs: ["emulator"],
    why: "the RDS snapshot before an apply, against the emulator's RDS, with fake terraform",
  },
  "test/aws/locks.test.ts": {
    needs: ["emulator"],
    why: "cluster locks with conditional writes on DynamoDB in the emulator",
  },
  "test/aws/plan-store.test.ts": {
    needs: ["emulator"],
    why: "saved plans in S3 in the emulator",
  },
  "test/aws/etcd-restore-discovery.test.ts": {
    needs: ["emulator"],
    why: "k3s-bot restore's discovery of the control-plane group, the snapshot check and the held processes, in the emulator",
  },
  "test/bootstrap/cluster-formation.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap scripts in bash with every system command stubbed by a Node process: about a minute or more per file on 2 shared cores, so outside the fast set",
  },
  "test/bootstrap/datastore.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap scripts in bash with every system command stubbed by a Node process: about a minute or more per file on 2 shared cores, so outside the fast set",
  },
  "test/stack/datastore-restore.test.ts": {
    needs: ["terraform"],
    why: "plans datastore.restoreFromSnapshot against an existing RDS instance with Terraform and the AWS provider 5.100.0",
  },
  "test/bootstrap/etcd-restore.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap and the restore steps in bash with every system command stubbed by a Node process: about a minute or more on 2 shared cores, so outside the fast set",
  },
  "test/bootstrap/drain-on-terminate.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap scripts in bash with every system command stubbed by a Node process: about a minute or more per file on 2 shared cores, so outside the fast set",
  },
  "test/bootstrap/server-bootstrap.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap scripts in bash with every system command stubbed by a Node process: about a minute or more per file on 2 shared cores, so outside the fast set",
  },
  "test/bootstrap/worker-bootstrap.test.ts": {
    needs: ["time"],
    why: "runs the bootstrap scripts in bash with every system command stubbed by a Node process: about a minute or more per file on 2 shared cores, so outside the fast set",
  },
  "test/bootstrap/shellcheck.test.ts": {
    needs: ["shellcheck"],
    why: "runs the pinned shellcheck of .venv-moto on every bootstrap script and the user data",
  },
  "test/cli/cli.test.ts": {
    needs: ["terraform", "emulator"],
    why: "the CLI as a child process: plan runs terraform init and plan, the state backend is in the emulator",
  },
  "test/emulator/cluster-dev.test.ts": {
    needs: ["terraform", "emulator"],
    why: "applies, re-plans and destroys the whole dev stack in the emulator (several minutes)",
    seconds: 349,
    waits: true,
  },
  "test/emulator/cluster-ha.test.ts": {
    needs: ["terraform", "emulator"],
    why: "applies, re-plans and destroys the whole ha stack in the emulator (several minutes)",
    seconds: 473,
    waits: true,
  },
  "test/emulator/harness.test.ts": {
    needs: ["emulator"],
    why: "starts, resets and stops the emulator itself",
  },
  "test/emulator/moved-addresses.test.ts": {
    needs: ["terraform", "emulator"],
    why: "applies a small stack as synthesized before the rename to readable addresses, then plans today's against it (several minutes on 2 shared cores)",
    seconds: 144,
    waits: true,
  },
  "test/emulator/state-backend.test.ts": {
    needs: ["emulator"],
    why: "creates and checks the state bucket and lock table in the emulator",
  },
  "test/emulator/terraform-s3-backend.test.ts": {
    needs: ["terraform", "emulator"],
    why: "terraform init with the S3 backend and use_lockfile against the emulator",
  },
  "test/engine/plan-reuse.test.ts": {
    needs: ["terraform"],
    why: "re-plans in an initialized working directory with real terraform",
    seconds: 57,
  },
  "test/engine/plan-text.test.ts": {
    needs: ["terraform"],
    why: "reads the summary and text from real `terraform plan` output",
  },
  "test/security/bot-boundaries.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/concurrency.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/deliveries.test.ts": {
    needs: ["emulator"],
    why: "two bot replicas sharing one delivery log in DynamoDB in the emulator",
  },
  "test/security/exposure-warnings.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/faults.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
    seconds: 70,
  },
  "test/security/injection.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/placement.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/plan-integrity.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/repository-bindings.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/restart.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/security/review-gates.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
    seconds: 67,
  },
  "test/security/terraform-env.test.ts": {
    needs: ["emulator"],
    why: "the real app against DynamoDB and S3 in the emulator (locks, saved plans, delivery records); Terraform is faked by test/support/fake-terraform-bin.mjs",
  },
  "test/stack/terraform-plan.test.ts": {
    needs: ["terraform"],
    why: "terraform validate and plan of both examples with the AWS provider",
  },
  "test/unit/preflight.test.ts": {
    needs: ["terraform"],
    why: "one test runs the real probe, `terraform version` of this machine",
  },
};

/**
 * Files that need no tool but must still run in a process of their own: they replace a module
 * other files import (`vi.mock`), and vitest's shared workers (vitest.config.ts) keep modules
 * loaded from one file to the next. test/docs/test-tiers.test.ts checks that every file of the
 * fast set that mocks a module is listed here.
 */
export const OWN_PROCESS_FILES: Record<string, string> = {
  "test/stack/addon-registry.test.ts":
    "mocks infra/addons/index with a test-only add-on, which the schema and docs then carry",
};
