/**
 * A fake AWS world for running the real bootstrap scripts: a temp dir per test with stub
 * commands on PATH (test/bootstrap/stubs/stub.mjs), a fake IMDS per node, a fake Secrets
 * Manager shared by all nodes, and a K3S_BOT_ROOT per node so nothing touches the real /etc.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Lazy, Token } from "cdktf";
import { afterEach, beforeEach } from "vitest";
import { interpolateLikeTerraform } from "../../infra/bootstrap/terraform-escape";
import type { BootstrapParams, NodeRole } from "../../infra/bootstrap/user-data";
import { renderUserData } from "../../infra/bootstrap/user-data";
import { forwarding } from "../support/proxies";

const STUB = fileURLToPath(new URL("./stubs/stub.mjs", import.meta.url));
const STUBBED = ["curl", "aws", "kubectl", "snap", "systemctl", "k3s", "k3s-install"];

export const DB_PASSWORD = "p@ss:w/rd?#%&=+ üñí";
export const RDS_CA_BUNDLE_URL =
  "https://truststore.pki.rds.amazonaws.com/eu-central-1/eu-central-1-bundle.pem";
export const API_DNS = "prod-api-0123456789.elb.eu-central-1.amazonaws.com";
export const ARN = {
  join: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod-join-token-AbCdEf",
  agent: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod-agent-token-AbCdEf",
  kubeconfig: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod-kubeconfig-AbCdEf",
  db: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-1234-AbCdEf",
};

/** Terraform tokens as the stack passes them, and what Terraform later puts in their place. */
const tokenValues = new Map<string, string>();
function tfToken(value: string): string {
  const token = Token.asString(Lazy.stringValue({ produce: () => value }));
  tokenValues.set(token, value);
  return token;
}

/** The ha example (examples/clusters/ha.yaml) as the stack would pass it, tokens included. */
export function haParams(overrides: Partial<BootstrapParams> = {}): BootstrapParams {
  return {
    clusterName: "prod",
    region: "eu-central-1",
    k3sVersion: "v1.33.5+k3s1",
    apiEndpoint: tfToken(API_DNS),
    joinTokenSecretArn: tfToken(ARN.join),
    agentTokenSecretArn: tfToken(ARN.agent),
    kubeconfigSecretArn: tfToken(ARN.kubeconfig),
    statusParameterName: "/k3s-bot/prod/status",
    clusterCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    datastore: {
      engine: "postgres",
      address: tfToken("prod-k3s.abcdefghij.eu-central-1.rds.amazonaws.com"),
      port: "5432",
      dbName: "k3s",
      masterSecretArn: tfToken(ARN.db),
      caBundleUrl: RDS_CA_BUNDLE_URL,
    },
    efsFileSystemId: tfToken("fs-0123456789abcdef0"),
    addons: { ingress: "nginx", jenkins: true, argocd: true },
    controlPlaneGroupName: "prod-control-plane",
    workers: {
      autoScalingGroupName: "prod-workers",
      scaling: "clusterAutoscaler",
      lifecycleHookName: "prod-workers-drain",
      drainTimeoutSeconds: 300,
    },
    gitops: {
      repoUrl: "https://github.com/acme/clusters.git",
      path: "clusters/prod/argocd",
      revision: "main",
    },
    ...overrides,
  };
}

/** What the stack passes with embedded etcd: the snapshot bucket and schedule. */
export const SNAPSHOT_BUCKET = "k3s-bot-etcd-prod-20261129060000000000000001";
export function etcdParams(overrides: Partial<BootstrapParams> = {}): BootstrapParams {
  return haParams({
    datastore: {
      engine: "etcd",
      snapshots: {
        bucket: tfToken(SNAPSHOT_BUCKET),
        folder: "etcd-snapshots",
        region: "eu-central-1",
        endpoint: "s3.eu-central-1.amazonaws.com",
        scheduleCron: "0 * * * *",
        retention: 24,
      },
    },
    ...overrides,
  });
}

/** The user data an instance receives: rendered, then interpolated the way Terraform does. */
export function deliveredUserData(role: NodeRole, params: BootstrapParams): string {
  return interpolateLikeTerraform(renderUserData(role, params), (token) => {
    const value = tokenValues.get(token);
    if (value === undefined) throw new Error(`unknown token ${token}`);
    return value;
  });
}

export interface Call {
  cmd: string;
  argv: string[];
  env: Record<string, string>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
}

export interface FakeNode {
  name: string;
  root: string;
  log: string;
  instanceId: string;
  az: string;
  hostname: string;
}

export class FakeWorld {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "k3s-bot-bootstrap-"));
  readonly bin = path.join(this.dir, "bin");
  readonly aws = path.join(this.dir, "aws");
  readonly apiState = path.join(this.dir, "api-state");
  private nodeCount = 0;

  constructor() {
    fs.mkdirSync(this.bin);
    fs.mkdirSync(this.aws);
    for (const cmd of STUBBED) {
      const file = path.join(this.bin, cmd);
      fs.writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${STUB}" ${cmd} "$@"\n`);
      fs.chmodSync(file, 0o755);
    }
    this.setApi(0);
  }

  /** An image without the AWS CLI (Ubuntu's): the bootstrap must install it. */
  withoutAwsCli(): void {
    fs.rmSync(path.join(this.bin, "aws"));
  }

  /** How many /ping calls fail before the API answers, or "down" for all. */
  setApi(failures: number | "down"): void {
    fs.writeFileSync(this.apiState, String(failures));
  }

  /** Where the stubbed `aws` keeps a secret (stubs/stub.mjs names it the same way). */
  private secretDir(arn: string): string {
    return path.join(this.aws, arn.replaceAll(/[^A-Za-z0-9-]/g, "_"));
  }

  /** A secret that exists, with a value or (like the join token secret the stack creates) none. */
  createSecret(arn: string, value?: string): void {
    const dir = this.secretDir(arn);
    fs.mkdirSync(path.join(dir, "versions"), { recursive: true });
    if (value !== undefined) {
      fs.writeFileSync(path.join(dir, "versions", "v1"), value);
      fs.writeFileSync(path.join(dir, "AWSCURRENT"), "v1");
    }
  }
  /** A secret that does not exist (deleted, or never created by the stack). */
  deleteSecret(arn: string): void {
    fs.rmSync(this.secretDir(arn), { recursive: true });
  }

  /**
   * The live instances of the control-plane group, oldest first (what EC2 lists as pending or
   * running): a file the ec2 stub answers from, so a test can let one die by rewriting it.
   */
  controlPlane(nodes: FakeNode[]): string {
    const file = path.join(this.dir, "control-plane-instances");
    fs.writeFileSync(
      file,
      nodes.map((node, index) => `2026-11-29T06:0${index}:00+00:00 ${node.instanceId}\n`).join(""),
    );
    return file;
  }

  /** The etcd snapshot bucket's objects, "last-modified key" each: a file the s3api stub reads. */
  snapshots(objects: [lastModified: string, key: string][]): string {
    const file = path.join(this.dir, "snapshot-objects");
    fs.writeFileSync(file, objects.map(([time, key]) => `${time} ${key}\n`).join(""));
    return file;
  }

  /** A new AWSCURRENT version of a secret, as an RDS-managed rotation leaves it. */
  rotateSecret(arn: string, value: string): void {
    const dir = this.secretDir(arn);
    const version = `v${fs.readdirSync(path.join(dir, "versions")).length + 1}`;
    fs.writeFileSync(path.join(dir, "versions", version), value);
    fs.writeFileSync(path.join(dir, "AWSCURRENT"), version);
  }

  /** Every k3s start on a node (by the installer or systemd), with the config it read. */
  k3sStarts(node: FakeNode): { started: boolean; config?: string }[] {
    const file = path.join(this.dir, node.name, "k3s-starts.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { started: boolean; config?: string });
  }

  secretVersions(arn: string): Record<string, string> {
    const dir = path.join(this.secretDir(arn), "versions");
    return Object.fromEntries(
      fs.readdirSync(dir).map((v) => [v, fs.readFileSync(path.join(dir, v), "utf8")]),
    );
  }

  secretCurrent(arn: string): string {
    const dir = this.secretDir(arn);
    const version = fs.readFileSync(path.join(dir, "AWSCURRENT"), "utf8");
    return fs.readFileSync(path.join(dir, "versions", version), "utf8");
  }

  node(): FakeNode {
    const n = ++this.nodeCount;
    const name = `node${n}`;
    const root = path.join(this.dir, name, "root");
    fs.mkdirSync(root, { recursive: true });
    const node: FakeNode = {
      name,
      root,
      log: path.join(this.dir, name, "calls.jsonl"),
      instanceId: `i-0${n}aaaabbbbcccc${n}`,
      az: `eu-central-1${"abc"[(n - 1) % 3]}`,
      hostname: `ip-10-30-${n}-10.eu-central-1.compute.internal`,
    };
    fs.writeFileSync(
      path.join(this.dir, name, "imds.json"),
      JSON.stringify({
        "instance-id": node.instanceId,
        "placement/availability-zone": node.az,
        "local-hostname": node.hostname,
      }),
    );
    fs.writeFileSync(node.log, "");
    return node;
  }

  /** Runs a text with bash as cloud-init would, on a node of this world. */
  run(node: FakeNode, script: string, env: Record<string, string> = {}): Promise<RunResult> {
    const file = path.join(this.dir, node.name, "user-data.sh");
    fs.writeFileSync(file, script);
    return this.exec(node, ["bash", file], env);
  }

  exec(node: FakeNode, command: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const [exe, ...args] = command as [string, ...string[]];
    const child = spawn(exe, args, {
      env: {
        // cloud-init's PATH, not the developer's: only what an instance has, plus the stubs.
        PATH: `${this.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: this.dir,
        TMPDIR: path.join(this.dir, node.name),
        K3S_BOT_ROOT: node.root,
        K3S_BOT_WAIT_SECONDS: "0",
        K3S_BOT_WAIT_ATTEMPTS: "5",
        STUB_LOG: node.log,
        STUB_IMDS: path.join(this.dir, node.name, "imds.json"),
        STUB_AWS: this.aws,
        STUB_API_STATE: this.apiState,
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        const calls = fs
          .readFileSync(node.log, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Call);
        resolve({ code, stdout, stderr, calls });
      });
    });
  }

  read(node: FakeNode, file: string): string {
    return fs.readFileSync(path.join(node.root, file), "utf8");
  }

  mode(node: FakeNode, file: string): number {
    return fs.statSync(path.join(node.root, file)).mode & 0o777;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** argv of every call to one command, in order. */
export function argvOf(calls: Call[], cmd: string): string[][] {
  return calls.filter((c) => c.cmd === cmd).map((c) => c.argv);
}

/** A fake world with the join, agent and kubeconfig secrets created (empty), as the stack does. */
export function worldWithSecrets(): FakeWorld {
  const world = new FakeWorld();
  world.createSecret(ARN.join);
  world.createSecret(ARN.agent);
  world.createSecret(ARN.kubeconfig);
  return world;
}

/**
 * A fresh world with its secrets for each test of the file, cleaned up after it: the object
 * returned always stands for the current test's world.
 */
export function worldPerTest(): FakeWorld {
  let current: FakeWorld | undefined;
  beforeEach(() => {
    current = worldWithSecrets();
  });
  afterEach(() => current?.cleanup());
  return forwarding("the fake world", () => current);
}
