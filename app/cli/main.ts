/**
 * `k3s-bot`, the local front door: the same engine the GitHub App runs, from a terminal.
 * Exit codes: 0 success, 1 the work failed (invalid definition, Terraform error), 2 bad usage.
 * Results go to stdout (the same Markdown a PR would get); progress goes to stderr.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Command, CommanderError, Option } from "commander";
import type { ClusterConfig } from "../../infra/definition/config";
import { NODE_BOUNDARY_POLICY_NAME } from "../../infra/iam-boundary";
import { countResources, synthesizeCluster } from "../../infra/synth";
import packageJson from "../../package.json";
import { changedDatastores, rdsClientFor, snapshotDatastores } from "../engine/datastore-snapshot";
import { loadDefinitionFile } from "../engine/definitions/load";
import { formatProblem, formatProblems } from "../engine/definitions/problems";
import { definitionWarnings } from "../engine/definitions/warnings";
import { renderClusterFiles } from "../engine/gitops/render";
import { fetchKubeconfig, KubeconfigUnavailableError } from "../engine/kubeconfig";
import { offlineStackOptions } from "../engine/plan/offline";
import { PLAN_FILE, planCluster } from "../engine/plan/plan-cluster";
import { TerraformError, TerraformRunner } from "../engine/terraform/runner";
import { isMissingCredentials, missingCredentialsMessage } from "./aws-hints";
import { BOUNDARY_FILE, iamPolicyFiles, IAM_POLICY_FILE as POLICY_FILE } from "./iam-policy-files";
import { planOutput } from "./plan-output";
import { addRestoreCommand, type RestoreDeps } from "./restore-command";
import { clusterStatusText } from "./status";
import { addUpdatesCommand } from "./updates-command";
import {
  defaultValidateFormat,
  formatValidateProblems,
  VALIDATE_FORMATS,
  type ValidateFormat,
} from "./validate-report";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * How to run the CLI. `k3s-bot` is not published to npm and the name is not ours there: `npx
 * k3s-bot` outside the checkout would download and run whatever a stranger published under it,
 * with the caller's AWS credentials in its environment. A scoped name would not help unless we
 * owned the scope, so the command is only ever run from the checkout.
 */
const RUN_FROM_CHECKOUT = `
Run k3s-bot from its checkout: \`npm run cli -- <command>\` in the checkout, or
\`node /path/to/k3s-bot/bin/k3s-bot.mjs <command>\` from anywhere. Never \`npx k3s-bot\`
outside the checkout: the package is not published, and npx would fetch an unrelated package
of that name from the npm registry and run it with your AWS credentials.
`;

/** Thrown for a failure the user can act on: printed as is, no stack trace. */
class CliFailure extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether `out` is a terminal (output is then not cut to a PR comment's size). */
  outIsTerminal?: boolean;
}

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  outIsTerminal: process.stdout.isTTY === true,
};

function loadOrFail(file: string, io: Io): ClusterConfig {
  const loaded = loadDefinitionFile(file);
  if (!loaded.ok) {
    io.err(`${formatProblems(loaded.problems)}\n`);
    throw new CliFailure(
      `${file}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? "" : "s"}`,
    );
  }
  return loaded.config;
}

function defaultWorkDir(cluster: string): string {
  return resolve(".work", cluster);
}

/** Stand-ins for outside systems (tests). */
export interface CliDeps {
  restore?: RestoreDeps;
}

export function buildProgram(
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
  deps: CliDeps = {},
): Command {
  const program = new Command("k3s-bot")
    .description(
      "Run self-managed k3s clusters on AWS from cluster definitions (clusters/<name>.yaml).",
    )
    .version(packageJson.version, "-V, --version", "print the k3s-bot version")
    .addHelpText("after", RUN_FROM_CHECKOUT)
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command("validate")
    .description("Check cluster definitions; report every problem with file, line and field.")
    .argument("<definition...>", "cluster definition files")
    .addOption(
      new Option(
        "--format <format>",
        "text, or github: `::error file=…,line=…::` annotations on the PR (the default when GITHUB_ACTIONS=true)",
      ).choices(VALIDATE_FORMATS),
    )
    .action((files: string[], options: { format?: ValidateFormat }) => {
      const format = options.format ?? defaultValidateFormat(env);
      let invalid = 0;
      for (const file of files) {
        const loaded = loadDefinitionFile(file);
        if (loaded.ok) {
          io.out(`${file}: valid (cluster ${loaded.config.name} in ${loaded.config.region})\n`);
          const text = readFileSync(file, "utf8");
          for (const warning of definitionWarnings(text, file, loaded.config))
            io.out(`warning: ${formatProblem(warning)}\n`);
        } else {
          invalid += 1;
          io.out(formatValidateProblems(loaded.problems, format));
        }
      }
      if (invalid > 0)
        throw new CliFailure(
          `${invalid} of ${files.length} definition${files.length === 1 ? "" : "s"} invalid`,
        );
    });

  program
    .command("synth")
    .description("Write the cluster's Terraform JSON to DIR/cdk.tf.json.")
    .argument("<definition>", "cluster definition file")
    .requiredOption("--out <dir>", "output directory")
    .action((file: string, options: { out: string }) => {
      const config = loadOrFail(file, io);
      const json = synthesizeCluster(config);
      mkdirSync(options.out, { recursive: true });
      const path = join(options.out, "cdk.tf.json");
      writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
      io.err(`wrote ${path} (${countResources(json)} resources)\n`);
    });

  program
    .command("render")
    .description(
      "Write the Argo CD and Jenkins files the bot commits after an apply, under the same paths, into DIR.",
    )
    .argument("<definition>", "cluster definition file")
    .requiredOption("--out <dir>", "output directory (the repository root to write in place)")
    .option(
      "--outputs <file>",
      "the stack's outputs (`terraform output -json`); without it, values only an apply knows are placeholders",
    )
    .option(
      "--repo-url <url>",
      "the repository Argo CD reads (default: this checkout's origin, as an https URL)",
    )
    .action((file: string, options: { out: string; outputs?: string; repoUrl?: string }) => {
      const config = loadOrFail(file, io);
      const outputs = options.outputs ? readTerraformOutputs(options.outputs) : {};
      let url = options.repoUrl ?? originUrl(dirname(resolve(file)));
      if (url === null) {
        url = PLACEHOLDER_REPO_URL;
        io.err(
          `warning: no git origin to take the repository URL from; wrote ${url} (pass --repo-url)\n`,
        );
      }
      for (const rendered of renderClusterFiles(config, outputs, { url })) {
        const path = join(options.out, rendered.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, rendered.content);
        io.err(`wrote ${path}\n`);
      }
    });

  program
    .command("plan")
    .description(
      "Synthesize, terraform init and plan; print the plan as the PR comment would show it.",
    )
    .argument("<definition>", "cluster definition file")
    .option("--work-dir <dir>", "Terraform working directory (default: .work/<cluster>)")
    .option(
      "--offline",
      "plan without an AWS account: local state and placeholder credentials (shows what a first apply would create)",
    )
    .action(async (file: string, options: { workDir?: string; offline?: boolean }) => {
      const config = loadOrFail(file, io);
      const workDir = resolve(options.workDir ?? defaultWorkDir(config.name));
      io.err(`planning ${config.name} in ${workDir} …\n`);
      const context = { definitionFile: file, ...(options.offline ? { offline: true } : {}) };
      const result = await planCluster({
        config,
        workDir,
        ...(options.offline ? { stackOptions: offlineStackOptions(workDir) } : {}),
        context,
      });
      writePlanRecord(workDir, {
        definition: definitionDigest(file),
        cluster: config.name,
        offline: options.offline === true,
        plannedAt: new Date().toISOString(),
      });
      const t = result.timings;
      io.err(
        `synth ${t.synthMs} ms · init ${t.initMs} ms · plan ${t.planMs} ms · ${result.resourceCount} resources · saved plan ${result.planFile}\n`,
      );
      const fullContext = { cluster: config.name, region: config.region, ...context };
      io.out(planOutput(result, fullContext, io.outIsTerminal === true));
    });

  program
    .command("apply")
    .description(
      "Apply the plan that `plan` saved for this definition, exactly that plan (refused if the definition changed since).",
    )
    .argument("<definition>", "cluster definition file")
    .option("--work-dir <dir>", "Terraform working directory (default: .work/<cluster>)")
    .action(async (file: string, options: { workDir?: string }) => {
      const config = loadOrFail(file, io);
      const workDir = resolve(options.workDir ?? defaultWorkDir(config.name));
      const record = readPlanRecord(workDir);
      if (!record || !existsSync(join(workDir, PLAN_FILE)))
        throw new CliFailure(
          `no saved plan in ${workDir}: run \`k3s-bot plan ${file}\` first, review it, then apply`,
        );
      if (record.definition !== definitionDigest(file))
        throw new CliFailure(
          `${file} changed since it was planned (${record.plannedAt}): plan again and review the new plan before applying`,
        );
      if (record.offline)
        throw new CliFailure(
          "the saved plan was made with --offline (local state, no AWS account): it shows what would be created and cannot be applied; plan again without --offline",
        );
      if (record.appliedAt)
        throw new CliFailure(
          `the saved plan was already applied (${record.appliedAt}): plan again to see what is left to do`,
        );
      io.err(`applying the saved plan of ${config.name} (${record.plannedAt}) …\n`);
      const runner = new TerraformRunner(workDir, {
        onOutput: (chunk) => {
          for (const line of chunk.split("\n"))
            if (/(Creation|Modifications|Destruction) complete/.test(line))
              io.err(`  ${line.trim()}\n`);
        },
      });
      // A manual RDS snapshot first when the plan changes the datastore (docs/backups.md).
      const datastores = changedDatastores(await runner.showJson(PLAN_FILE));
      for (const id of datastores.length
        ? await snapshotDatastores(rdsClientFor(config), datastores)
        : [])
        io.err(`RDS snapshot ${id} taken before the apply\n`);
      const applied = await runner.apply(PLAN_FILE);
      // A plan file applies once: Terraform refuses it afterwards as stale.
      writePlanRecord(workDir, { ...record, appliedAt: new Date().toISOString() });
      io.err(`applied in ${(applied.durationMs / 1000).toFixed(1)} s\n`);
      const outputs = await runner.outputs();
      io.out(`## k3s-bot: applied \`${config.name}\`\n\n| output | value |\n|---|---|\n`);
      for (const [name, output] of Object.entries(outputs))
        io.out(
          `| \`${name}\` | ${output.sensitive ? "(sensitive)" : `\`${JSON.stringify(output.value)}\``} |\n`,
        );
    });

  program
    .command("iam-policy")
    .description(
      "Print (or write to DIR) the IAM policy the bot needs for these definitions: their state bucket, lock table and keys.",
    )
    .argument("<definition...>", "cluster definition files")
    .option(
      "--out <dir>",
      `write DIR/${POLICY_FILE} (a role's inline policy), DIR/k3s-bot-policy.part-N.json (managed policies) and DIR/${BOUNDARY_FILE} (the roles' permissions boundary) instead of printing`,
    )
    .option(
      "--boundary",
      `print the permissions boundary the operator creates once as the managed policy ${NODE_BOUNDARY_POLICY_NAME}, instead of the bot's policy`,
    )
    .action((files: string[], options: { out?: string; boundary?: boolean }) => {
      for (const file of files) loadOrFail(file, io);
      const { policy, parts, boundary } = iamPolicyFiles(files);
      if (!options.out) {
        io.out(options.boundary ? boundary : policy);
        if (!options.boundary) {
          io.err(
            `the roles the stack creates carry the permissions boundary ${NODE_BOUNDARY_POLICY_NAME}: create it once per account from \`k3s-bot iam-policy --boundary ${files.join(" ")}\`\n`,
          );
        }
        return;
      }
      mkdirSync(options.out, { recursive: true });
      const written = { [POLICY_FILE]: policy, ...parts, [BOUNDARY_FILE]: boundary };
      for (const [name, content] of Object.entries(written)) {
        const path = join(options.out, name);
        writeFileSync(path, content);
        io.err(`wrote ${path}\n`);
      }
      io.err("docs/iam/README.md in the k3s-bot checkout says why each statement is there\n");
    });

  program
    .command("kubeconfig")
    .description(
      "Print the cluster's admin kubeconfig (stored by its first server in Secrets Manager; no SSH).",
    )
    .argument("<definition>", "cluster definition file")
    .option("--out <file>", "write it to FILE (mode 0600) instead of stdout")
    .action(async (file: string, options: { out?: string }) => {
      const config = loadOrFail(file, io);
      const client = new SecretsManagerClient({ region: config.region });
      try {
        const kubeconfig = await fetchKubeconfig(config, client);
        if (options.out) {
          writeFileSync(options.out, kubeconfig, { mode: 0o600 });
          io.err(`wrote ${options.out}\n`);
        } else {
          io.out(kubeconfig.endsWith("\n") ? kubeconfig : `${kubeconfig}\n`);
        }
      } catch (error) {
        if (error instanceof KubeconfigUnavailableError) throw new CliFailure(error.message);
        if (isMissingCredentials(error))
          throw new CliFailure(
            missingCredentialsMessage(
              `read the kubeconfig of ${config.name} from Secrets Manager in ${config.region}`,
            ),
          );
        throw error;
      } finally {
        client.destroy();
      }
    });

  program
    .command("status")
    .description(
      "Show what the cluster last reported about itself (nodes, add-ons, Argo CD, Jenkins), from SSM.",
    )
    .argument("<definition>", "cluster definition file")
    .action(async (file: string) => {
      const config = loadOrFail(file, io);
      const client = new SSMClient({ region: config.region });
      try {
        const { ok, text } = await clusterStatusText(config, client);
        if (!ok) throw new CliFailure(text);
        io.out(`${text}\n`);
      } catch (error) {
        if (isMissingCredentials(error))
          throw new CliFailure(missingCredentialsMessage(`read the status of ${config.name}`));
        throw error;
      } finally {
        client.destroy();
      }
    });

  addUpdatesCommand(program, io, env, (message) => new CliFailure(message));
  addRestoreCommand(
    program,
    io,
    (file) => loadOrFail(file, io),
    (message) => new CliFailure(message),
    deps.restore,
  );
  return program;
}

/** What `plan` records next to the saved plan, so that `apply` applies only what was reviewed. */
interface PlanRecord {
  definition: string;
  cluster: string;
  offline: boolean;
  plannedAt: string;
  appliedAt?: string;
}

const PLAN_RECORD = "k3s.tfplan.record.json";

function definitionDigest(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function writePlanRecord(workDir: string, record: PlanRecord): void {
  writeFileSync(join(workDir, PLAN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

function readPlanRecord(workDir: string): PlanRecord | null {
  try {
    return JSON.parse(readFileSync(join(workDir, PLAN_RECORD), "utf8")) as PlanRecord;
  } catch {
    return null;
  }
}

/** `terraform output -json`: name → { value, type, sensitive }; sensitive values are withheld. */
function readTerraformOutputs(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliFailure(`${file}: not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new CliFailure(`${file}: expected the object printed by \`terraform output -json\``);
  const outputs: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(parsed)) {
    if (typeof entry !== "object" || entry === null || !("value" in entry))
      throw new CliFailure(
        `${file}: output ${name} has no "value" (use \`terraform output -json\`)`,
      );
    const { value, sensitive } = entry as { value: unknown; sensitive?: boolean };
    outputs[name] = sensitive ? "(sensitive)" : value;
  }
  return outputs;
}

const PLACEHOLDER_REPO_URL = "https://github.com/OWNER/REPO.git";

/** The checkout's origin as the https URL the bot uses (git@github.com:o/r.git → https://…). */
function originUrl(cwd: string): string | null {
  let raw: string;
  try {
    raw = execFileSync("git", ["remote", "get-url", "origin"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
  const ssh = /^git@([^:]+):(.+?)(\.git)?$/.exec(raw);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}.git`;
  return raw.endsWith(".git") ? raw : `${raw}.git`;
}

/** Runs the CLI and returns the exit code (never throws, never prints a stack trace). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
  deps: CliDeps = {},
): Promise<number> {
  const program = buildProgram(io, env, deps);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; a missing command, unknown option or argument is usage.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliFailure) {
      io.err(`error: ${error.message}\n`);
      return EXIT_FAILED;
    }
    if (error instanceof TerraformError) {
      io.err(`error: ${error.message}\n`);
      return EXIT_FAILED;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message}\n`);
    return EXIT_FAILED;
  }
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith("app/cli/main.ts")
) {
  // The SDK's notice that its releases after January 2027 need Node 22 is about future
  // versions (the lock file pins ones that support ours); on a terminal it hides the output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
