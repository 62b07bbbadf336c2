/**
 * Contract between the stack (`infra/compute.ts`) and node bootstrap (`infra/bootstrap/`).
 *
 * The stack passes values known at synth time, some of which are Terraform tokens (the API
 * load balancer's DNS name, secret ARNs); the bootstrap renders the EC2 user data from its
 * templates. No secret value ever passes through here: only names and ARNs of secrets that the
 * nodes read at boot with their instance role.
 */
import { readFileSync } from "node:fs";
import type { AddonSwitches } from "../addons/registry";
import { renderManifests } from "./manifests";
import { escapeTerraformTemplate } from "./terraform-escape";

export interface BootstrapParams {
  clusterName: string;
  region: string;
  k3sVersion: string;
  /** DNS name of the Kubernetes API load balancer (a Terraform token). */
  apiEndpoint: string;
  /**
   * Secrets Manager secret that holds the join (server) token; its value is created at first
   * boot. Servers only: it lets a node join as a server and read the datastore.
   */
  joinTokenSecretArn: string;
  /**
   * Secrets Manager secret that holds the agent token (k3s `agent-token`), created at first boot
   * like the join token. The only token workers get: it joins agents, not servers.
   */
  agentTokenSecretArn: string;
  /** Secrets Manager secret where the first server stores the admin kubeconfig. */
  kubeconfigSecretArn: string;
  /**
   * SSM parameter (name) where the servers' reporter writes the cluster's status
   * (scripts/cluster-status.sh); the server role may put this one parameter only.
   */
  statusParameterName: string;
  clusterCidr: string;
  serviceCidr: string;
  datastore:
    | {
        engine: "postgres";
        /** host:port of the RDS instance (a Terraform token). */
        address: string;
        port: string;
        dbName: string;
        /** RDS-managed master user secret (a Terraform token). */
        masterSecretArn: string;
        /** HTTPS URL of the RDS CA bundle of the region (sslmode=verify-full). */
        caBundleUrl: string;
      }
    | { engine: "etcd"; snapshots?: EtcdSnapshotParams };
  /** EFS file system id, when shared storage is on. */
  efsFileSystemId?: string;
  /** The definition's `addons` switches (infra/addons/ declares them). */
  addons: AddonSwitches;
  /** Name of the control-plane Auto Scaling group (its oldest live server initialises etcd). */
  controlPlaneGroupName: string;
  /**
   * The control-plane group's termination hook: servers drain a leaving server and delete its
   * node (with embedded etcd, k3s then removes its member) before it goes.
   */
  controlPlaneLifecycleHookName?: string;
  workers: {
    autoScalingGroupName: string;
    scaling: "cpu" | "clusterAutoscaler";
    lifecycleHookName: string;
    drainTimeoutSeconds: number;
  };
  /**
   * Where Argo CD's root Application (app of apps) reads this cluster's manifests. Without it,
   * Argo CD is installed with no root Application.
   */
  gitops?: { repoUrl: string; path: string; revision: string };
  /**
   * SHA-256 of the k3s install.sh at the `k3sVersion` tag. Optional: the installer is already
   * fetched from that immutable tag over HTTPS; with a digest, a tampered download is refused.
   */
  k3sInstallerSha256?: string;
}

/** k3s' etcd snapshots to S3 (docs/backups.md): k3s `etcd-s3-*` and `etcd-snapshot-*` settings. */
export interface EtcdSnapshotParams {
  /** Bucket name (a Terraform token). */
  bucket: string;
  /** Key prefix, without slashes at either end. */
  folder: string;
  region: string;
  /** S3 endpoint host of the region, e.g. s3.eu-central-1.amazonaws.com. */
  endpoint: string;
  scheduleCron: string;
  retention: number;
}

export type NodeRole = "server" | "agent";

const SCRIPT_DIR = new URL("./scripts/", import.meta.url);
const UNIT_DIR = new URL("./units/", import.meta.url);
const HEREDOC_END = "K3S_BOT_EOF";

/**
 * EC2 user data for a node, as text that may contain Terraform tokens. The caller wraps it in
 * `Fn.base64gzip()` (cloud-init reads gzip) to stay under EC2's 16 KB limit. Literal `${` and
 * `%{` are escaped as `$${` and `%%{` so Terraform leaves them alone; tokens are kept.
 *
 * The user data is a small shell script that writes the parameters, the bootstrap scripts (and
 * on servers the systemd drain timer and the add-on manifests) and runs the role's script.
 * Paths honour K3S_BOT_ROOT, empty on a node, so tests can run the very same text in a temp dir.
 */
export function renderUserData(role: NodeRole, params: BootstrapParams): string {
  const files: { path: string; mode: string; content: string }[] = [
    { path: "/etc/k3s-bot/params.env", mode: "0600", content: paramsEnv(role, params) },
    { path: "/opt/k3s-bot/common.sh", mode: "0644", content: script("common.sh") },
  ];
  if (role === "server") {
    files.push(
      { path: "/opt/k3s-bot/k3s-server.sh", mode: "0755", content: script("k3s-server.sh") },
      {
        path: "/opt/k3s-bot/cluster-formation.sh",
        mode: "0644",
        content: script("cluster-formation.sh"),
      },
      {
        path: "/opt/k3s-bot/drain-on-terminate.sh",
        mode: "0755",
        content: script("drain-on-terminate.sh"),
      },
      {
        path: "/opt/k3s-bot/cluster-status.sh",
        mode: "0755",
        content: script("cluster-status.sh"),
      },
      {
        path: "/opt/k3s-bot/cluster-status.py",
        mode: "0644",
        content: script("cluster-status.py"),
      },
      ...[
        "k3s-bot-drain.service",
        "k3s-bot-drain.timer",
        "k3s-bot-status.service",
        "k3s-bot-status.timer",
      ].map(unitFile),
      ...renderManifests(params).map((manifest) => ({
        path: `/var/lib/rancher/k3s/server/manifests/${manifest.fileName}`,
        mode: "0600",
        content: withoutYamlComments(manifest.content),
      })),
    );
    if (params.datastore.engine === "etcd" && params.datastore.snapshots) {
      // A snapshot whenever k3s stops (an instance replaced or shut down), before etcd goes.
      files.push({
        path: "/etc/systemd/system/k3s.service.d/k3s-bot-etcd-snapshot.conf",
        mode: "0644",
        content: readFileSync(new URL("k3s-etcd-snapshot-drop-in.conf", UNIT_DIR), "utf8"),
      });
    }
    if (params.datastore.engine === "postgres") {
      // The datastore password is read again before every k3s start and after each rotation.
      files.push(
        {
          path: "/opt/k3s-bot/datastore-endpoint.py",
          mode: "0644",
          content: script("datastore-endpoint.py"),
        },
        {
          path: "/opt/k3s-bot/datastore-config.sh",
          mode: "0755",
          content: script("datastore-config.sh"),
        },
        {
          path: "/etc/systemd/system/k3s.service.d/k3s-bot-datastore.conf",
          mode: "0644",
          content: readFileSync(new URL("k3s-datastore-drop-in.conf", UNIT_DIR), "utf8"),
        },
        ...["k3s-bot-datastore.service", "k3s-bot-datastore.timer"].map(unitFile),
      );
    }
  } else {
    files.push({
      path: "/opt/k3s-bot/k3s-agent.sh",
      mode: "0755",
      content: script("k3s-agent.sh"),
    });
  }

  const lines = [
    "#!/bin/bash",
    `# k3s-bot ${role} bootstrap: writes its files, then runs /opt/k3s-bot/k3s-${role}.sh.`,
    "set -euo pipefail",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS.
    'root="${K3S_BOT_ROOT:-}"',
  ];
  for (const file of files) {
    if (file.content.split("\n").includes(HEREDOC_END)) {
      throw new Error(`${file.path} contains the heredoc delimiter ${HEREDOC_END}`);
    }
    const dir = file.path.slice(0, file.path.lastIndexOf("/"));
    lines.push(
      `mkdir -p "$root${dir}"`,
      // Quoted delimiter: the shell copies the content verbatim, no expansion.
      `cat > "$root${file.path}" <<'${HEREDOC_END}'`,
      file.content.endsWith("\n") ? file.content.slice(0, -1) : file.content,
      HEREDOC_END,
      `chmod ${file.mode} "$root${file.path}"`,
    );
  }
  lines.push(`exec "$root/opt/k3s-bot/k3s-${role}.sh"`, "");
  return escapeTerraformTemplate(lines.join("\n"));
}

/**
 * A manifest as shipped: without its whole-line comments (the sources they cite stay in the
 * repository; user data must fit EC2's 16 KB). Every block scalar in the manifests is YAML
 * itself (a chart's values, a JCasC file), where such a line is a comment too, so nothing a
 * parser reads changes; test/bootstrap/user-data.test.ts parses both to prove it.
 */
export function withoutYamlComments(content: string): string {
  return content
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n");
}

function unitFile(unit: string): { path: string; mode: string; content: string } {
  return {
    path: `/etc/systemd/system/${unit}`,
    mode: "0644",
    content: readFileSync(new URL(unit, UNIT_DIR), "utf8"),
  };
}

/**
 * A bootstrap script as shipped. Shell scripts lose their whole-line comments (the rationale
 * stays in the repository; user data must fit EC2's 16 KB), except the shebang and shellcheck
 * directives. The scripts have no heredocs, so no such line is data.
 */
function script(name: string): string {
  const text = readFileSync(new URL(name, SCRIPT_DIR), "utf8");
  if (name.endsWith(".py") && !text.includes('"""')) {
    // Python scripts without docstrings: a whole-line comment is never data there either.
    return text
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#"))
      .join("\n");
  }
  if (!name.endsWith(".sh")) return text;
  if (/<<-?\s*['"]?\w/.test(text)) throw new Error(`${name}: a heredoc would lose its # lines`);
  return text
    .split("\n")
    .filter((line, index) => {
      const trimmed = line.trimStart();
      if (!trimmed.startsWith("#")) return true;
      return (index === 0 && trimmed.startsWith("#!")) || trimmed.startsWith("# shellcheck ");
    })
    .join("\n");
}

/** Shell-sourceable parameters; every value single-quoted, so nothing in them is expanded. */
function paramsEnv(role: NodeRole, params: BootstrapParams): string {
  const vars: Record<string, string | number | undefined> = {
    K3S_BOT_ROLE: role,
    K3S_BOT_CLUSTER_NAME: params.clusterName,
    K3S_BOT_REGION: params.region,
    K3S_BOT_K3S_VERSION: params.k3sVersion,
    K3S_BOT_API_ENDPOINT: params.apiEndpoint,
    K3S_BOT_AGENT_TOKEN_SECRET_ARN: params.agentTokenSecretArn,
    K3S_BOT_INSTALLER_SHA256: params.k3sInstallerSha256,
  };
  if (role === "server") {
    Object.assign(vars, {
      K3S_BOT_JOIN_TOKEN_SECRET_ARN: params.joinTokenSecretArn,
      K3S_BOT_KUBECONFIG_SECRET_ARN: params.kubeconfigSecretArn,
      K3S_BOT_CLUSTER_CIDR: params.clusterCidr,
      K3S_BOT_SERVICE_CIDR: params.serviceCidr,
      K3S_BOT_DATASTORE: params.datastore.engine,
      K3S_BOT_CONTROL_PLANE_ASG: params.controlPlaneGroupName,
      K3S_BOT_SERVER_LIFECYCLE_HOOK: params.controlPlaneLifecycleHookName,
      K3S_BOT_WORKER_ASG: params.workers.autoScalingGroupName,
      K3S_BOT_LIFECYCLE_HOOK: params.workers.lifecycleHookName,
      K3S_BOT_DRAIN_TIMEOUT_SECONDS: params.workers.drainTimeoutSeconds,
      K3S_BOT_STATUS_PARAMETER: params.statusParameterName,
    });
    if (params.datastore.engine === "etcd" && params.datastore.snapshots) {
      const snapshots = params.datastore.snapshots;
      Object.assign(vars, {
        K3S_BOT_SNAPSHOT_BUCKET: snapshots.bucket,
        K3S_BOT_SNAPSHOT_FOLDER: snapshots.folder,
        K3S_BOT_SNAPSHOT_REGION: snapshots.region,
        K3S_BOT_SNAPSHOT_ENDPOINT: snapshots.endpoint,
        K3S_BOT_SNAPSHOT_CRON: snapshots.scheduleCron,
        K3S_BOT_SNAPSHOT_RETENTION: snapshots.retention,
      });
    }
    if (params.datastore.engine === "postgres") {
      Object.assign(vars, {
        K3S_BOT_DB_ADDRESS: params.datastore.address,
        K3S_BOT_DB_PORT: params.datastore.port,
        K3S_BOT_DB_NAME: params.datastore.dbName,
        K3S_BOT_DB_SECRET_ARN: params.datastore.masterSecretArn,
        K3S_BOT_DB_CA_BUNDLE_URL: params.datastore.caBundleUrl,
      });
    }
  }
  return Object.entries(vars)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => {
      const text = String(value);
      if (/['\n]/.test(text)) throw new Error(`${name}: value cannot contain a quote or newline`);
      return `${name}='${text}'`;
    })
    .join("\n")
    .concat("\n");
}
