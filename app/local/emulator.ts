// The local AWS emulator (moto server) for the end-to-end tests and `npm run demo`.
// Production code never imports this module: the emulator settings below reach Terraform and
// the AWS SDK only through the overrides that tests and the demo pass in.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The project's own moto, installed by `scripts/setup-moto.sh` from requirements-emulator.txt. */
export const PROJECT_MOTO_SERVER = fileURLToPath(
  new URL("../../.venv-moto/bin/moto_server", import.meta.url),
);

/** The one command that installs the pinned emulator (run from the repository root). */
export const MOTO_INSTALL_COMMAND = "scripts/setup-moto.sh";

/** What moto answers when asked who we are, whatever dummy credentials we send. */
export const EMULATOR_ACCOUNT_ID = "123456789012";

const DUMMY_ACCESS_KEY = "emulator-access-key";
const DUMMY_SECRET_KEY = "emulator-secret-key";
const DEFAULT_REGION = "eu-central-1";
const HOST = "127.0.0.1";

export interface EmulatorOptions {
  /** Path to `moto_server`; default: the project's virtualenv (see PROJECT_MOTO_SERVER). */
  motoServer?: string;
  /** The region SDK clients and Terraform use by default; moto itself serves every region. */
  region?: string;
  /** How long to wait for the server to answer before giving up; default 30 s. */
  startTimeoutMs?: number;
  /**
   * Load the AWS-managed IAM policies (default true: the stack attaches some). Loading them
   * costs about a second after every start and reset, so tests that use no IAM turn it off.
   */
  loadManagedIamPolicies?: boolean;
  /** Receives moto's log lines (one request per line); default: kept only for error messages. */
  onLog?: (line: string) => void;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:40123 — one endpoint for every AWS service. */
  url: string;
  port: number;
  region: string;
  /** Leads the process group of moto and its watchdog; stop() ends the whole group. */
  processGroup: number;
  /** Stops the server and everything it started; safe to call twice. */
  stop(): Promise<void>;
  /** Forgets every resource in every account and region (POST /moto-api/reset). */
  reset(): Promise<void>;
}

/** moto is not installed where we look for it; the message says how to install it. */
export class EmulatorNotInstalledError extends Error {
  override name = "EmulatorNotInstalledError";
}

/** Thrown when moto is installed but does not start or does not answer in time. */
export class EmulatorStartError extends Error {
  override name = "EmulatorStartError";
}

/**
 * Returns the moto_server to run, or throws EmulatorNotInstalledError. Deliberately no fallback
 * to whatever `moto_server` is on PATH: the known gaps in docs/emulator.md hold for the pinned version.
 */
export function findMotoServer(motoServer: string = PROJECT_MOTO_SERVER): string {
  if (existsSync(motoServer)) return motoServer;
  throw new EmulatorNotInstalledError(
    `The AWS emulator (moto server) is not installed: ${motoServer} does not exist.\n` +
      `Install the pinned version from the repository root with:\n\n    ${MOTO_INSTALL_COMMAND}\n\n` +
      "(it creates .venv-moto/ with python3 -m venv and installs requirements-emulator.txt from PyPI).",
  );
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const motoServer = findMotoServer(options.motoServer);
  const region = options.region ?? DEFAULT_REGION;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  // A free port can be taken by someone else between our probe and moto's bind: try again then.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const server = launch(motoServer, port, options.loadManagedIamPolicies ?? true, options.onLog);
    try {
      await waitUntilAnswering(server, port, deadline);
    } catch (error) {
      await server.stop();
      if (server.exitedEarly() && attempt < 3 && Date.now() < deadline) continue;
      throw error;
    }
    const url = `http://${HOST}:${port}`;
    return {
      url,
      port,
      region,
      processGroup: server.child.pid ?? 0,
      stop: server.stop,
      reset: async () => {
        const response = await fetch(`${url}/moto-api/reset`, { method: "POST" });
        if (!response.ok) throw new Error(`emulator reset failed: HTTP ${response.status}`);
      },
    };
  }
}

/**
 * Settings for the Terraform AWS provider that point every service the stack uses at the
 * emulator: `StackOptions.providerOverrides` in infra/stack.ts. Terraform JSON attribute names;
 * `endpoints` is a nested block, written as cdktf synthesizes blocks (a list of one). No region:
 * that stays the cluster's own (moto serves every region).
 */
export function emulatorProviderSettings(url: string) {
  return {
    access_key: DUMMY_ACCESS_KEY,
    secret_key: DUMMY_SECRET_KEY,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: "true", // a string in provider 5.x's schema
    s3_use_path_style: true,
    endpoints: [
      {
        autoscaling: url,
        cloudwatchlogs: url, // the VPC flow-log group
        dynamodb: url,
        ec2: url,
        efs: url,
        elbv2: url,
        iam: url,
        kms: url,
        rds: url,
        s3: url,
        secretsmanager: url,
        ssm: url,
        sts: url,
      },
    ],
  };
}

/**
 * Settings for Terraform's S3 backend against the emulator, to merge into `terraform.backend.s3`
 * next to bucket, key, region and use_lockfile: `{ kind: "s3", overrides }` in
 * infra/state-backend.ts. Terraform JSON attribute names; `endpoints` is
 * an attribute (an object) in the backend, unlike the provider's block.
 */
export function emulatorBackendSettings(url: string) {
  return {
    endpoints: { s3: url, dynamodb: url, sts: url, iam: url },
    use_path_style: true,
    access_key: DUMMY_ACCESS_KEY,
    secret_key: DUMMY_SECRET_KEY,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  };
}

/** Configuration for any AWS SDK v3 client (`new S3Client(emulatorAwsClientConfig(url))`). */
export function emulatorAwsClientConfig(url: string, region: string = DEFAULT_REGION) {
  return {
    endpoint: url,
    region,
    credentials: { accessKeyId: DUMMY_ACCESS_KEY, secretAccessKey: DUMMY_SECRET_KEY },
    // Only S3 reads this; other clients ignore it. Virtual-host style would need DNS for
    // <bucket>.127.0.0.1.
    forcePathStyle: true,
  };
}

// ---------------------------------------------------------------------------------------------

interface RunningServer {
  child: ChildProcess;
  stop(): Promise<void>;
  hasExited(): boolean;
  exitedEarly(): boolean;
  recentLog(): string;
}

// Every server this process started and has not stopped yet, for the exit and signal handlers.
const running = new Set<ChildProcess>();

/**
 * moto runs under a small sh wrapper that is its watchdog. The parent holds the wrapper's stdin
 * open; when it closes, because stop() closed it or because the parent died (even by SIGKILL),
 * `cat` returns and the watchdog kills moto. The wrapper then reaps moto and the watchdog
 * itself before exiting: orphans would be reaped by PID 1, which here takes over a second.
 * Asynchronous lists read /dev/null unless redirected, hence the copy of stdin to fd 3.
 */
const WATCHDOG_SCRIPT = `
exec 3<&0
"$@" </dev/null &
moto=$!
{ cat <&3 >/dev/null; kill -KILL "$moto" 2>/dev/null; } &
watchdog=$!
wait "$moto"
status=$?
kill "$watchdog" 2>/dev/null
wait
exit "$status"
`;

function launch(
  motoServer: string,
  port: number,
  loadManagedIamPolicies: boolean,
  onLog?: (line: string) => void,
): RunningServer {
  const child = spawn(
    "/bin/sh",
    ["-c", WATCHDOG_SCRIPT, "moto-watchdog", motoServer, "-H", HOST, "-p", String(port)],
    {
      // Its own process group, so stop() reaches moto and the watchdog in one kill.
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        // Without it, attaching an AWS-managed policy (AmazonSSMManagedInstanceCore) is a 404.
        MOTO_IAM_LOAD_MANAGED_POLICIES: String(loadManagedIamPolicies),
        PYTHONUNBUFFERED: "1",
      },
    },
  );
  running.add(child);
  installCleanupHandlers();

  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line === "") continue;
      onLog?.(line);
      log.push(line);
      if (log.length > 50) log.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  let exited = false;
  let stopping = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });

  const stop = async () => {
    stopping = true;
    if (running.has(child)) {
      // Closing stdin makes the watchdog kill moto (SIGKILL: moto keeps everything in memory,
      // so there is nothing to shut down gracefully, and on SIGTERM it lingers for about 2 s).
      child.stdin?.end();
      const stopped = await Promise.race([
        exit.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000).unref()),
      ]);
      if (!stopped) killGroup(child, "SIGKILL");
      await exit;
      running.delete(child);
    }
    // Whatever is left of the group (a watchdog `cat` when moto had exited on its own).
    killGroup(child, "SIGKILL");
  };

  return {
    child,
    stop,
    hasExited: () => exited,
    exitedEarly: () => exited && !stopping,
    recentLog: () => log.join("\n"),
  };
}

async function waitUntilAnswering(
  server: RunningServer,
  port: number,
  deadline: number,
): Promise<void> {
  const url = `http://${HOST}:${port}/moto-api/`;
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      throw new EmulatorStartError(
        `moto_server exited before answering on port ${port}:\n${server.recentLog()}`,
      );
    }
    try {
      // Any HTTP answer means the server is up; the status does not matter.
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new EmulatorStartError(
    `moto_server did not answer on port ${port} in time:\n${server.recentLog()}`,
  );
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

let cleanupHandlersInstalled = false;

/**
 * No emulator outlives us: on exit (synchronously) and on SIGINT/SIGTERM. After cleaning up on a
 * signal, the signal is raised again when nobody else listens for it, so that adding our
 * listener does not swallow Ctrl-C.
 */
function installCleanupHandlers(): void {
  if (cleanupHandlersInstalled) return;
  cleanupHandlersInstalled = true;
  const killAll = () => {
    for (const child of running) killGroup(child, "SIGKILL");
    running.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
