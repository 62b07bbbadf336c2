// Stand-ins for the commands the bootstrap scripts call (curl, aws, kubectl, systemctl and the
// k3s installer). Each call is appended to $STUB_LOG as one JSON line {cmd, argv, env}, then
// answered from the fake world described by STUB_* variables:
//   STUB_IMDS        JSON file: IMDS meta-data path -> value (IMDSv2 token required)
//   STUB_API_STATE   file holding how many more /ping calls fail ("down" = all of them)
//   STUB_AWS         directory of fake Secrets Manager secrets (one folder per secret id)
//   STUB_BARRIER_ARN, STUB_BARRIER_N   hold N get-secret-value calls on each of those secrets
//                    (space-separated) until all arrived, so concurrent servers really race on
//                    put-secret-value
//   STUB_TERMINATING instance ids in Terminating:Wait; STUB_NODES "name providerID" lines
//   STUB_DRAIN_EXIT  exit code of kubectl drain (e.g. 1 for a drain that timed out)
//   STUB_TERMINATING_SERVERS  the same as STUB_TERMINATING, for the control-plane group
//   STUB_DELETE_EXIT exit code of kubectl delete node (e.g. 1 for a finalizer that never ran)
//   STUB_CA_BUNDLE   "down": the RDS trust store does not answer
//   STUB_CP_INSTANCES file of "launch-time instance-id" lines: the live control-plane instances
//   STUB_CP_DIES     "<instance-id> <n>": listed n times, then gone (a server that died)
//   STUB_KUBE        directory of the cluster as kubectl sees it: <resource>.json answers
//                    `kubectl get <resource> … -o json`, logs/<job>.log `kubectl logs job/<job>`;
//                    a missing file is a NotFound, and a missing directory an API that is down
//   STUB_SSM         directory of SSM parameters (one file per name, / as _); values over 4096
//                    characters are refused as the standard tier refuses them
//   STUB_SNAPSHOTS   file of "last-modified key" lines: the objects of the etcd snapshot bucket
//   STUB_RESTORE_EXIT exit code of `k3s server --cluster-reset` (a restore that fails)
//   STUB_STOP_EXIT   exit code of `systemctl stop k3s.service` (a stop that fails)
//   STUB_NOT_READY   "yes": `kubectl get --raw /readyz` fails (an API server that never gets ready)
// Starting k3s (the installer on a server, `systemctl restart k3s.service`) runs the
// ExecStartPre lines of the k3s.service drop-ins under $K3S_BOT_ROOT as systemd would, then
// records what k3s would start with in <node dir>/k3s-starts.jsonl.
// Usage: node stub.mjs <command> [argv...]
import * as fs from "node:fs";
import * as path from "node:path";

// The bootstrap tests start this stub about 1,700 times per run. Loading node:crypto and
// node:child_process costs about 12 and 6 ms of CPU per start on top of Node's own 34 ms
// (measured on 2026-11-29 on the CI machine); only two rare answers need them, so they load
// them when they do.
const randomUUID = () => process.getBuiltinModule("node:crypto").randomUUID();
const spawnSync = (...args) => process.getBuiltinModule("node:child_process").spawnSync(...args);

const [cmd, ...argv] = process.argv.slice(2);
const env = process.env;
fs.appendFileSync(env.STUB_LOG, `${JSON.stringify({ cmd, argv, env })}\n`);

const IMDS_TOKEN = "imds-session-token";
const RDS_CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIfakeRdsRootCa\n-----END CERTIFICATE-----";

function option(name, args = argv) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function fail(code, message) {
  if (message) process.stderr.write(`${message}\n`);
  process.exit(code);
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function curl() {
  const url = argv.find((a) => /^https?:\/\//.test(a));
  const headers = argv.flatMap((a, i) => (argv[i - 1] === "-H" ? [a] : []));
  const imds = "http://169.254.169.254/latest/";
  if (url === `${imds}api/token`) {
    if (
      option("-X") !== "PUT" ||
      !headers.some((h) => h.startsWith("X-aws-ec2-metadata-token-ttl-seconds:"))
    ) {
      fail(22, "curl: (22) The requested URL returned error: 405");
    }
    process.stdout.write(IMDS_TOKEN);
    return;
  }
  if (url?.startsWith(`${imds}meta-data/`)) {
    if (!headers.includes(`X-aws-ec2-metadata-token: ${IMDS_TOKEN}`)) {
      fail(22, "curl: (22) The requested URL returned error: 401");
    }
    const data = JSON.parse(fs.readFileSync(env.STUB_IMDS, "utf8"));
    const value = data[url.slice(`${imds}meta-data/`.length)];
    if (value === undefined) fail(22, "curl: (22) The requested URL returned error: 404");
    process.stdout.write(value);
    return;
  }
  if (url && /^https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\/[^/]+\/install\.sh$/.test(url)) {
    fs.writeFileSync(option("-o"), `#!/bin/sh\nexec k3s-install "$@"\n`);
    return;
  }
  if (
    url &&
    /^https:\/\/truststore\.pki\.rds\.amazonaws\.com\/[a-z0-9-]+\/[a-z0-9-]+-bundle\.pem$/.test(url)
  ) {
    if (env.STUB_CA_BUNDLE === "down") fail(7, "curl: (7) Failed to connect");
    fs.writeFileSync(option("-o"), `${RDS_CA_PEM}\n`);
    return;
  }
  if (url?.endsWith(":6443/ping")) {
    const state = fs.readFileSync(env.STUB_API_STATE, "utf8").trim();
    if (state === "down") fail(7, "curl: (7) Failed to connect");
    const remaining = Number(state);
    if (remaining > 0) {
      fs.writeFileSync(env.STUB_API_STATE, String(remaining - 1));
      fail(7, "curl: (7) Failed to connect");
    }
    process.stdout.write("pong");
    return;
  }
  fail(6, `curl: (6) Could not resolve host (stub has no answer for ${url})`);
}

function secretDir(id) {
  return path.join(env.STUB_AWS, id.replaceAll(/[^A-Za-z0-9-]/g, "_"));
}

function awsError(code, op, message) {
  fail(254, `\nAn error occurred (${code}) when calling the ${op} operation: ${message}`);
}

function aws() {
  const args = [...argv];
  if (args[0] === "--region") args.splice(0, 2);
  const [service, op] = args;
  if (service === "secretsmanager" && op === "get-secret-value") {
    const id = option("--secret-id", args);
    if ((env.STUB_BARRIER_ARN ?? "").split(" ").includes(id)) barrier(id);
    const dir = secretDir(id);
    if (!fs.existsSync(dir)) {
      awsError(
        "ResourceNotFoundException",
        "GetSecretValue",
        "Secrets Manager can't find the specified secret.",
      );
    }
    const current = path.join(dir, "AWSCURRENT");
    if (!fs.existsSync(current)) {
      awsError(
        "ResourceNotFoundException",
        "GetSecretValue",
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    }
    const version = fs.readFileSync(current, "utf8");
    process.stdout.write(`${fs.readFileSync(path.join(dir, "versions", version), "utf8")}\n`);
    return;
  }
  if (service === "secretsmanager" && op === "put-secret-value") {
    const dir = secretDir(option("--secret-id", args));
    if (!fs.existsSync(dir)) {
      awsError(
        "ResourceNotFoundException",
        "PutSecretValue",
        "Secrets Manager can't find the specified secret.",
      );
    }
    const raw = option("--secret-string", args);
    const value = raw.startsWith("file://") ? fs.readFileSync(raw.slice(7), "utf8") : raw;
    const version = option("--client-request-token", args) ?? randomUUID();
    const versions = path.join(dir, "versions");
    fs.mkdirSync(versions, { recursive: true });
    const tmp = path.join(dir, `.tmp-${process.pid}`);
    fs.writeFileSync(tmp, value);
    try {
      // link() is atomic and refuses an existing name: like Secrets Manager's version ids.
      fs.linkSync(tmp, path.join(versions, version));
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      if (fs.readFileSync(path.join(versions, version), "utf8") !== value) {
        awsError(
          "ResourceExistsException",
          "PutSecretValue",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
    } finally {
      fs.rmSync(tmp);
    }
    fs.writeFileSync(`${path.join(dir, "AWSCURRENT")}.${process.pid}`, version);
    fs.renameSync(`${path.join(dir, "AWSCURRENT")}.${process.pid}`, path.join(dir, "AWSCURRENT"));
    process.stdout.write(`${JSON.stringify({ VersionId: version })}\n`);
    return;
  }
  if (service === "autoscaling" && op === "describe-auto-scaling-groups") {
    // Servers in Terminating:Wait for the control-plane group, workers for any other.
    const group = args[args.indexOf("--auto-scaling-group-names") + 1] ?? "";
    const ids = group.endsWith("-control-plane")
      ? env.STUB_TERMINATING_SERVERS
      : env.STUB_TERMINATING;
    process.stdout.write(`${(ids ?? "").split(/\s+/).filter(Boolean).join("\t")}\n`);
    return;
  }
  if (service === "ec2" && op === "describe-instances") {
    // The live control-plane instances, "launch-time instance-id" per line, as --output text.
    const file = env.STUB_CP_INSTANCES;
    let rows = file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    // STUB_CP_DIES "<instance-id> <n>": that instance is listed n times, then it is gone.
    const [dying, times] = (env.STUB_CP_DIES ?? "").split(" ");
    if (dying) {
      const counter = `${file}.listed`;
      const listed = fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0;
      fs.writeFileSync(counter, String(listed + 1));
      if (listed >= Number(times)) {
        rows = rows
          .split("\n")
          .filter((row) => !row.endsWith(` ${dying}`))
          .join("\n");
      }
    }
    process.stdout.write(rows.replaceAll(" ", "\t"));
    return;
  }
  if (service === "ssm" && op === "put-parameter") {
    const raw = option("--value", args);
    const value = raw.startsWith("file://") ? fs.readFileSync(raw.slice(7), "utf8") : raw;
    if (option("--tier", args) !== "Advanced" && value.length > 4096) {
      awsError(
        "ValidationException",
        "PutParameter",
        "Standard tier parameters support a maximum parameter value of 4096 characters.",
      );
    }
    fs.mkdirSync(env.STUB_SSM, { recursive: true });
    fs.writeFileSync(path.join(env.STUB_SSM, option("--name", args).replaceAll("/", "_")), value);
    process.stdout.write('{"Version":1,"Tier":"Standard"}\n');
    return;
  }
  if (service === "s3api" && op === "list-objects-v2") {
    // `--query 'Contents[].[LastModified,Key]' --output text` of the objects under --prefix.
    if (option("--query", args) !== "Contents[].[LastModified,Key]") {
      fail(2, "aws stub: list-objects-v2 answers Contents[].[LastModified,Key] only");
    }
    const file = env.STUB_SNAPSHOTS;
    const prefix = option("--prefix", args) ?? "";
    const rows = (file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(" "))
      .filter(([, key]) => key.startsWith(prefix));
    process.stdout.write(rows.length ? `${rows.map((r) => r.join("\t")).join("\n")}\n` : "None\n");
    return;
  }
  if (service === "autoscaling" && op === "complete-lifecycle-action") return;
  if (service === "autoscaling" && op === "set-instance-health") return;
  fail(2, `aws stub: unsupported call ${args.join(" ")}`);
}

function barrier(id) {
  const dir = path.join(env.STUB_AWS, `.barrier-${path.basename(secretDir(id))}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, String(process.pid)), "");
  const deadline = Date.now() + 15_000;
  while (fs.readdirSync(dir).length < Number(env.STUB_BARRIER_N)) {
    if (Date.now() > deadline) fail(99, "stub barrier timed out");
    sleepMs(10);
  }
}

function kubectl() {
  if (env.STUB_KUBE !== undefined && (argv.includes("json") || argv[0] === "logs")) {
    if (!fs.existsSync(env.STUB_KUBE))
      fail(1, "The connection to the server 127.0.0.1:6443 was refused");
    const file =
      argv[0] === "logs"
        ? path.join(env.STUB_KUBE, "logs", `${argv.find((a) => a.startsWith("job/")).slice(4)}.log`)
        : path.join(env.STUB_KUBE, `${argv[1]}.json`);
    if (!fs.existsSync(file)) fail(1, `Error from server (NotFound): ${argv[1]} not found`);
    process.stdout.write(fs.readFileSync(file, "utf8"));
    return;
  }
  if (argv[0] === "get" && argv[1] === "--raw") {
    if (env.STUB_NOT_READY === "yes")
      fail(1, "The connection to the server 127.0.0.1:6443 was refused");
    process.stdout.write("ok");
    return;
  }
  if (argv[0] === "get" && argv[1] === "nodes") {
    process.stdout.write(env.STUB_NODES ?? "");
    return;
  }
  if (argv[0] === "cordon") return;
  if (argv[0] === "drain") process.exit(Number(env.STUB_DRAIN_EXIT ?? 0));
  if (argv[0] === "delete" && argv[1] === "node") process.exit(Number(env.STUB_DELETE_EXIT ?? 0));
  fail(2, `kubectl stub: unsupported call ${argv.join(" ")}`);
}

// The fake installer: what matters is how it was called. For a server it also leaves what a
// started k3s would: the admin kubeconfig and the full (K10) server token.
function k3sInstall() {
  if (!env.INSTALL_K3S_EXEC?.startsWith("server")) return;
  // install.sh enables the unit but returns before starting it (service_enable_and_start).
  if (env.INSTALL_K3S_SKIP_START === "true") return;
  serverStarts();
}

// `k3s server … --cluster-reset --cluster-reset-restore-path=<name>`: restores, then exits.
function k3s() {
  if (argv[0] !== "server" || !argv.includes("--cluster-reset"))
    fail(2, `k3s stub: unsupported call ${argv.join(" ")}`);
  const restored = argv.find((a) => a.startsWith("--cluster-reset-restore-path="));
  if (restored) {
    const db = path.join(env.K3S_BOT_ROOT, "var/lib/rancher/k3s/server/db");
    fs.mkdirSync(db, { recursive: true });
    fs.writeFileSync(path.join(db, "restored-from"), restored.split("=")[1]);
  }
  const code = Number(env.STUB_RESTORE_EXIT ?? 0);
  // What k3s logs at the end (pkg/etcd/etcd.go Reset; a failed S3 download for the error).
  process.stderr.write(
    code === 0
      ? 'level=info msg="Managed etcd cluster membership has been reset, restart without --cluster-reset flag now."\n'
      : 'level=fatal msg="starting kubernetes: preparing server: start managed database: The specified key does not exist."\n',
  );
  process.exit(code);
}

// A server's k3s starts: what it leaves behind (the admin kubeconfig, the full K10 token).
function serverStarts() {
  const root = env.K3S_BOT_ROOT;
  startK3s();
  fs.writeFileSync(k3sActiveFile(), "");
  // A running server answers /ping through the NLB.
  fs.writeFileSync(env.STUB_API_STATE, "0");
  const config = fs.readFileSync(path.join(root, "etc/rancher/k3s/config.yaml"), "utf8");
  const token = /^token: "(.*)"$/m.exec(config)?.[1];
  fs.writeFileSync(
    path.join(root, "etc/rancher/k3s/k3s.yaml"),
    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\n",
  );
  const serverDir = path.join(root, "var/lib/rancher/k3s/server");
  fs.mkdirSync(serverDir, { recursive: true });
  if (!token?.startsWith("K10"))
    fs.writeFileSync(path.join(serverDir, "token"), `K10cafe::server:${token}\n`);
}

// systemd starting k3s.service: its drop-ins' ExecStartPre lines first (a failing one without
// "-" fails the start), then k3s reads its config file.
function startK3s() {
  const root = env.K3S_BOT_ROOT;
  const dropIns = path.join(root, "etc/systemd/system/k3s.service.d");
  const pre = fs.existsSync(dropIns)
    ? fs
        .readdirSync(dropIns)
        .sort()
        .flatMap((file) => fs.readFileSync(path.join(dropIns, file), "utf8").split("\n"))
        .filter((line) => line.startsWith("ExecStartPre="))
        .map((line) => line.slice("ExecStartPre=".length))
    : [];
  const starts = path.join(root, "..", "k3s-starts.jsonl");
  for (const line of pre) {
    const optional = line.startsWith("-");
    const [exe, ...args] = (optional ? line.slice(1) : line).split(" ");
    const run = spawnSync(path.join(root, exe), args, { env, stdio: ["ignore", 2, 2] });
    if (run.status !== 0 && !optional) {
      fs.appendFileSync(starts, `${JSON.stringify({ started: false })}\n`);
      fail(1, `k3s.service: ExecStartPre ${exe} failed`);
    }
  }
  const config = fs.readFileSync(path.join(root, "etc/rancher/k3s/config.yaml"), "utf8");
  fs.appendFileSync(starts, `${JSON.stringify({ started: true, config })}\n`);
}

// Whether k3s.service runs on this node: <node dir>/k3s-active while it does.
function k3sActiveFile() {
  return path.join(env.K3S_BOT_ROOT, "..", "k3s-active");
}

function systemctl() {
  const args = argv.filter((a) => a !== "--no-block");
  if (args[0] === "restart" && args[1] === "k3s.service") startK3s();
  if (args[0] === "start" && args[1] === "k3s.service") serverStarts();
  if (args[0] === "stop" && args[1] === "k3s.service") {
    if (env.STUB_STOP_EXIT) process.exit(Number(env.STUB_STOP_EXIT));
    fs.rmSync(k3sActiveFile(), { force: true });
  }
  if (args[0] === "is-active") process.exit(fs.existsSync(k3sActiveFile()) ? 0 : 3);
}

// `snap install aws-cli --classic` puts the CLI where snaps live ($K3S_BOT_ROOT/snap/bin here).
function snap() {
  if (argv.join(" ") !== "install aws-cli --classic")
    fail(2, `snap stub: unsupported call ${argv.join(" ")}`);
  const bin = path.join(env.K3S_BOT_ROOT, "snap/bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, "aws"),
    `#!/bin/sh\nexec "${process.execPath}" "${process.argv[1]}" aws "$@"\n`,
  );
  fs.chmodSync(path.join(bin, "aws"), 0o755);
}

const handlers = { curl, aws, kubectl, snap, systemctl, k3s, "k3s-install": k3sInstall };
const handler = handlers[cmd];
if (!handler) fail(2, `no stub for ${cmd}`);
handler();
