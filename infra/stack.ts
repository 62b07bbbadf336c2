/**
 * One k3s cluster on AWS as a Terraform stack (docs/architecture.md, "infra/"). It reads only the resolved
 * `ClusterConfig` and makes no AWS call at synth or plan time: no data sources, zones from the
 * config, the AMI resolved by EC2 at launch, and ARNs taken from resource attributes.
 *
 * Production defaults live here; tests and the emulator demo adjust the backend and the
 * provider through `StackOptions` and reach individual resources through the public fields.
 */

import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Fn, type TerraformBackend, TerraformLocal, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { ReadablyAddressedStack } from "./addresses";
import { Compute, type NodeBootstrapOptions } from "./compute";
import { Database } from "./database";
import type { ClusterConfig } from "./definition/config";
import { EtcdSnapshots } from "./etcd-snapshots";
import { moveFromFormerAddresses } from "./former-addresses";
import { nodeBoundaryArn } from "./iam-boundary";
import { LoadBalancing } from "./load-balancing";
import { defaultTags } from "./naming";
import { Networking } from "./networking";
import { PORTS } from "./ports";
import { ClusterSecurityGroups } from "./security-groups";
import { type BackendOption, configureStateBackend } from "./state-backend";
import { SharedStorage } from "./storage";
import { MINIMUM_TERRAFORM } from "./terraform-version";
import { forgetDefaultSecurityGroup, VpcAudit } from "./vpc-audit";

export type { BackendOption } from "./state-backend";

export interface StackOptions {
  /** Where state lives; S3 from `config.state` unless told otherwise. */
  backend?: BackendOption;
  /**
   * Extra arguments of the `aws` provider block, by their Terraform names (`endpoints`,
   * `skip_credentials_validation`, `access_key`…), merged over the defaults. For emulators
   * and tests; production needs none.
   */
  providerOverrides?: Record<string, unknown>;
  /**
   * Node bootstrap inputs that are not part of the cluster definition: where Argo CD reads the
   * cluster's manifests (required when `addons.argocd` is on) and the k3s installer digest.
   */
  bootstrap?: NodeBootstrapOptions;
  /**
   * The AWS account the stack is applied in, as the run engine learned it (STS
   * GetCallerIdentity, or the account of `aws.roleArn`); names the roles' permissions boundary.
   * Without it (and without `aws.accountId`), see `roleAccount`.
   */
  accountId?: string;
}

/**
 * The account the roles are created in, for the ARN of their permissions boundary and the
 * flow-log role's confused-deputy condition: the definition's `aws.accountId`, else the account
 * of `aws.roleArn`, else the one the engine passes. When none is known at synth (`k3s-bot
 * synth`, an offline plan), Terraform takes it from the VPC's ARN (`arn:<partition>:ec2:
 * <region>:<account>:vpc/…`, the ARN format of the IAM User Guide's "IAM identifiers"), so the
 * stack still makes no AWS call of its own and no role is ever created without the boundary.
 */
export function roleAccount(
  scope: Construct,
  config: ClusterConfig,
  options: StackOptions,
  vpcArn: string,
): string {
  const known = config.aws.accountId || config.aws.roleArn?.split(":")[4] || options.accountId;
  if (known) return known;
  // A local, so the policies that name it stay plain JSON with a `${local.…}` reference.
  return new TerraformLocal(scope, "role_account", Fn.element(Fn.split(":", vpcArn), 4)).asString;
}

/**
 * Every resource has a readable address (infra/addresses.ts) and a `moved` block from the
 * address cdktf gave it before (infra/former-addresses.ts).
 */
export class K3sClusterStack extends ReadablyAddressedStack {
  readonly config: ClusterConfig;
  readonly provider: AwsProvider;
  readonly backend: TerraformBackend;
  readonly networking: Networking;
  readonly securityGroups: ClusterSecurityGroups;
  readonly vpcAudit: VpcAudit;
  readonly loadBalancing: LoadBalancing;
  /** Only with `datastore.engine: postgres`. */
  readonly database?: Database;
  /** Only with `storage.efs: true`. */
  readonly storage?: SharedStorage;
  /** With embedded etcd: the bucket of k3s' etcd snapshots. */
  readonly etcdSnapshots?: EtcdSnapshots;
  readonly compute: Compute;

  constructor(scope: Construct, id: string, config: ClusterConfig, options: StackOptions = {}) {
    super(scope, id);
    this.config = config;
    this.addOverride("terraform.required_version", `>= ${MINIMUM_TERRAFORM}`);

    this.provider = new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: defaultTags(config) }],
      // Refuse to touch any other account than the one the definition names.
      ...(config.aws.accountId ? { allowedAccountIds: [config.aws.accountId] } : {}),
      ...(config.aws.roleArn
        ? { assumeRole: [{ roleArn: config.aws.roleArn, sessionName: `k3s-bot-${config.name}` }] }
        : {}),
    });
    for (const [key, value] of Object.entries(options.providerOverrides ?? {})) {
      this.provider.addOverride(key, value);
    }
    this.backend = configureStateBackend(this, config, options.backend);

    const { network } = config;
    const networking = new Networking(this, "networking", {
      clusterName: config.name,
      vpcCidr: network.vpcCidr,
      availabilityZones: network.availabilityZones,
      subnets: network.subnets,
      natGateways: network.natGateways,
    });
    this.networking = networking;
    const ids = (resources: { id: string }[]) => resources.map((resource) => resource.id);
    const securityGroups = new ClusterSecurityGroups(this, "security-groups", {
      clusterName: config.name,
      vpcId: networking.vpc.id,
      adminCidrs: network.adminCidrs,
      ingressCidrs: network.ingressCidrs,
      apiEndpoint: network.apiEndpoint,
      natPublicIps: networking.natEips.map((eip) => eip.publicIp),
      embeddedEtcd: config.datastore.engine === "etcd",
      ingress: config.addons.ingress !== "none",
      database: config.datastore.engine === "postgres",
      efs: config.storage.efs,
    });
    this.securityGroups = securityGroups;
    const account = roleAccount(this, config, options, networking.vpc.arn);
    const permissionsBoundary = nodeBoundaryArn(config.partition, account);
    forgetDefaultSecurityGroup(this);
    this.vpcAudit = new VpcAudit(this, "vpc-audit", {
      cluster: config,
      vpcId: networking.vpc.id,
      account,
      permissionsBoundary,
    });
    this.loadBalancing = new LoadBalancing(this, "load-balancing", {
      clusterName: config.name,
      vpcId: networking.vpc.id,
      apiEndpoint: network.apiEndpoint,
      publicSubnetIds: ids(networking.publicSubnets),
      privateSubnetIds: ids(networking.privateSubnets),
      apiSecurityGroupId: securityGroups.apiLoadBalancer.id,
      ...(securityGroups.ingressLoadBalancer
        ? { ingressSecurityGroupId: securityGroups.ingressLoadBalancer.id }
        : {}),
    });
    if (securityGroups.database) {
      this.database = new Database(this, "database", {
        clusterName: config.name,
        datastore: config.datastore,
        subnetIds: ids(networking.databaseSubnets),
        securityGroupId: securityGroups.database.id,
      });
    }
    if (securityGroups.efs) {
      this.storage = new SharedStorage(this, "storage", {
        clusterName: config.name,
        nodeSubnets: networking.privateSubnets.map((subnet, index) => ({
          zone: network.availabilityZones[index] as string,
          subnetId: subnet.id,
        })),
        securityGroupId: securityGroups.efs.id,
      });
    }
    if (config.datastore.engine === "etcd" && config.datastore.snapshots.enabled) {
      this.etcdSnapshots = new EtcdSnapshots(this, "etcd-snapshots", config);
    }
    const { ingress } = this.loadBalancing;
    this.compute = new Compute(this, "compute", {
      config,
      bootstrap: options.bootstrap ?? {},
      permissionsBoundary,
      privateSubnetIds: ids(networking.privateSubnets),
      natRoutes: networking.privateDefaultRoutes,
      securityGroups: {
        nodes: securityGroups.nodes.id,
        servers: securityGroups.controlPlane.id,
        workers: securityGroups.worker.id,
      },
      apiEndpoint: this.loadBalancing.apiLoadBalancer.dnsName,
      apiTargetGroupArn: this.loadBalancing.apiTargetGroup.arn,
      ingressTargetGroupArns: ingress
        ? [ingress.httpTargetGroup.arn, ingress.httpsTargetGroup.arn]
        : [],
      ...(this.database ? { database: this.database } : {}),
      ...(this.storage
        ? { efs: { id: this.storage.fileSystem.id, arn: this.storage.fileSystem.arn } }
        : {}),
      ...(this.etcdSnapshots
        ? {
            etcdSnapshots: {
              bucketArn: this.etcdSnapshots.bucket.arn,
              folder: this.etcdSnapshots.folder,
              bootstrap: this.etcdSnapshots.bootstrapParams(),
            },
          }
        : {}),
    });

    this.addOutputs();
    moveFromFormerAddresses(this, config);
  }

  /** What the next steps (templates, kubeconfig retrieval, tests) read from the state. */
  private addOutputs(): void {
    const output = (name: string, value: unknown, description: string, sensitive = false) =>
      new TerraformOutput(this, name, { value, description, sensitive });
    const { config, networking, loadBalancing, compute } = this;
    const apiDns = loadBalancing.apiLoadBalancer.dnsName;

    output("cluster_name", config.name, "Cluster name");
    output("region", config.region, "AWS region");
    output("api_endpoint", apiDns, "DNS name of the Kubernetes API load balancer");
    output("api_url", `https://${apiDns}:${PORTS.kubernetesApi}`, "Kubernetes API URL");
    if (loadBalancing.ingress) {
      output("ingress_dns", loadBalancing.ingress.loadBalancer.dnsName, "Ingress load balancer");
    }
    output("vpc_id", networking.vpc.id, "VPC id");
    output(
      "public_subnet_ids",
      networking.publicSubnets.map((subnet) => subnet.id),
      "Public subnets, one per zone",
    );
    output(
      "private_subnet_ids",
      networking.privateSubnets.map((subnet) => subnet.id),
      "Private (node) subnets, one per zone",
    );
    output(
      "database_subnet_ids",
      networking.databaseSubnets.map((subnet) => subnet.id),
      "Database subnets, one per zone",
    );
    output(
      "nat_public_ips",
      networking.natEips.map((eip) => eip.publicIp),
      "Addresses the nodes reach the internet from",
    );
    output("control_plane_asg_name", compute.servers.group.name, "k3s servers' ASG");
    output("worker_asg_name", compute.workers.group.name, "k3s agents' ASG");
    output(
      "worker_lifecycle_hook_name",
      compute.workerDrainHook.name,
      "Termination hook that waits for a worker to drain",
    );
    output("control_plane_role_arn", compute.serverIdentity.role.arn, "Server role");
    output("worker_role_arn", compute.workerIdentity.role.arn, "Agent role");
    output(
      "join_token_secret_arn",
      compute.secrets.joinToken.arn,
      "Secret holding the k3s join token (written at first boot)",
    );
    output(
      "kubeconfig_secret_arn",
      compute.secrets.kubeconfig.arn,
      "Secret holding the admin kubeconfig (written at first boot)",
    );
    if (this.storage) {
      output("efs_id", this.storage.fileSystem.id, "EFS file system for the efs StorageClass");
    }
    if (this.etcdSnapshots) {
      output(
        "etcd_snapshot_bucket",
        this.etcdSnapshots.bucket.id,
        `Bucket of the etcd snapshots (folder ${this.etcdSnapshots.folder}/)`,
      );
    }
    if (this.database) {
      output("db_endpoint", this.database.instance.endpoint, "RDS endpoint (host:port)");
      output(
        "db_master_secret_arn",
        this.database.masterSecretArn,
        "RDS-managed secret of the datastore's master user",
      );
    }
  }
}
