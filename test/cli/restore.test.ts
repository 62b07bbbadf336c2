/**
 * `k3s-bot restore` through the CLI, with AWS faked at the SDK client boundary: the clients'
 * `send` answers the commands the real SDK would send. SSM Run Command is faked there because
 * the emulator (moto) records SendCommand but runs nothing on any instance; the server-side
 * steps themselves are tested with the real script in test/bootstrap/etcd-restore.test.ts.
 * The fake answers like SSM: InvocationDoesNotExist right after SendCommand, then InProgress,
 * then the step's final status.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_FAILED, EXIT_OK, runCli } from "../../app/cli/main";
import type { RestoreClients } from "../../app/engine/etcd-restore/restore";
import { PROD_BASE, PROD_ETCD, RESTORE_BUCKET, RESTORE_SNAPSHOT } from "../support/restore-cluster";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUCKET = RESTORE_BUCKET;
const SNAPSHOT = RESTORE_SNAPSHOT;
const BASE = PROD_BASE;
const ETCD = PROD_ETCD;
const POSTGRES = `${BASE}datastore:\n  engine: postgres\n`;

interface Server {
  id: string;
  role: "first" | "joining";
  state?: string;
  /** Exit status per step: a failing step answers Failed with this stderr. */
  fails?: Partial<Record<string, string>>;
}

class FakeAws {
  servers: Server[] = [];
  suspended: string[] = [];
  objects = new Map<string, Date>([
    [`etcd-snapshots/${SNAPSHOT}`, new Date("2026-11-29T05:00:02Z")],
  ]);
  /** Every call in order: "<Command> <detail>". */
  calls: string[] = [];
  private commands = new Map<string, { step: string; polled: Map<string, number> }>();
  private next = 0;

  clients(): RestoreClients {
    return {
      autoscaling: { send: (command: unknown) => this.autoscaling(command) } as never,
      ssm: { send: (command: unknown) => this.ssm(command) } as never,
      s3: { send: (command: unknown) => this.s3(command) } as never,
    };
  }

  private async autoscaling(command: unknown) {
    const { input } = command as { input: Record<string, unknown> };
    const name = (command as object).constructor.name;
    if (name === "DescribeAutoScalingGroupsCommand") {
      this.calls.push(`${name} ${(input.AutoScalingGroupNames as string[]).join(",")}`);
      if (input.AutoScalingGroupNames?.toString() !== "prod-control-plane")
        return { AutoScalingGroups: [] };
      return {
        AutoScalingGroups: [
          {
            AutoScalingGroupName: "prod-control-plane",
            Instances: this.servers.map((s) => ({
              InstanceId: s.id,
              LifecycleState: s.state ?? "InService",
              HealthStatus: "Healthy",
            })),
            SuspendedProcesses: this.suspended.map((ProcessName) => ({ ProcessName })),
          },
        ],
      };
    }
    const processes = (input.ScalingProcesses as string[]).join(",");
    this.calls.push(`${name} ${input.AutoScalingGroupName} ${processes}`);
    return {};
  }

  private async ssm(command: unknown) {
    const { input } = command as { input: Record<string, unknown> };
    const name = (command as object).constructor.name;
    if (name === "SendCommandCommand") {
      expect(input.DocumentName).toBe("AWS-RunShellScript");
      const params = input.Parameters as { commands: string[]; executionTimeout: string[] };
      expect(params.commands).toHaveLength(1);
      const [line] = params.commands as [string];
      expect(line.startsWith("/opt/k3s-bot/etcd-restore.sh ")).toBe(true);
      const step = line.slice("/opt/k3s-bot/etcd-restore.sh ".length);
      const id = `cmd-${++this.next}`;
      this.commands.set(id, { step, polled: new Map() });
      this.calls.push(`SendCommand ${step} @ ${(input.InstanceIds as string[]).join(",")}`);
      return { Command: { CommandId: id } };
    }
    if (name === "GetCommandInvocationCommand") {
      const sent = this.commands.get(input.CommandId as string);
      if (!sent) throw Object.assign(new Error("no such command"), { name: "InvalidCommandId" });
      const instance = input.InstanceId as string;
      const polls = (sent.polled.get(instance) ?? 0) + 1;
      sent.polled.set(instance, polls);
      if (polls === 1)
        throw Object.assign(new Error("invocation does not exist"), {
          name: "InvocationDoesNotExist",
        });
      if (polls === 2) return { Status: "InProgress" };
      const server = this.servers.find((s) => s.id === instance);
      const verb = sent.step.split(" ")[0] as string;
      const failure = server?.fails?.[verb];
      if (failure !== undefined)
        return {
          Status: "Failed",
          StatusDetails: "Failed",
          StandardOutputContent: "",
          StandardErrorContent: failure,
        };
      const stdout =
        verb === "check" ? `role=${server?.role}\nbucket=${BUCKET}\nfolder=etcd-snapshots\n` : "";
      return {
        Status: "Success",
        StatusDetails: "Success",
        StandardOutputContent: stdout,
        StandardErrorContent: "",
      };
    }
    throw new Error(`unexpected SSM call ${name}`);
  }

  private async s3(command: unknown) {
    const { input } = command as { input: Record<string, unknown> };
    const name = (command as object).constructor.name;
    expect(input.Bucket).toBe(BUCKET);
    if (name === "HeadObjectCommand") {
      this.calls.push(`HeadObject ${input.Key}`);
      if (!this.objects.has(input.Key as string))
        throw Object.assign(new Error("Not Found"), { name: "NotFound" });
      return {};
    }
    if (name === "ListObjectsV2Command")
      return {
        Contents: [...this.objects].map(([Key, LastModified]) => ({ Key, LastModified })),
      };
    throw new Error(`unexpected S3 call ${name}`);
  }

  /** The calls that change something. */
  changes(): string[] {
    return this.calls.filter((c) => /^(Suspend|Resume)|^SendCommand (stop|reset|rejoin)/.test(c));
  }
}

let dir: string;
let aws: FakeAws;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "k3s-bot-restore-"));
  aws = new FakeAws();
  // Instance ids out of order on purpose: the restore target is the first server, not the first id.
  aws.servers = [
    { id: "i-0aaa", role: "joining" },
    { id: "i-0bbb", role: "first" },
    { id: "i-0ccc", role: "joining" },
  ];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function restore(definition: string, ...args: string[]) {
  const file = join(dir, "prod.yaml");
  writeFileSync(file, definition);
  let out = "";
  let err = "";
  const code = await runCli(
    ["restore", file, ...args],
    { out: (t) => (out += t), err: (t) => (err += t) },
    {},
    { restore: { clients: () => aws.clients(), timing: { pollMs: 1, sleep: async () => {} } } },
  );
  return { code, out, err };
}

describe("k3s-bot restore", () => {
  it("is the CLI's alone: nothing the bot runs imports it, so its SSM rights stay out of the bot's policy", () => {
    const importers: string[] = [];
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (
          entry.name.endsWith(".ts") &&
          /from "[./]*[^"]*etcd-restore\//.test(readFileSync(path, "utf8"))
        )
          importers.push(relative(ROOT, path));
      }
    };
    visit(join(ROOT, "app"));
    expect(importers.filter((file) => !file.startsWith("app/engine/etcd-restore/"))).toEqual([
      "app/cli/restore-command.ts",
    ]);
  });

  it("without --yes checks the servers and the snapshot, prints the plan and changes nothing", async () => {
    const result = await restore(ETCD, "--snapshot", SNAPSHOT);
    expect(result.err).not.toContain("error");
    expect(result.code).toBe(EXIT_OK);
    expect(aws.calls).toEqual([
      "DescribeAutoScalingGroupsCommand prod-control-plane",
      "SendCommand check @ i-0aaa,i-0bbb,i-0ccc",
      `HeadObject etcd-snapshots/${SNAPSHOT}`,
    ]);
    expect(aws.changes()).toEqual([]);
    expect(result.out).toContain(
      `Restore prod to etcd snapshot ${SNAPSHOT} (s3://${BUCKET}/etcd-snapshots/${SNAPSHOT})`,
    );
    expect(result.out).toContain("3. On i-0bbb: k3s --cluster-reset");
    expect(result.out).toContain("4. On i-0aaa, then i-0ccc, one at a time");
    expect(result.out).toContain("Nothing was changed. Run again with --yes");
  });

  it("with --yes: holds the group's health replacement, stops every server, restores on the first, rejoins the others one by one, resumes", async () => {
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.err).not.toContain("error:");
    expect(result.code).toBe(EXIT_OK);
    const held = "HealthCheck,ReplaceUnhealthy,AZRebalance,InstanceRefresh";
    expect(aws.changes()).toEqual([
      `SuspendProcessesCommand prod-control-plane ${held}`,
      "SendCommand stop @ i-0bbb,i-0aaa,i-0ccc",
      `SendCommand reset ${SNAPSHOT} @ i-0bbb`,
      "SendCommand rejoin @ i-0aaa",
      "SendCommand rejoin @ i-0ccc",
      `ResumeProcessesCommand prod-control-plane ${held}`,
    ]);
    expect(result.out).toContain(`Restored prod to ${SNAPSHOT}.`);
  });

  it("leaves processes someone else suspended as they were", async () => {
    aws.suspended = ["AZRebalance"];
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_OK);
    const held = "HealthCheck,ReplaceUnhealthy,InstanceRefresh";
    expect(aws.changes()[0]).toBe(`SuspendProcessesCommand prod-control-plane ${held}`);
    expect(aws.changes().at(-1)).toBe(`ResumeProcessesCommand prod-control-plane ${held}`);
  });

  it("a lone server: restores on it, nothing to rejoin", async () => {
    aws.servers = [{ id: "i-0one", role: "first" }];
    const result = await restore(
      ETCD.replace("count: 3", "count: 1"),
      "--snapshot",
      SNAPSHOT,
      "--yes",
    );
    expect(result.code).toBe(EXIT_OK);
    expect(aws.changes().filter((c) => c.startsWith("SendCommand"))).toEqual([
      "SendCommand stop @ i-0one",
      `SendCommand reset ${SNAPSHOT} @ i-0one`,
    ]);
  });

  it("refuses a PostgreSQL cluster before any AWS call, pointing to the RDS restore", async () => {
    const result = await restore(POSTGRES, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("keeps its state in PostgreSQL (RDS), not embedded etcd");
    expect(result.err).toContain("datastore.restoreFromSnapshot");
    expect(aws.calls).toEqual([]);
  });

  it("refuses a name k3s would not give before any AWS call", async () => {
    for (const name of ["--etcd-s3=false", "a;reboot", "../x", "a b"]) {
      const result = await restore(ETCD, `--snapshot=${name}`, "--yes");
      expect(result.code, name).toBe(EXIT_FAILED);
      expect(result.err).toContain("is not a snapshot name");
    }
    expect(aws.calls).toEqual([]);
  });

  it("refuses when no server is running", async () => {
    aws.servers = [];
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("no server of prod is running");
    expect(aws.changes()).toEqual([]);
  });

  it("refuses while the control-plane group is changing", async () => {
    (aws.servers[2] as Server).state = "Pending";
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("is changing (i-0ccc Pending)");
    expect(aws.calls.filter((c) => c.startsWith("SendCommand"))).toEqual([]);
  });

  it("refuses a snapshot that is not in the bucket, listing the newest there", async () => {
    aws.objects.set(
      "etcd-snapshots/pre-stop-ip-10-30-2-10-1764400360",
      new Date("2026-11-29T07:12:40Z"),
    );
    aws.objects.set(
      "etcd-snapshots/.metadata/pre-stop-ip-10-30-2-10-1764400360",
      new Date("2026-11-29T07:12:41Z"),
    );
    const result = await restore(ETCD, "--snapshot", "etcd-snapshot-gone-1", "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain(
      `no snapshot etcd-snapshot-gone-1 in s3://${BUCKET}/etcd-snapshots/; nothing was changed`,
    );
    expect(result.err).toMatch(
      /pre-stop-ip-10-30-2-10-1764400360 {2}\(2026-11-29T07:12:40.000Z\)\n {2}etcd-snapshot-ip-10-30-1-10/,
    );
    expect(result.err).not.toContain(".metadata");
    expect(aws.changes()).toEqual([]);
  });

  it("refuses servers bootstrapped by an older k3-bot (no restore script) with what the server said", async () => {
    (aws.servers[0] as Server).fails = {
      check: "bash: /opt/k3s-bot/etcd-restore.sh: No such file or directory",
    };
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("could not check the servers through SSM");
    expect(result.err).toContain(
      "i-0aaa: Failed\n    bash: /opt/k3s-bot/etcd-restore.sh: No such file or directory",
    );
    expect(aws.changes()).toEqual([]);
  });

  it("refuses two servers without --server: one of them would start an empty cluster", async () => {
    (aws.servers[0] as Server).role = "first";
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(result.err).toContain("more than one server (i-0aaa, i-0bbb) has no --server");
    expect(aws.changes()).toEqual([]);
  });

  it("a server that cannot stop: stops there, says where k3s is down and how to go back", async () => {
    (aws.servers[2] as Server).fails = { stop: "k3s-bot: FATAL: systemd could not stop k3s" };
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(
      aws
        .changes()
        .map((c) => c.split(" ")[0] + (c.startsWith("SendCommand") ? ` ${c.split(" ")[1]}` : "")),
    ).toEqual(["SuspendProcessesCommand", "SendCommand stop"]);
    expect(result.err).toContain(
      "State: k3s is stopped on i-0bbb, i-0aaa and may still run on the others; no snapshot was restored.",
    );
    expect(result.err).toContain("sudo systemctl start k3s");
    expect(result.err).toContain(
      "aws autoscaling resume-processes --auto-scaling-group-name prod-control-plane --scaling-processes HealthCheck ReplaceUnhealthy AZRebalance InstanceRefresh",
    );
  });

  it("a restore that fails: no server rejoins, the group stays held, and the message says the API is down", async () => {
    (aws.servers[1] as Server).fails = {
      reset: "k3s-bot: FATAL: k3s could not restore etcd snapshot x; k3s is stopped on this server",
    };
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(aws.changes().some((c) => c.includes("rejoin") || c.startsWith("Resume"))).toBe(false);
    expect(result.err).toContain("i-0bbb: Failed\n    k3s-bot: FATAL: k3s could not restore");
    expect(result.err).toContain("State: k3s is stopped on every server (i-0bbb, i-0aaa, i-0ccc)");
    expect(result.err).toContain("The cluster's API is down.");
    expect(result.err).toContain("every server took a pre-stop snapshot");
  });

  it("a server that fails to rejoin: the next one is not started, and the message says which still wait", async () => {
    (aws.servers[0] as Server).fails = {
      rejoin: "k3s-bot: FATAL: k3s started but its API server was not ready",
    };
    const result = await restore(ETCD, "--snapshot", SNAPSHOT, "--yes");
    expect(result.code).toBe(EXIT_FAILED);
    expect(aws.changes().filter((c) => c.includes("rejoin"))).toEqual([
      "SendCommand rejoin @ i-0aaa",
    ]);
    expect(result.err).toContain(
      "State: i-0bbb runs the restored cluster; i-0aaa failed to rejoin",
    );
    expect(result.err).toContain("k3s is still stopped on i-0ccc");
    expect(result.err).toContain("/opt/k3s-bot/etcd-restore.sh rejoin`, then the same on i-0ccc");
  });
});
