/**
 * Runs Terraform in one working directory. Each method is one Terraform command with the flags a
 * non-interactive run needs; every run has a timeout, and a failure carries Terraform's own
 * error text (redacted) rather than a stack trace.
 */
import { dirname } from "node:path";
import { $ } from "zx";
import { redactSecrets } from "../redact";
import { terraformChildEnv } from "./child-env";
import { type TerraformEnvironment, terraformEnvironment } from "./cli-config";
import type { TerraformProcesses } from "./processes";

/** Colour codes, in case a wrapper forces colour despite -no-color. */
const ANSI_ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The signal that ended terraform (killed, or stopped by our timeout or abort). */
  signal?: string;
}

export class TerraformError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(
      `terraform ${command} failed (exit ${result.exitCode}):\n${TerraformError.excerpt(result)}`,
    );
    this.name = "TerraformError";
  }

  /** The part of Terraform's output a person needs: the error blocks, redacted and bounded. */
  static excerpt(result: RunResult, maxChars = 4000): string {
    const output = redactSecrets(
      (result.stderr.trim() || result.stdout.trim()).replace(ANSI_ESCAPES, ""),
    );
    const text = result.signal
      ? `terraform was interrupted (${result.signal}) before it finished.${output ? `\n${output}` : ""}`
      : output;
    return text.length > maxChars
      ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`
      : text;
  }
}

export interface TerraformRunnerOptions {
  environment?: TerraformEnvironment;
  /** Extra environment (e.g. AWS credentials for this cluster). */
  env?: Record<string, string>;
  /** Per-command timeout; init and plan of the full stack take about a minute here. */
  timeoutMs?: number;
  /** Called with each chunk of Terraform output, for progress display. */
  onOutput?: (chunk: string) => void;
  signal?: AbortSignal;
  /** The engine's set of running terraform processes, which its graceful stop signals. */
  processes?: TerraformProcesses;
}

export interface PlanResult {
  /** False when Terraform reports no changes (exit code 0 of -detailed-exitcode). */
  hasChanges: boolean;
  run: RunResult;
}

/** `terraform version` per binary, asked once per process. */
const versions = new Map<string, Promise<string>>();

export class TerraformRunner {
  private readonly environment: TerraformEnvironment;

  constructor(
    readonly workDir: string,
    private readonly options: TerraformRunnerOptions = {},
  ) {
    this.environment = options.environment ?? terraformEnvironment();
  }

  async run(args: string[], allowedExitCodes: number[] = [0]): Promise<RunResult> {
    const started = Date.now();
    // Only what Terraform needs of ours (child-env.ts): never the App's key or webhook secret.
    const env: NodeJS.ProcessEnv = {
      ...terraformChildEnv(),
      ...this.environment.env,
      ...this.options.env,
    };
    const process_ = $({
      cwd: this.workDir,
      env,
      quiet: true,
      nothrow: true,
      timeout: this.options.timeoutMs ?? 30 * 60_000,
      timeoutSignal: "SIGINT",
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      // exec: the shell zx starts becomes terraform, so a signal to the child reaches terraform.
    })`exec ${this.environment.binary} ${args}`;
    const child = process_.child;
    const processes = this.options.processes;
    if (child) processes?.track(child);
    if (this.options.onOutput) {
      const onOutput = this.options.onOutput;
      process_.stdout.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
      process_.stderr.on("data", (chunk: Buffer) => onOutput(chunk.toString()));
    }
    const output = await process_.finally(() => {
      if (child) processes?.forget(child);
    });
    // A signal may still show as exit 128 + its number (e.g. from a wrapper script).
    const signal =
      output.signal ??
      (output.exitCode === null || output.exitCode > 128
        ? `signal ${output.exitCode === null ? "unknown" : output.exitCode - 128}`
        : null);
    const result: RunResult = {
      exitCode: output.exitCode ?? -1,
      stdout: output.stdout,
      stderr: output.stderr,
      durationMs: Date.now() - started,
      ...(signal ? { signal } : {}),
    };
    if (!allowedExitCodes.includes(result.exitCode)) {
      throw new TerraformError(args[0] ?? "", result);
    }
    return result;
  }

  /** Terraform's version (e.g. "1.11.4"), asked once per process and binary; "unknown" on failure. */
  terraformVersion(): Promise<string> {
    const binary = this.environment.binary;
    let version = versions.get(binary);
    if (!version) {
      // Not in the working directory: it touches nothing there, and runs beside init or plan.
      const elsewhere = new TerraformRunner(dirname(this.environment.cliConfigFile), {
        ...this.options,
        environment: this.environment,
      });
      version = elsewhere.run(["version", "-json"]).then(
        (run) =>
          String(
            (JSON.parse(run.stdout) as { terraform_version?: string }).terraform_version ??
              "unknown",
          ),
        () => {
          versions.delete(binary);
          return "unknown";
        },
      );
      versions.set(binary, version);
    }
    return version;
  }

  init(extraArgs: string[] = []): Promise<RunResult> {
    return this.run(["init", "-input=false", "-no-color", ...extraArgs]);
  }

  validate(): Promise<RunResult> {
    return this.run(["validate", "-no-color"]);
  }

  async plan(planFile: string, extraArgs: string[] = []): Promise<PlanResult> {
    const run = await this.run(
      ["plan", "-input=false", "-no-color", "-detailed-exitcode", `-out=${planFile}`, ...extraArgs],
      [0, 2],
    );
    return { hasChanges: run.exitCode === 2, run };
  }

  async showJson(planFile: string): Promise<unknown> {
    const run = await this.run(["show", "-json", "-no-color", planFile]);
    return JSON.parse(run.stdout);
  }

  async showText(planFile: string): Promise<string> {
    return (await this.run(["show", "-no-color", planFile])).stdout;
  }

  apply(planFile: string): Promise<RunResult> {
    return this.run(["apply", "-input=false", "-no-color", "-auto-approve", planFile]);
  }

  destroy(): Promise<RunResult> {
    return this.run(["destroy", "-input=false", "-no-color", "-auto-approve"]);
  }

  async outputs(): Promise<Record<string, { value: unknown; sensitive: boolean; type: unknown }>> {
    const run = await this.run(["output", "-json", "-no-color"]);
    return JSON.parse(run.stdout);
  }
}
