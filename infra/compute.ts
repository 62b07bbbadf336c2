/**
 * The nodes (docs/architecture.md, "infra/"): IAM roles and instance profiles, the cluster's secrets,
 * launch templates, the fixed-size control-plane group and the scaling worker group.
 *
 * Nodes have no SSH key and no port 22: operators use SSM Session Manager. Their AMI is the
 * current Ubuntu 24.04 image, resolved by EC2 at launch from Canonical's public SSM parameter,
 * so a plan needs no AWS call and new instances pick up patched images.
 */

import {
  AutoscalingGroup,
  type AutoscalingGroupTag,
} from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Fn, type ITerraformDependable, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { type BootstrapParams, type NodeRole, renderUserData } from "./bootstrap/user-data";
import type { Database } from "./database";
import { DATASTORE_DB_NAME, rdsCaBundleUrl } from "./database";
import type { ClusterConfig } from "./definition/config";
import { instanceArchitecture } from "./definition/instance-types";
import type { EtcdSnapshots } from "./etcd-snapshots";
import {
  cloudProviderControlPlanePolicy,
  cloudProviderNodePolicy,
  clusterAutoscalerPolicy,
  ec2AssumeRolePolicy,
  efsCsiControllerPolicy,
  efsCsiNodePolicy,
  etcdSnapshotPolicy,
  type PolicyDocument,
  policyJson,
  serverSecretsPolicy,
  ssmManagedInstanceCoreArn,
  workerLifecyclePolicy,
  workerSecretsPolicy,
  workerSelfHealthPolicy,
} from "./iam-policies";
import type { LoadBalancing } from "./load-balancing";
import {
  CLUSTER_TAG_KEY,
  defaultTags,
  iamName,
  kubernetesClusterTag,
  nameTag,
  secretNames,
  workerGroupNames,
} from "./naming";
import type { Networking } from "./networking";
import type { SharedStorage } from "./storage";

/** The control-plane group's name, known before the group exists (servers look it up at boot). */
function controlPlaneGroupName(config: ClusterConfig): string {
  return `${config.name}-control-plane`;
}

/** Seconds a new server gets to install k3s and pass the API health check. */
const SERVER_HEALTH_CHECK_GRACE_SECONDS = 600;
const WORKER_HEALTH_CHECK_GRACE_SECONDS = 300;
const INSTANCE_WARMUP_SECONDS = 300;

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

/** Canonical's public parameter for the current Ubuntu 24.04 LTS image (gp3 root volume). */
export function ubuntuImageParameter(instanceType: string): string {
  const arch = instanceArchitecture(instanceType);
  return `resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}

/** A cdktf string token, as `Token.asString()` encodes it (captured, for `split`). */
const STRING_TOKEN = /(\$\{TfToken\[[A-Za-z0-9_.-]+\]\})/;

/**
 * `base64gzip()` of a script that contains Terraform references, without passing its text
 * through cdktf's expression rendering. cdktf re-escapes string literals given to functions
 * (`${` → `$${` on top of the escaping renderUserData already did, quotes rejected) and, in a
 * plain string that mixes tokens with `$${…}`, reads `${…}` as raw expressions. So the literal
 * pieces between references go, token-free and verbatim, into a list local (Terraform reads
 * each as a template, where `$${` is the escape renderUserData wrote), and the expression only
 * joins list elements and references: `base64gzip(join("", [element(local.x, 0), aws_lb…]))`.
 */
function userDataExpression(scope: Construct, id: string, text: string): string {
  const pieces = text.split(STRING_TOKEN);
  const literals = pieces.filter((_, index) => index % 2 === 0);
  const references = pieces.filter((_, index) => index % 2 === 1);
  const local = new TerraformLocal(scope, id, literals);
  const parts: string[] = [];
  literals.forEach((literal, index) => {
    if (literal !== "") parts.push(Fn.element(local.asList, index));
    const reference = references[index];
    if (reference !== undefined) parts.push(reference);
  });
  return Fn.base64gzip(Fn.join("", parts));
}

/** An instance role, its instance profile and its inline policies. */
export class NodeIdentity extends Construct {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly ssmAttachment: IamRolePolicyAttachment;
  readonly policies: Record<string, IamRolePolicy> = {};

  constructor(
    scope: Construct,
    id: string,
    config: ClusterConfig,
    what: string,
    description: string,
  ) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: iamName(config, what),
      description,
      assumeRolePolicy: policyJson(ec2AssumeRolePolicy()),
      tags: nameTag(config, what),
    });
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", {
      name: iamName(config, what),
      role: this.role.name,
      tags: nameTag(config, what),
    });
    this.ssmAttachment = new IamRolePolicyAttachment(this, "ssm", {
      role: this.role.name,
      policyArn: ssmManagedInstanceCoreArn(config.partition),
    });
  }

  addPolicy(name: string, policy: PolicyDocument): IamRolePolicy {
    const resource = new IamRolePolicy(this, `policy-${name}`, {
      name,
      role: this.role.id,
      policy: policyJson(policy),
    });
    this.policies[name] = resource;
    return resource;
  }

  /** What must exist before an instance with this profile boots. */
  get bootDependencies(): ITerraformDependable[] {
    return [this.instanceProfile, this.ssmAttachment, ...Object.values(this.policies)];
  }
}

/** Bootstrap inputs the run engine knows and the cluster definition does not. */
export type NodeBootstrapOptions = Partial<Pick<BootstrapParams, "gitops" | "k3sInstallerSha256">>;

export interface ComputeProps {
  config: ClusterConfig;
  bootstrap: NodeBootstrapOptions;
  networking: Networking;
  loadBalancing: LoadBalancing;
  database?: Database;
  storage?: SharedStorage;
  /** The snapshot bucket, with embedded etcd. */
  etcdSnapshots?: EtcdSnapshots;
}

export class Compute extends Construct {
  /** Created empty: the first server writes the value at boot, so it is never in state. */
  readonly joinTokenSecret: SecretsmanagerSecret;
  /** The agent token, the only token workers can read; created empty like the join token. */
  readonly agentTokenSecret: SecretsmanagerSecret;
  readonly kubeconfigSecret: SecretsmanagerSecret;
  readonly controlPlaneIdentity: NodeIdentity;
  readonly workerIdentity: NodeIdentity;
  readonly controlPlaneLaunchTemplate: LaunchTemplate;
  readonly workerLaunchTemplate: LaunchTemplate;
  readonly controlPlaneGroup: AutoscalingGroup;
  readonly workerGroup: AutoscalingGroup;
  readonly workerLifecycleHook: AutoscalingLifecycleHook;
  /** Only when `workers.scaling` is `cpu`. */
  readonly workerCpuPolicy?: AutoscalingPolicy;

  constructor(scope: Construct, id: string, props: ComputeProps) {
    super(scope, id);
    const { config, networking, loadBalancing, database, storage, etcdSnapshots } = props;
    const extra = props.bootstrap;
    const { securityGroups } = networking;
    const workerNames = workerGroupNames(config);
    const secrets = secretNames(config);

    // --- secrets (no secret version: values are created on the first server) ---
    const secret = (logicalId: string, name: string, description: string) =>
      new SecretsmanagerSecret(this, logicalId, {
        name,
        description,
        // Delete at once on destroy, so a cluster of the same name can be created again.
        recoveryWindowInDays: 0,
        tags: nameTag(config, logicalId),
      });
    this.joinTokenSecret = secret(
      "join-token",
      secrets.joinToken,
      `k3s join (server) token of cluster ${config.name}, written by its first server`,
    );
    this.agentTokenSecret = secret(
      "agent-token",
      secrets.agentToken,
      `k3s agent token of cluster ${config.name} (joins workers, not servers), written by its first server`,
    );
    this.kubeconfigSecret = secret(
      "kubeconfig",
      secrets.kubeconfig,
      `Admin kubeconfig of cluster ${config.name}, written by its first server`,
    );

    // --- IAM ---
    this.controlPlaneIdentity = new NodeIdentity(
      this,
      "control-plane-identity",
      config,
      "control-plane",
      `k3s servers of cluster ${config.name}`,
    );
    this.workerIdentity = new NodeIdentity(
      this,
      "worker-identity",
      config,
      "worker",
      `k3s agents of cluster ${config.name}`,
    );
    const servers = this.controlPlaneIdentity;
    const agents = this.workerIdentity;

    // Add-ons with AWS permissions (cloud controller, EFS CSI controller, cluster-autoscaler)
    // are scheduled on the servers, so their policies go on the server role only.
    servers.addPolicy("cloud-controller-manager", cloudProviderControlPlanePolicy());
    servers.addPolicy("cloud-provider-node", cloudProviderNodePolicy());
    agents.addPolicy("cloud-provider-node", cloudProviderNodePolicy());
    servers.addPolicy(
      "cluster-secrets",
      serverSecretsPolicy({
        joinTokenArn: this.joinTokenSecret.arn,
        agentTokenArn: this.agentTokenSecret.arn,
        kubeconfigArn: this.kubeconfigSecret.arn,
        ...(database ? { datastoreMasterSecretArn: database.masterSecretArn } : {}),
      }),
    );
    // Workers read the agent token only: with the join token a compromised worker could join as
    // a server and read the datastore.
    agents.addPolicy("agent-token", workerSecretsPolicy(this.agentTokenSecret.arn));
    agents.addPolicy(
      "bootstrap-failure",
      workerSelfHealthPolicy({
        partition: config.partition,
        region: config.region,
        name: workerNames.autoScalingGroup,
        clusterTag: { [CLUSTER_TAG_KEY]: config.name },
      }),
    );
    if (storage) {
      servers.addPolicy("efs-csi-controller", efsCsiControllerPolicy());
      for (const identity of [servers, agents]) {
        identity.addPolicy("efs-csi-node", efsCsiNodePolicy(storage.fileSystem.arn));
      }
    }
    if (config.workers.scaling === "clusterAutoscaler") {
      servers.addPolicy("cluster-autoscaler", clusterAutoscalerPolicy(config.name));
    }
    if (etcdSnapshots) {
      servers.addPolicy(
        "etcd-snapshots",
        etcdSnapshotPolicy(etcdSnapshots.bucket.arn, etcdSnapshots.folder),
      );
    }

    // --- launch templates ---
    const bootstrap: BootstrapParams = {
      clusterName: config.name,
      region: config.region,
      k3sVersion: config.k3s.version,
      apiEndpoint: loadBalancing.apiLoadBalancer.dnsName,
      joinTokenSecretArn: this.joinTokenSecret.arn,
      agentTokenSecretArn: this.agentTokenSecret.arn,
      kubeconfigSecretArn: this.kubeconfigSecret.arn,
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
            ...(etcdSnapshots ? { snapshots: etcdSnapshots.bootstrapParams() } : {}),
          },
      ...(storage ? { efsFileSystemId: storage.fileSystem.id } : {}),
      addons: { ...config.addons },
      controlPlaneGroupName: controlPlaneGroupName(config),
      workers: {
        autoScalingGroupName: workerNames.autoScalingGroup,
        scaling: config.workers.scaling,
        lifecycleHookName: workerNames.lifecycleHook,
        drainTimeoutSeconds: config.workers.drainTimeoutSeconds,
      },
      ...extra,
    };

    const launchTemplate = (
      what: string,
      role: NodeRole,
      spec: { instanceType: string; rootVolumeGb: number },
      identity: NodeIdentity,
      groups: SecurityGroup[],
    ) => {
      const instanceTags = {
        ...defaultTags(config),
        ...kubernetesClusterTag(config.name),
        ...nameTag(config, what),
        "k3s-bot/role": role,
      };
      return new LaunchTemplate(this, `${what}-launch-template`, {
        name: `${config.name}-${what}`,
        description: `k3s ${role} nodes of cluster ${config.name}`,
        imageId: ubuntuImageParameter(spec.instanceType),
        instanceType: spec.instanceType,
        iamInstanceProfile: { arn: identity.instanceProfile.arn },
        vpcSecurityGroupIds: groups.map((group) => group.id),
        metadataOptions: {
          httpEndpoint: "enabled",
          // IMDSv2 only: a token is required, which blocks SSRF-style credential theft.
          httpTokens: "required",
          httpPutResponseHopLimit: IMDS_HOP_LIMIT[role],
        },
        blockDeviceMappings: [
          {
            // Root device of Canonical's Ubuntu AMIs.
            deviceName: "/dev/sda1",
            ebs: {
              volumeSize: spec.rootVolumeGb,
              volumeType: "gp3",
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        // cloud-init reads gzip; compressing keeps the script under EC2's 16 KB limit.
        userData: userDataExpression(this, `${what}-user-data`, renderUserData(role, bootstrap)),
        // A new version becomes the default, so the console and `aws ec2 run-instances` agree.
        updateDefaultVersion: true,
        // Provider default_tags reach neither the instances an ASG launches nor their volumes.
        tagSpecifications: [
          { resourceType: "instance", tags: instanceTags },
          { resourceType: "volume", tags: instanceTags },
        ],
        tags: nameTag(config, what),
      });
    };

    this.controlPlaneLaunchTemplate = launchTemplate(
      "control-plane",
      "server",
      config.controlPlane,
      servers,
      [securityGroups.nodes, securityGroups.controlPlane],
    );
    this.workerLaunchTemplate = launchTemplate("worker", "agent", config.workers, agents, [
      securityGroups.nodes,
      securityGroups.worker,
    ]);

    // Default tags do not reach ASGs (the provider leaves them out) nor the instances they
    // launch: tag blocks, propagated at launch.
    const groupTags = (what: string, extra: Record<string, string> = {}): AutoscalingGroupTag[] =>
      Object.entries({
        ...defaultTags(config),
        ...kubernetesClusterTag(config.name),
        ...nameTag(config, what),
        ...extra,
      }).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));

    const privateSubnetIds = networking.privateSubnets.map((subnet) => subnet.id);
    const bootDependencies = (identity: NodeIdentity): ITerraformDependable[] => [
      ...identity.bootDependencies,
      // Nodes download k3s at first boot: the NAT routes must be in place.
      ...networking.privateDefaultRoutes,
    ];
    const launchBeforeTerminate = {
      strategy: "Rolling",
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        instanceWarmup: String(INSTANCE_WARMUP_SECONDS),
      },
    };

    // --- control plane: a fixed number of servers behind the API load balancer ---
    const { controlPlane } = config;
    // One server with embedded etcd holds the only copy of the cluster state on its disk:
    // a refresh would replace it with an empty one. Replace such a server deliberately.
    const refreshServers = !(config.datastore.engine === "etcd" && controlPlane.count === 1);
    this.controlPlaneGroup = new AutoscalingGroup(this, "control-plane-group", {
      name: controlPlaneGroupName(config),
      minSize: controlPlane.count,
      maxSize: controlPlane.count,
      desiredCapacity: controlPlane.count,
      vpcZoneIdentifier: privateSubnetIds,
      launchTemplate: {
        id: this.controlPlaneLaunchTemplate.id,
        version: Token.asString(this.controlPlaneLaunchTemplate.latestVersion),
      },
      targetGroupArns: [loadBalancing.apiTargetGroup.arn],
      // A server that runs but cannot serve the API (/readyz) is replaced.
      healthCheckType: "ELB",
      healthCheckGracePeriod: SERVER_HEALTH_CHECK_GRACE_SECONDS,
      defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
      // New servers come up and turn healthy before old ones go: the API stays available.
      ...(refreshServers ? { instanceRefresh: launchBeforeTerminate } : {}),
      tag: groupTags("control-plane", { "k3s-bot/role": "server" }),
      dependsOn: bootDependencies(servers),
    });

    // --- workers: min..max, scaled by CPU target tracking or by cluster-autoscaler ---
    const { workers } = config;
    const workerTemplate = {
      id: this.workerLaunchTemplate.id,
      version: Token.asString(this.workerLaunchTemplate.latestVersion),
    };
    const autoscalerTags: AutoscalingGroupTag[] =
      workers.scaling === "clusterAutoscaler"
        ? [
            // Auto-discovery tags (cluster-autoscaler AWS README): the group is found by them.
            { key: "k8s.io/cluster-autoscaler/enabled", value: "true", propagateAtLaunch: false },
            {
              key: `k8s.io/cluster-autoscaler/${config.name}`,
              value: "owned",
              propagateAtLaunch: false,
            },
          ]
        : [];
    const ingress = loadBalancing.ingress;
    this.workerGroup = new AutoscalingGroup(this, "worker-group", {
      name: workerNames.autoScalingGroup,
      minSize: workers.min,
      maxSize: workers.max,
      // No desired_capacity: the scaling policy or cluster-autoscaler owns it, and Terraform
      // setting it back on every apply would undo their work.
      vpcZoneIdentifier: privateSubnetIds,
      ...(workers.spot
        ? {
            mixedInstancesPolicy: {
              instancesDistribution: {
                onDemandBaseCapacity: 0,
                onDemandPercentageAboveBaseCapacity: 0,
                // AWS's recommended strategy: deep capacity pools first, then price.
                spotAllocationStrategy: "price-capacity-optimized",
              },
              launchTemplate: {
                launchTemplateSpecification: {
                  launchTemplateId: workerTemplate.id,
                  version: workerTemplate.version,
                },
                override: [{ instanceType: workers.instanceType }],
              },
            },
            // Replace a Spot worker at risk of interruption before it is reclaimed.
            capacityRebalance: true,
          }
        : { launchTemplate: workerTemplate }),
      targetGroupArns: ingress ? [ingress.httpTargetGroup.arn, ingress.httpsTargetGroup.arn] : [],
      // EC2 status, not the ingress health check: a worker is healthy whether or not it runs
      // an ingress controller pod.
      healthCheckType: "EC2",
      healthCheckGracePeriod: WORKER_HEALTH_CHECK_GRACE_SECONDS,
      defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
      instanceRefresh: launchBeforeTerminate,
      tag: [...groupTags("worker", { "k3s-bot/role": "agent" }), ...autoscalerTags],
      ...(workers.scaling === "clusterAutoscaler"
        ? { lifecycle: { ignoreChanges: ["desired_capacity"] } }
        : {}),
      dependsOn: bootDependencies(agents),
    });

    // Scale-in waits for the node to drain, then goes on. The servers notice a terminating
    // worker on their next poll (k3s-bot-drain.timer: every 20 s, 5 s accuracy) and then give the
    // drain drainTimeoutSeconds: the hook waits that long plus the poll and the API calls, so a
    // drain that uses its whole time is not cut short by the hook running out first.
    this.workerLifecycleHook = new AutoscalingLifecycleHook(this, "worker-drain-hook", {
      name: workerNames.lifecycleHook,
      autoscalingGroupName: this.workerGroup.name,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
      heartbeatTimeout: workers.drainTimeoutSeconds + DRAIN_START_MARGIN_SECONDS,
      defaultResult: "CONTINUE",
    });
    // The drain runs on the servers (they hold the admin kubeconfig, see
    // infra/bootstrap/scripts/drain-on-terminate.sh): only their role completes the action,
    // and only on this group. Workers get no such permission.
    servers.addPolicy("worker-drain", workerLifecyclePolicy(this.workerGroup.arn));

    if (workers.scaling === "cpu") {
      this.workerCpuPolicy = new AutoscalingPolicy(this, "worker-cpu-policy", {
        name: `${config.name}-worker-cpu`,
        autoscalingGroupName: this.workerGroup.name,
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
          targetValue: workers.cpuTarget,
        },
      });
    }
  }
}
