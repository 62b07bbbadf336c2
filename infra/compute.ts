/**
 * The nodes (docs/architecture.md, "infra/"): the cluster's secrets, the servers' and workers'
 * identities and what each may do, their user data, and two node pools: a fixed number of servers
 * behind the API load balancer and the workers, scaled by CPU or by cluster-autoscaler.
 *
 * Nodes have no SSH key and no port 22: operators use SSM Session Manager. Their AMI is a
 * literal id in the launch template, pinned in the definition or resolved by the run engine at
 * plan time (infra/images.ts), so the plan shows the image and the apply uses exactly it.
 */

import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { Fn, type ITerraformDependable, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { addonNodePolicies } from "./addons/registry";
import { named } from "./addresses";
import {
  type BootstrapParams,
  type EtcdSnapshotParams,
  type NodeRole,
  renderUserData,
} from "./bootstrap/user-data";
import { ClusterSecrets } from "./cluster-secrets";
import type { Database } from "./database";
import { DATASTORE_DB_NAME, rdsCaBundleUrl } from "./database";
import type { ClusterConfig } from "./definition/config";
import {
  clusterStatusWriterPolicy,
  etcdSnapshotPolicy,
  serverSecretsPolicy,
  ssmManagedInstanceCoreArn,
  statusParameterArn,
  workerLifecyclePolicy,
  workerSecretsPolicy,
  workerSelfHealthPolicy,
} from "./iam-policies";
import { ubuntuImageParameterName } from "./images";
import {
  CLUSTER_TAG_KEY,
  defaultTags,
  iamName,
  kubernetesClusterTag,
  nameTag,
  statusParameterName,
  workerGroupNames,
} from "./naming";
import { NodeIdentity } from "./node-identity";
import { NodePool } from "./node-pool";

/** The control-plane group's name, known before the group exists (servers look it up at boot). */
function controlPlaneGroupName(config: Pick<ClusterConfig, "name">): string {
  return `${config.name}-control-plane`;
}

/** The control-plane group's termination hook (a leaving server is drained and unregistered). */
function controlPlaneHookName(config: Pick<ClusterConfig, "name">): string {
  return `${config.name}-server-drain`;
}

/** Seconds a new server gets to install k3s and pass the API health check. */
const SERVER_HEALTH_CHECK_GRACE_SECONDS = 600;
const WORKER_HEALTH_CHECK_GRACE_SECONDS = 300;

/**
 * IMDS response hop limit per role. A packet from a pod on the pod network crosses one more hop
 * (the CNI bridge) than one from the host, so with 1 only the host and host-network pods get an
 * IMDS answer, and pods cannot take the instance role.
 * - Servers: 2, for the add-ons that call AWS with the server role from the pod network: the EFS
 *   CSI controller (chart aws-efs-csi-driver 3.1.4 and 4.4.1, templates/controller-deployment.yaml
 *   sets hostNetwork only when controller.hostNetwork is given; we do not) and cluster-autoscaler
 *   (kubernetes/autoscaler cluster-autoscaler-chart-9.59.0, values.yaml `hostNetwork: false`).
 *   The cloud controller runs with `hostNetworking: true` and would do with 1. Servers carry the
 *   CriticalAddonsOnly:NoExecute taint, so only add-ons that tolerate it run there.
 * - Workers: 1. Their only AWS caller is the EFS CSI node plugin, which runs on the host network
 *   (same charts, templates/node-daemonset.yaml: `hostNetwork: true`); kubelet and k3s are host
 *   processes. Workload pods therefore never reach the worker role's credentials.
 */
export const IMDS_HOP_LIMIT: Readonly<Record<NodeRole, number>> = { server: 2, agent: 1 };

/** Worst case from a worker entering Terminating:Wait to its drain starting, plus slack. */
export const DRAIN_START_MARGIN_SECONDS = 60;

/**
 * The image when the configuration carries no AMI id: EC2 resolves Canonical's parameter at each
 * launch. Only a stack synthesized outside the run engine (an offline plan, tests) gets this;
 * the engine always fills in the AMI (infra/images.ts), because an image resolved at launch
 * never shows in a plan and rules out an instance refresh's automatic rollback.
 */
export function ubuntuImageParameter(instanceType: string): string {
  return `resolve:ssm:${ubuntuImageParameterName(instanceType)}`;
}

/** Bootstrap inputs the run engine knows and the cluster definition does not. */
export type NodeBootstrapOptions = Partial<Pick<BootstrapParams, "gitops" | "k3sInstallerSha256">>;

/**
 * What the nodes need from the rest of the stack. Of the definition, the parts the nodes' user
 * data carries to the bootstrap (k3s, add-ons, datastore, workers) and the pools' sizes.
 */
export interface ComputeProps {
  config: Pick<
    ClusterConfig,
    | "name"
    | "region"
    | "partition"
    | "tags"
    | "k3s"
    | "addons"
    | "datastore"
    | "controlPlane"
    | "workers"
  >;
  bootstrap: NodeBootstrapOptions;
  /** ARN of the permissions boundary every node role carries (infra/iam-boundary.ts). */
  permissionsBoundary: string;
  /** The private subnets, one per zone: both pools launch there. */
  privateSubnetIds: string[];
  /** The private subnets' routes to the NAT gateways: nodes download k3s at first boot. */
  natRoutes: ITerraformDependable[];
  securityGroups: { nodes: string; servers: string; workers: string };
  /** DNS name of the Kubernetes API load balancer, which nodes join through. */
  apiEndpoint: string;
  apiTargetGroupArn: string;
  /** The ingress load balancer's target groups (workers' NodePorts); none without ingress. */
  ingressTargetGroupArns: string[];
  database?: Database;
  /** The shared file system, with `storage.efs`. */
  efs?: { id: string; arn: string };
  /** With embedded etcd: the snapshot bucket, its folder and what the servers' k3s needs. */
  etcdSnapshots?: { bucketArn: string; folder: string; bootstrap: EtcdSnapshotParams };
}

export class Compute extends Construct {
  readonly secrets: ClusterSecrets;
  readonly serverIdentity: NodeIdentity;
  readonly workerIdentity: NodeIdentity;
  /** The k3s servers: a fixed number behind the API load balancer. */
  readonly servers: NodePool;
  /** The k3s agents: min..max, scaled by CPU target tracking or by cluster-autoscaler. */
  readonly workers: NodePool;
  readonly workerDrainHook: AutoscalingLifecycleHook;
  /** A leaving server waits for the others to drain it and delete its node (etcd member). */
  readonly serverDrainHook: AutoscalingLifecycleHook;
  /** Only when `workers.scaling` is `cpu`. */
  readonly workerCpuPolicy?: AutoscalingPolicy;

  constructor(scope: Construct, id: string, props: ComputeProps) {
    super(scope, id);
    const { config, database, efs, etcdSnapshots, bootstrap: extra } = props;
    const workerNames = workerGroupNames(config);

    this.secrets = new ClusterSecrets(this, "secrets", { clusterName: config.name });
    const { joinToken, agentToken, kubeconfig } = this.secrets;

    // --- IAM ---
    const identity = (name: string, what: string, description: string) =>
      new NodeIdentity(this, `${what}-identity`, {
        name,
        iamName: iamName(config, what),
        description,
        tags: nameTag(config, what),
        ssmPolicyArn: ssmManagedInstanceCoreArn(config.partition),
        permissionsBoundary: props.permissionsBoundary,
      });
    this.serverIdentity = identity(
      "servers",
      "control-plane",
      `k3s servers of cluster ${config.name}`,
    );
    this.workerIdentity = identity("workers", "worker", `k3s agents of cluster ${config.name}`);
    const servers = this.serverIdentity;
    const agents = this.workerIdentity;

    // --- user data (it also says which add-ons, and so which policies, the nodes get) ---
    const bootstrap: BootstrapParams = {
      clusterName: config.name,
      region: config.region,
      k3sVersion: config.k3s.version,
      apiEndpoint: props.apiEndpoint,
      joinTokenSecretArn: joinToken.arn,
      agentTokenSecretArn: agentToken.arn,
      kubeconfigSecretArn: kubeconfig.arn,
      statusParameterName: statusParameterName(config),
      clusterCidr: config.k3s.clusterCidr,
      serviceCidr: config.k3s.serviceCidr,
      datastore: database
        ? {
            engine: "postgres",
            address: database.address,
            port: database.port,
            dbName: DATASTORE_DB_NAME,
            masterSecretArn: database.masterSecretArn,
            caBundleUrl: rdsCaBundleUrl(config.region, config.partition),
          }
        : {
            engine: "etcd",
            ...(etcdSnapshots ? { snapshots: etcdSnapshots.bootstrap } : {}),
          },
      ...(efs ? { efsFileSystemId: efs.id } : {}),
      addons: { ...config.addons },
      controlPlaneGroupName: controlPlaneGroupName(config),
      controlPlaneLifecycleHookName: controlPlaneHookName(config),
      workers: {
        autoScalingGroupName: workerNames.autoScalingGroup,
        scaling: config.workers.scaling,
        lifecycleHookName: workerNames.lifecycleHook,
        drainTimeoutSeconds: config.workers.drainTimeoutSeconds,
      },
      ...extra,
    };

    // The add-ons the cluster gets, and the AWS permissions their pods take from the node roles
    // (infra/addons/: each add-on says which role; those with AWS calls run on the servers).
    const addonContext = {
      clusterName: config.name,
      ...(efs ? { efsFileSystemArn: efs.arn } : {}),
    };
    for (const policy of addonNodePolicies(bootstrap, addonContext)) {
      for (const role of policy.roles) {
        (role === "server" ? servers : agents).addPolicy(policy.name, policy.document);
      }
    }

    servers.addPolicy(
      "cluster-secrets",
      serverSecretsPolicy({
        joinTokenArn: joinToken.arn,
        agentTokenArn: agentToken.arn,
        kubeconfigArn: kubeconfig.arn,
        ...(database ? { datastoreMasterSecretArn: database.masterSecretArn } : {}),
      }),
    );
    // The status reporter on the servers writes the cluster's one status parameter only. The
    // account id comes from a secret's ARN, through a local so the policy JSON holds no quotes.
    const accountId = new TerraformLocal(
      this,
      "account-id",
      Fn.element(Fn.split(":", kubeconfig.arn), 4),
    );
    accountId.overrideLogicalId("account_id");
    servers.addPolicy(
      "cluster-status",
      clusterStatusWriterPolicy(
        statusParameterArn({
          partition: config.partition,
          region: config.region,
          accountOf: accountId.asString,
          name: statusParameterName(config),
        }),
      ),
    );
    // Workers read the agent token only: with the join token a compromised worker could join as
    // a server and read the datastore.
    agents.addPolicy("agent-token", workerSecretsPolicy(agentToken.arn));
    agents.addPolicy(
      "bootstrap-failure",
      workerSelfHealthPolicy({
        partition: config.partition,
        region: config.region,
        name: workerNames.autoScalingGroup,
        clusterTag: { [CLUSTER_TAG_KEY]: config.name },
      }),
    );
    if (etcdSnapshots) {
      servers.addPolicy(
        "etcd-snapshots",
        etcdSnapshotPolicy(etcdSnapshots.bucketArn, etcdSnapshots.folder),
      );
    }

    /** What the two pools share, by role. */
    const common = (
      role: NodeRole,
      what: string,
      spec: { instanceType: string; rootVolumeGb: number; ami?: string | undefined },
      nodeIdentity: NodeIdentity,
      roleGroup: string,
    ) => ({
      launchTemplateName: `${config.name}-${what}`,
      description: `k3s ${role} nodes of cluster ${config.name}`,
      imageId: spec.ami ?? ubuntuImageParameter(spec.instanceType),
      instanceType: spec.instanceType,
      rootVolumeGb: spec.rootVolumeGb,
      instanceProfileArn: nodeIdentity.instanceProfile.arn,
      securityGroupIds: [props.securityGroups.nodes, roleGroup],
      imdsHopLimit: IMDS_HOP_LIMIT[role],
      userData: renderUserData(role, bootstrap),
      subnetIds: props.privateSubnetIds,
      instanceTags: {
        ...defaultTags(config),
        ...kubernetesClusterTag(config.name),
        ...nameTag(config, what),
        "k3s-bot/role": role,
      },
      launchTemplateTags: nameTag(config, what),
      // Snapshot of the policies so far: the drain policy below names the worker group, and
      // the workers need not wait for it.
      dependsOn: [...nodeIdentity.bootDependencies, ...props.natRoutes],
    });

    // --- servers: a fixed number behind the API load balancer ---
    const { controlPlane, workers } = config;
    this.servers = new NodePool(this, "servers", {
      name: "servers",
      ...common("server", "control-plane", controlPlane, servers, props.securityGroups.servers),
      groupName: controlPlaneGroupName(config),
      size: { min: controlPlane.count, max: controlPlane.count, desired: controlPlane.count },
      targetGroupArns: [props.apiTargetGroupArn],
      // A server that runs but cannot serve the API (/readyz) is replaced.
      healthCheckType: "ELB",
      healthCheckGraceSeconds: SERVER_HEALTH_CHECK_GRACE_SECONDS,
      spot: false,
      ignoreDesiredCapacity: false,
    });

    // A leaving server (instance refresh, health replacement) waits while the other servers
    // drain it and delete its node: with embedded etcd, k3s removes the member of a deleted
    // node, so a rollout never leaves dead members counting against the quorum
    // (infra/bootstrap/scripts/drain-on-terminate.sh).
    this.serverDrainHook = named(
      new AutoscalingLifecycleHook(this, "control-plane-drain-hook", {
        name: controlPlaneHookName(config),
        autoscalingGroupName: this.servers.group.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: workers.drainTimeoutSeconds + DRAIN_START_MARGIN_SECONDS,
        defaultResult: "CONTINUE",
      }),
      "servers_drain",
    );
    servers.addPolicy("server-drain", workerLifecyclePolicy(this.servers.group.arn));

    // --- workers: min..max, scaled by CPU target tracking or by cluster-autoscaler ---
    const autoscaled = workers.scaling === "clusterAutoscaler";
    this.workers = new NodePool(this, "workers", {
      name: "workers",
      ...common("agent", "worker", workers, agents, props.securityGroups.workers),
      groupName: workerNames.autoScalingGroup,
      // No desired capacity: the scaling policy or cluster-autoscaler owns it, and Terraform
      // setting it back on every apply would undo their work.
      size: { min: workers.min, max: workers.max },
      targetGroupArns: props.ingressTargetGroupArns,
      // EC2 status, not the ingress health check: a worker is healthy whether or not it runs
      // an ingress controller pod.
      healthCheckType: "EC2",
      healthCheckGraceSeconds: WORKER_HEALTH_CHECK_GRACE_SECONDS,
      spot: workers.spot,
      ignoreDesiredCapacity: autoscaled,
      // Auto-discovery tags (cluster-autoscaler AWS README): the group is found by them.
      ...(autoscaled
        ? {
            groupOnlyTags: {
              "k8s.io/cluster-autoscaler/enabled": "true",
              [`k8s.io/cluster-autoscaler/${config.name}`]: "owned",
            },
          }
        : {}),
    });
    const workerGroup = this.workers.group;

    // Scale-in waits for the node to drain, then goes on. The servers notice a terminating
    // worker on their next poll (k3s-bot-drain.timer: every 20 s, 5 s accuracy) and then give the
    // drain drainTimeoutSeconds: the hook waits that long plus the poll and the API calls, so a
    // drain that uses its whole time is not cut short by the hook running out first.
    this.workerDrainHook = named(
      new AutoscalingLifecycleHook(this, "worker-drain-hook", {
        name: workerNames.lifecycleHook,
        autoscalingGroupName: workerGroup.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: workers.drainTimeoutSeconds + DRAIN_START_MARGIN_SECONDS,
        defaultResult: "CONTINUE",
      }),
      "workers_drain",
    );
    // The drain runs on the servers (they hold the admin kubeconfig, see
    // infra/bootstrap/scripts/drain-on-terminate.sh): only their role completes the action,
    // and only on this group. Workers get no such permission.
    servers.addPolicy("worker-drain", workerLifecyclePolicy(workerGroup.arn));

    if (workers.scaling === "cpu") {
      this.workerCpuPolicy = named(
        new AutoscalingPolicy(this, "worker-cpu-policy", {
          name: `${config.name}-worker-cpu`,
          autoscalingGroupName: workerGroup.name,
          policyType: "TargetTrackingScaling",
          targetTrackingConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: workers.cpuTarget,
          },
        }),
        "workers_cpu",
      );
    }
  }
}
