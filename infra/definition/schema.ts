/**
 * The cluster definition (`clusters/<name>.yaml`): the one source of truth for its TypeScript
 * types, its runtime validation and the JSON Schema shipped in `schema/` for editors.
 *
 * This file holds the shape and the per-field rules. Rules that relate several fields
 * (overlapping CIDRs, min ≤ max, zones that exist in the region) live in `rules.ts`, and the
 * derivation of everything the stack needs (zones, subnet CIDRs, state key) in `resolve.ts`.
 * Descriptions here are user-facing: they feed the JSON Schema and the README reference.
 */
import { z } from "zod";
import { addonSwitchFields } from "../addons/registry";

/** Cluster names end up in AWS resource names; NLB and target-group names allow 32 characters. */
export const CLUSTER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;

/** k3s release tags, e.g. v1.33.5+k3s1. */
export const K3S_VERSION_PATTERN = /^v1\.\d{2}\.\d{1,2}\+k3s\d+$/;

const cidr = () => z.cidrv4({ error: "expected an IPv4 CIDR block such as 10.20.0.0/16" });

const awsTagKey = z
  .string()
  .min(1)
  .max(128)
  .refine(
    (key) => !key.toLowerCase().startsWith("aws:"),
    "tag keys starting with aws: are reserved",
  );

export const NetworkSchema = z
  .strictObject({
    vpcCidr: cidr()
      .default("10.20.0.0/16")
      .describe("IPv4 range of the cluster's VPC, between /16 and /22."),
    azCount: z
      .number()
      .int()
      .min(2)
      .max(6)
      .default(3)
      .describe(
        "How many availability zones to spread subnets and nodes over (2 to 6; RDS needs at least 2).",
      ),
    availabilityZones: z
      .array(
        z
          .string()
          .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "expected a zone name such as eu-central-1a"),
      )
      .min(2)
      .max(6)
      .optional()
      .describe(
        "Zone names to use, e.g. [eu-central-1a, eu-central-1b]. Defaults to the region's first `azCount` zones. Must match `azCount` when both are set.",
      ),
    adminCidrs: z
      .array(cidr())
      .min(1, "list at least one CIDR block that may reach the Kubernetes API")
      .max(50)
      .describe(
        "Who may reach the Kubernetes API (TCP 6443) from outside the VPC, e.g. your office or VPN egress as 203.0.113.7/32. Required: there is no safe default.",
      ),
    ingressCidrs: z
      .array(cidr())
      .min(1)
      .max(50)
      .default(["0.0.0.0/0"])
      .describe("Who may reach the ingress load balancer on ports 80 and 443."),
    natGateways: z
      .enum(["single", "perAz"])
      .default("single")
      .describe(
        "One NAT gateway for the whole VPC (cheaper) or one per zone (survives the loss of a zone).",
      ),
    apiEndpoint: z
      .enum(["public", "private"])
      .default("public")
      .describe(
        "Whether the Kubernetes API load balancer is internet-facing (reachable from `adminCidrs` only) or internal to the VPC (reach it over VPN or peering).",
      ),
    subnets: z
      .strictObject({
        public: z
          .array(cidr())
          .optional()
          .describe("One CIDR per zone for load balancers and NAT gateways."),
        private: z.array(cidr()).optional().describe("One CIDR per zone for the nodes."),
        database: z.array(cidr()).optional().describe("One CIDR per zone for the database."),
      })
      .optional()
      .describe(
        "Explicit subnet CIDRs, one per zone. By default they are carved out of `vpcCidr`: private subnets get 1/8 of the VPC each, public and database subnets 1/64.",
      ),
  })
  .describe("The VPC and who may reach what.");

/**
 * An AMI id: `ami-` and 8 (older) or 17 hex digits (EC2 API reference, "Resource IDs":
 * IDs created since 2016-2018 have 17 characters after the prefix, older ones 8).
 */
export const AMI_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

const ami = (role: string) =>
  z
    .string()
    .regex(AMI_ID_PATTERN, "expected an AMI id such as ami-0123456789abcdef0")
    .optional()
    .describe(
      `AMI of the ${role}, pinned (an Ubuntu 24.04 image of the instance type's architecture). When absent, each plan resolves Canonical's current Ubuntu 24.04 image from its public SSM parameter and shows it; the saved plan applies exactly that image either way.`,
    );

const instanceType = (example: string) =>
  z
    .string()
    // Sizes may hold a hyphen (c7i.metal-24xl); rules.ts checks the name against EC2's list.
    .regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, `expected an EC2 instance type such as ${example}`);

export const ControlPlaneSchema = z
  .strictObject({
    count: z
      .number()
      .int()
      .default(1)
      .describe(
        "Number of k3s servers: 1 (dev/test), or 2 or 3 (highly available). With `datastore.engine: etcd` the count must be odd (1 or 3): embedded etcd needs a majority to keep quorum.",
      ),
    instanceType: instanceType("t3.medium")
      .default("t3.medium")
      .describe("EC2 instance type of the k3s servers (at least 2 GB memory)."),
    rootVolumeGb: z
      .number()
      .int()
      .min(20)
      .max(1000)
      .default(30)
      .describe("Root volume size in GiB (gp3, encrypted)."),
    ami: ami("k3s servers"),
  })
  .describe("The k3s servers.");

export const WorkersSchema = z
  .strictObject({
    min: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(1)
      .describe(
        "Smallest number of worker nodes; at least 1, since the add-ons are installed from a worker.",
      ),
    max: z.number().int().min(1).max(500).default(3).describe("Largest number of worker nodes."),
    instanceType: instanceType("t3.large")
      .default("t3.large")
      .describe("EC2 instance type of the workers."),
    rootVolumeGb: z
      .number()
      .int()
      .min(20)
      .max(2000)
      .default(50)
      .describe("Root volume size in GiB (gp3, encrypted)."),
    ami: ami("workers"),
    spot: z
      .boolean()
      .default(false)
      .describe(
        "Run workers on Spot capacity (cheaper, can be reclaimed with two minutes' notice).",
      ),
    scaling: z
      .enum(["cpu", "clusterAutoscaler"])
      .default("cpu")
      .describe(
        "Who changes the worker count: an ASG target-tracking policy on average CPU (`cpu`), or the Kubernetes cluster-autoscaler from pending pods (`clusterAutoscaler`). One at a time: both would fight over the same desired capacity.",
      ),
    cpuTarget: z
      .number()
      .int()
      .min(10)
      .max(95)
      .default(80)
      .describe(
        "Average CPU utilisation (percent) the `cpu` scaling mode keeps the workers at. Not allowed with `scaling: clusterAutoscaler`, which ignores it.",
      ),
    drainTimeoutSeconds: z
      .number()
      .int()
      .min(30)
      // AWS caps a lifecycle hook's heartbeat at 7200 s; the hook waits 60 s longer than this.
      .max(7140)
      .default(300)
      .describe("How long scale-in waits for a worker to drain before it is terminated anyway."),
  })
  .describe("The worker Auto Scaling group.");

/**
 * k3s' own etcd snapshots (embedded etcd only), uploaded to the cluster's snapshot bucket. The
 * cron field set is k3s' `--etcd-snapshot-schedule-cron` (robfig/cron, five fields); only
 * digits and `* / , -` are accepted, so the value is safe in the node's config file.
 */
export const EtcdSnapshotsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Take snapshots to S3. Turn off only where the account allows no bucket: a lost lone server then cannot be restored, and the cluster starts over empty.",
      ),
    scheduleCron: z
      .string()
      .regex(
        /^[0-9*/,-]+( [0-9*/,-]+){4}$/,
        'expected a five-field cron schedule such as "0 * * * *" (minute hour day month weekday)',
      )
      .default("0 * * * *")
      .describe(
        "When every server takes a snapshot (k3s `etcd-snapshot-schedule-cron`, node time = UTC). The interval is the most cluster state a restore can lose (RPO): hourly by default.",
      ),
    retention: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(24)
      .describe(
        "Scheduled snapshots k3s keeps per server (k3s `etcd-snapshot-retention`), locally and in S3.",
      ),
    keepDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe(
        "Days after which the bucket's lifecycle rule deletes a snapshot k3s did not prune (those of replaced servers, pre-stop snapshots), and keeps a deleted or overwritten one recoverable.",
      ),
  })
  .describe(
    "Scheduled etcd snapshots to the cluster's S3 bucket (embedded etcd only; with PostgreSQL, RDS backups apply).",
  );

export const DatastoreSchema = z
  .strictObject({
    engine: z
      .enum(["postgres", "etcd"])
      .default("postgres")
      .describe(
        "Where k3s keeps cluster state: RDS PostgreSQL (managed backups, servers are disposable) or k3s' embedded etcd (no database to pay for).",
      ),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "expected an RDS instance class such as db.t4g.small")
      .default("db.t4g.small")
      .describe("RDS instance class (at least 2 GB memory, k3s' floor for an external datastore)."),
    postgresVersion: z
      .enum(["14", "15"])
      .default("15")
      .describe(
        "PostgreSQL major version. k3s certifies 12.16, 13.12, 14.9 and 15.4; RDS no longer offers standard support for 12 and 13.",
      ),
    storageGb: z
      .number()
      .int()
      .min(20)
      .max(65536)
      .default(20)
      .describe("Initial storage in GiB (gp3); it grows automatically up to 5×."),
    multiAz: z.boolean().default(false).describe("Keep a synchronous standby in another zone."),
    backupRetentionDays: z
      .number()
      .int()
      .min(1)
      .max(35)
      .default(7)
      .describe("Days of automated backups."),
    deletionProtection: z
      .boolean()
      .default(true)
      .describe("Refuse to delete the database until this is turned off in a reviewed change."),
    finalSnapshot: z
      .boolean()
      .default(true)
      .describe("Take a snapshot when the database is destroyed."),
    snapshots: EtcdSnapshotsSchema.prefault({}),
  })
  .describe("The k3s datastore.");

export const StorageSchema = z
  .strictObject({
    efs: z
      .boolean()
      .default(true)
      .describe("Create an EFS file system and the `efs` StorageClass for ReadWriteMany volumes."),
  })
  .describe("Shared storage.");

export const K3sSchema = z
  .strictObject({
    version: z
      .string()
      .regex(K3S_VERSION_PATTERN, "expected a k3s release such as v1.33.5+k3s1")
      .default("v1.33.5+k3s1")
      .describe("k3s release installed on every node."),
    clusterCidr: cidr()
      .default("10.42.0.0/16")
      .describe("Pod IP range (must not overlap the VPC)."),
    serviceCidr: cidr()
      .default("10.43.0.0/16")
      .describe("Service IP range (must not overlap the VPC)."),
  })
  .describe("k3s itself.");

export const AddonsSchema = z
  .strictObject(addonSwitchFields())
  .describe("What k3s installs on the cluster.");

/** S3 bucket naming rules (general purpose buckets). */
const bucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    "expected a bucket name: lowercase letters, digits, dots and hyphens",
  )
  .refine((name) => !name.includes(".."), "bucket names cannot contain two adjacent dots")
  .refine(
    (name) => !/^\d+\.\d+\.\d+\.\d+$/.test(name),
    "bucket names cannot look like an IP address",
  )
  .refine(
    (name) => !name.startsWith("xn--") && !name.endsWith("-s3alias"),
    "bucket name uses a reserved prefix or suffix",
  );

export const StateSchema = z
  .strictObject({
    bucket: bucketName.describe(
      "S3 bucket for Terraform state and saved plans. The bot creates it (versioned, encrypted, private) if it does not exist.",
    ),
    lockTable: z
      .string()
      .regex(
        /^[a-zA-Z0-9_.-]{3,255}$/,
        "expected a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)",
      )
      .default("k3s-bot-locks")
      .describe(
        "DynamoDB table for the bot's cluster locks and delivery records (state itself is locked with S3 lock files).",
      ),
    key: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()/-]+\.tfstate$/, "expected an S3 key ending in .tfstate")
      .refine((key) => !key.split("/").includes(".."), "the key cannot contain ..")
      .optional()
      .describe("State object key. Defaults to `k3s/<name>/terraform.tfstate`."),
    region: z
      .string()
      .optional()
      .describe("Region of the state bucket. Defaults to the cluster's region."),
    kmsKeyId: z
      .string()
      .min(1)
      .optional()
      .describe("KMS key for state encryption. Defaults to the bucket's default encryption."),
  })
  .describe(
    "Where Terraform state lives. A PR's change here is used once merged: until then its plans, locks and applies use the default branch's values (docs/security.md).",
  );

export const AwsSchema = z
  .strictObject({
    accountId: z
      .string()
      .regex(/^\d{12}$/, "expected a 12-digit AWS account id")
      .optional()
      .describe("Refuse to plan or apply in any other account."),
    roleArn: z
      .string()
      .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, "expected an IAM role ARN")
      .optional()
      .describe(
        "Role the bot assumes to manage this cluster. The repository config's `clusters.<name>.roleArn` wins over it.",
      ),
  })
  .describe(
    "The AWS account the cluster lives in. Like `state`, a change here is used from the default branch on: a PR's plan uses the default branch's values (docs/security.md).",
  );

export const ClusterDefinitionSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Editor hint; ignored."),
    name: z
      .string()
      .regex(
        CLUSTER_NAME_PATTERN,
        "expected 2-20 lowercase letters, digits and hyphens, starting with a letter",
      )
      .describe("Cluster name, used in every AWS resource name and tag."),
    region: z.string().describe("AWS region, e.g. eu-central-1."),
    network: NetworkSchema,
    controlPlane: ControlPlaneSchema.prefault({}),
    workers: WorkersSchema.prefault({}),
    datastore: DatastoreSchema.prefault({}),
    storage: StorageSchema.prefault({}),
    k3s: K3sSchema.prefault({}),
    addons: AddonsSchema.prefault({}),
    state: StateSchema,
    aws: AwsSchema.prefault({}),
    tags: z
      .record(awsTagKey, z.string().max(256))
      .default({})
      .describe("Tags added to every AWS resource."),
  })
  .describe("A k3s cluster on AWS, managed by k3s-bot.");

/** What a user writes (defaults not yet applied). */
export type ClusterDefinitionInput = z.input<typeof ClusterDefinitionSchema>;
/** A definition that passed validation, with every default applied. */
export type ClusterDefinition = z.output<typeof ClusterDefinitionSchema>;
