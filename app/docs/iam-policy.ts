/**
 * The AWS permissions k3s-bot needs, derived so they cannot drift (docs/iam/k3s-bot-policy.json;
 * regenerate with `tsx app/docs/write-iam-policy.ts`, test/docs/iam-policy.test.ts checks the
 * committed files equal what this produces now).
 *
 * Three sources, each a table below:
 *   RESOURCE_PERMISSIONS  every Terraform resource type the stack can create → the actions the
 *                         AWS provider (5.100.0) calls to create, read, update, delete and tag
 *                         it. The test synthesizes both examples and every optional feature and
 *                         fails when a type has no row.
 *   SDK_COMMANDS          every AWS SDK command the bot sends itself (state bucket and lock table
 *                         bootstrap, cluster locks, saved plans, caller identity, kubeconfig)
 *                         → its IAM actions. The test scans app/ and fails on a command without
 *                         a row.
 *   ALWAYS                what runs whatever the stack holds: the provider's and the bot's caller
 *                         identity, per-cluster roles, Terraform's S3 backend with use_lockfile.
 * Each row names the statement its actions land in; STATEMENTS says, per service, why and how
 * the statement is scoped (names the stack and the definitions fix, the cluster tag).
 *
 * The stack has no data sources: zones come from the definition, the partition from the region,
 * ARNs from resource attributes, and the AMI is resolved by EC2 at launch from Canonical's public
 * SSM parameter (which is why the launch template row needs ssm:GetParameters).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { ClusterConfig } from "../../infra/definition/config";
import { SNAPSHOT_BUCKET_PREFIX } from "../../infra/etcd-snapshots";
import { CLUSTER_TAG_KEY } from "../../infra/naming";
import { synthesizeCluster, type TerraformJson } from "../../infra/synth";
import { loadDefinitionFile } from "../engine/definitions/load";
import { formatProblems } from "../engine/definitions/problems";

export const IAM_POLICY_PATH = "docs/iam/k3s-bot-policy.json";
export const IAM_README_PATH = "docs/iam/README.md";
export const EXAMPLE_DEFINITIONS = ["examples/clusters/dev.yaml", "examples/clusters/ha.yaml"];
/** The AWS provider version the action lists were checked against (the Dockerfile pins it). */
export const AWS_PROVIDER_VERSION = "5.100.0";

// ---------------------------------------------------------------------------------------------
// Statements: one per service and scope

/** What the statements' resources are built from: the definitions the policy is for. */
export interface PolicyContext {
  partition: string;
  stateBuckets: string[];
  /** Object key patterns of Terraform state, e.g. `k3s/*` (the default key's namespace). */
  stateKeyPatterns: string[];
  lockTables: string[];
  stateKmsKeys: string[];
  /** Roles the bot assumes: the definitions' `aws.roleArn`, plus the `k3s-bot-*` convention. */
  assumedRoles: string[];
  /** Name patterns of the node roles and instance profiles (from the synthesized stacks). */
  nodeRoleNames: string[];
  /** Managed policies the stack attaches to node roles (from the synthesized stacks). */
  attachedPolicyArns: string[];
  /** Name patterns of the cluster's own secrets (from the synthesized stacks). */
  secretNames: string[];
  /** Service principals whose service-linked roles the resources need. */
  serviceLinkedRoles: string[];
}

interface StatementSpec {
  /** Why the bot needs it, in one line; shown in docs/iam/README.md. */
  why: string;
  resources: (ctx: PolicyContext) => string[];
  condition?: (ctx: PolicyContext) => Record<string, Record<string, string | string[]>>;
}

/** The VPC flow-log role's name ends so (infra/vpc-audit.ts: iamName(config, "vpc-flow-logs")). */
const FLOW_LOG_ROLE_SUFFIX = "-vpc-flow-logs";
const arn = (ctx: PolicyContext, rest: string) => `arn:${ctx.partition}:${rest}`;
/** Resources that carry the cluster tag (the provider's default_tags put it on every one). */
const clusterTagged = () => ({ Null: { [`aws:ResourceTag/${CLUSTER_TAG_KEY}`]: "false" } });
const ANY = () => ["*"];

export const STATEMENTS = {
  // --- the bot's own calls and Terraform's backend ---
  CallerIdentity: {
    why: "The bot shows the account in plan comments and refuses a wrong account; the AWS provider asks who it is at start (AWS allows this call to everyone; listed for clarity).",
    resources: ANY,
  },
  AssumeClusterRoles: {
    why: "Per-cluster roles (`aws.roleArn` in a definition, or `clusters.<name>.roleArn` in the repo config): the bot's provider and S3 backend assume them. By convention they are named `k3s-bot-*`; node roles match too but trust only EC2.",
    resources: (ctx) => ctx.assumedRoles,
  },
  StateBucket: {
    why: "Creates the state bucket once (versioned, encrypted, public access blocked, TLS only), checks an existing one, lists saved plans; Terraform's S3 backend lists the bucket.",
    resources: (ctx) => ctx.stateBuckets.map((bucket) => arn(ctx, `s3:::${bucket}`)),
  },
  StateObjects: {
    why: "Terraform state, its use_lockfile lock object and its owner record (`<key>.k3s-bot-owner`), and the saved plans (`plans/…`), nothing else in the bucket.",
    resources: (ctx) =>
      ctx.stateBuckets.flatMap((bucket) => [
        ...ctx.stateKeyPatterns.map((key) => arn(ctx, `s3:::${bucket}/${key}`)),
        arn(ctx, `s3:::${bucket}/plans/*`),
      ]),
  },
  StateKmsKey: {
    why: "State, plans and the lock table encrypted with the KMS key a definition names (`state.kmsKeyId`).",
    resources: (ctx) => ctx.stateKmsKeys,
  },
  LockTable: {
    why: "Creates the bot's lock table once (on-demand, TTL, point-in-time recovery) and keeps cluster locks and delivery records in it.",
    resources: (ctx) => ctx.lockTables.map((table) => arn(ctx, `dynamodb:*:*:table/${table}`)),
  },
  ReadKubeconfig: {
    why: "`k3s-bot kubeconfig` reads the admin kubeconfig the first server stores in Secrets Manager.",
    resources: (ctx) =>
      ctx.secretNames
        .filter((name) => name.endsWith("/kubeconfig"))
        .map((name) => arn(ctx, `secretsmanager:*:*:secret:${name}*`)),
  },
  // --- the stack, through the AWS provider ---
  Ec2: {
    why: "VPC, subnets, gateways, routes, security groups and launch templates; RunInstances and CreateTags because an Auto Scaling group validates its launch template with the caller's rights; network interfaces for EFS mount targets. EC2 create calls take no useful resource scope.",
    resources: ANY,
  },
  Ec2DeleteClusterTagged: {
    why: "Deletes only what carries the cluster tag `k3s-bot/cluster` (set on every resource by the provider's default tags).",
    resources: ANY,
    condition: clusterTagged,
  },
  AmiParameter: {
    why: "Launch templates name the AMI as Canonical's public SSM parameter (`resolve:ssm:…`); EC2 resolves it with the caller's rights.",
    resources: (ctx) => [arn(ctx, "ssm:*::parameter/aws/service/canonical/*")],
  },
  AutoScaling: {
    why: "The control-plane and worker groups, the drain lifecycle hook and the CPU target-tracking policy.",
    resources: ANY,
  },
  AutoScalingDeleteClusterTagged: {
    why: "Deletes only groups (and their hooks and policies) that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  LoadBalancing: {
    why: "The API and ingress network load balancers, their target groups and listeners; DescribeTargetHealth while Terraform waits for healthy servers.",
    resources: ANY,
  },
  LoadBalancingDeleteClusterTagged: {
    why: "Deletes only load balancers, target groups and listeners that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  Rds: {
    why: "The PostgreSQL datastore, its subnet group and parameter group; CreateDBSnapshot for the final snapshot on destroy.",
    resources: ANY,
  },
  RdsDeleteClusterTagged: {
    why: "Deletes only the datastore and its groups when they carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  RdsManagedSecret: {
    why: "`manage_master_user_password`: RDS creates and maintains the master password secret (`rds!…`) with the caller's rights.",
    resources: (ctx) => [arn(ctx, "secretsmanager:*:*:secret:rds!*")],
  },
  RdsManagedSecretKms: {
    why: "The RDS-managed secret is encrypted with Secrets Manager's KMS key; only through Secrets Manager.",
    resources: ANY,
    condition: () => ({ StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" } }),
  },
  Efs: {
    why: "The shared file system, its mount targets (which need EC2 network interfaces, see Ec2) and its backup policy.",
    resources: ANY,
  },
  EfsDeleteClusterTagged: {
    why: "Deletes only file systems that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  NodeRoles: {
    why: "The server and agent roles, their instance profiles and inline policies, by the names the stack gives them (`k3s-bot-<cluster>-<region>-…`).",
    resources: (ctx) =>
      ctx.nodeRoleNames.flatMap((name) => [
        arn(ctx, `iam::*:role/${name}`),
        arn(ctx, `iam::*:instance-profile/${name}`),
      ]),
  },
  AttachNodeManagedPolicies: {
    why: "Node roles get exactly the AWS managed policies the stack attaches (SSM Session Manager instead of SSH), no other.",
    resources: (ctx) => ctx.nodeRoleNames.map((name) => arn(ctx, `iam::*:role/${name}`)),
    condition: (ctx) => ({ ArnEquals: { "iam:PolicyARN": ctx.attachedPolicyArns } }),
  },
  PassNodeRoles: {
    why: "Auto Scaling groups launch instances with the node roles' instance profiles; the roles may be passed to EC2 only.",
    resources: (ctx) =>
      ctx.nodeRoleNames
        .filter((name) => !name.endsWith(FLOW_LOG_ROLE_SUFFIX))
        .map((name) => arn(ctx, `iam::*:role/${name}`)),
    condition: () => ({ StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } }),
  },
  PassFlowLogRole: {
    why: "VPC flow logs deliver to CloudWatch Logs with the stack's flow-log role, which may be passed to the flow-logs service only.",
    resources: (ctx) =>
      ctx.nodeRoleNames
        .filter((name) => name.endsWith(FLOW_LOG_ROLE_SUFFIX))
        .map((name) => arn(ctx, `iam::*:role/${name}`)),
    condition: () => ({ StringEquals: { "iam:PassedToService": "vpc-flow-logs.amazonaws.com" } }),
  },
  FlowLogGroups: {
    why: "The VPC flow-log group (`/k3s-bot/<cluster>/vpc-flow-logs`) and its retention, by name.",
    resources: (ctx) => [arn(ctx, "logs:*:*:log-group:/k3s-bot/*")],
  },
  LogsDescribe: {
    why: "The provider reads log groups back with DescribeLogGroups, which takes no resource scope.",
    resources: ANY,
  },
  ServiceLinkedRoles: {
    why: "The first Auto Scaling group, load balancer, database or file system in an account creates its service's service-linked role.",
    resources: (ctx) => [arn(ctx, "iam::*:role/aws-service-role/*")],
    condition: (ctx) => ({ StringEquals: { "iam:AWSServiceName": ctx.serviceLinkedRoles } }),
  },
  SnapshotBuckets: {
    why: "With embedded etcd, the cluster's etcd snapshot bucket (`k3s-bot-etcd-<cluster>-…`): created versioned, encrypted, private, TLS only, with a lifecycle; `force_destroy` empties it (every object version) when the cluster is destroyed.",
    resources: (ctx) => [
      arn(ctx, `s3:::${SNAPSHOT_BUCKET_PREFIX}*`),
      arn(ctx, `s3:::${SNAPSHOT_BUCKET_PREFIX}*/*`),
    ],
  },
  ClusterSecrets: {
    why: "The join token and kubeconfig secrets, created empty (the first server writes the values), by name.",
    resources: (ctx) =>
      ctx.secretNames.map((name) => arn(ctx, `secretsmanager:*:*:secret:${name}*`)),
  },
} satisfies Record<string, StatementSpec>;

export type StatementKey = keyof typeof STATEMENTS;

export interface Grant {
  statement: StatementKey;
  actions: string[];
}

const grant = (statement: StatementKey, ...actions: string[]): Grant => ({ statement, actions });

// ---------------------------------------------------------------------------------------------
// Terraform resource types → actions (AWS provider 5.100.0)

export interface ResourcePermissions {
  grants: Grant[];
  /** Service principal (`autoscaling.amazonaws.com`) whose service-linked role it needs. */
  serviceLinkedRole?: string;
}

const ec2 = (...actions: string[]) => grant("Ec2", ...actions.map((a) => `ec2:${a}`));
const ec2Delete = (...actions: string[]) =>
  grant("Ec2DeleteClusterTagged", ...actions.map((a) => `ec2:${a}`));
/** Reads and tags every EC2 resource needs (the provider reads back with Describe*). */
const EC2_COMMON = ec2("Describe*", "CreateTags", "DeleteTags");
const asg = (...actions: string[]) =>
  grant("AutoScaling", ...actions.map((a) => `autoscaling:${a}`));
const asgDelete = (...actions: string[]) =>
  grant("AutoScalingDeleteClusterTagged", ...actions.map((a) => `autoscaling:${a}`));
const elb = (...actions: string[]) =>
  grant(
    "LoadBalancing",
    ...["Describe*", "AddTags", "RemoveTags", ...actions].map((a) => `elasticloadbalancing:${a}`),
  );
const elbDelete = (...actions: string[]) =>
  grant("LoadBalancingDeleteClusterTagged", ...actions.map((a) => `elasticloadbalancing:${a}`));
const snapshotBucket = (...actions: string[]) =>
  grant("SnapshotBuckets", ...actions.map((a) => `s3:${a}`));
const rds = (...actions: string[]) =>
  grant(
    "Rds",
    ...["Describe*", "ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource"]
      .concat(actions)
      .map((a) => `rds:${a}`),
  );
const rdsDelete = (...actions: string[]) =>
  grant("RdsDeleteClusterTagged", ...actions.map((a) => `rds:${a}`));
const efs = (...actions: string[]) =>
  grant(
    "Efs",
    ...["Describe*", "ListTagsForResource", ...actions].map((a) => `elasticfilesystem:${a}`),
  );
const iam = (statement: StatementKey, ...actions: string[]) =>
  grant(statement, ...actions.map((a) => `iam:${a}`));

export const RESOURCE_PERMISSIONS: Record<string, ResourcePermissions> = {
  aws_default_security_group: {
    // Adopting the VPC's default group removes all its rules; deleting it only forgets it.
    grants: [EC2_COMMON, ec2("RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress")],
  },
  aws_flow_log: {
    grants: [
      EC2_COMMON,
      ec2("CreateFlowLogs"),
      ec2Delete("DeleteFlowLogs"),
      iam("PassFlowLogRole", "PassRole"),
    ],
  },
  aws_cloudwatch_log_group: {
    grants: [
      grant(
        "FlowLogGroups",
        ...[
          "CreateLogGroup",
          "DeleteLogGroup",
          "PutRetentionPolicy",
          "DeleteRetentionPolicy",
          "TagResource",
          "UntagResource",
          "ListTagsForResource",
          "TagLogGroup",
          "UntagLogGroup",
          "ListTagsLogGroup",
        ].map((a) => `logs:${a}`),
      ),
      grant("LogsDescribe", "logs:DescribeLogGroups"),
    ],
  },
  aws_vpc: {
    grants: [EC2_COMMON, ec2("CreateVpc", "ModifyVpcAttribute"), ec2Delete("DeleteVpc")],
  },
  aws_subnet: {
    grants: [EC2_COMMON, ec2("CreateSubnet", "ModifySubnetAttribute"), ec2Delete("DeleteSubnet")],
  },
  aws_internet_gateway: {
    grants: [
      EC2_COMMON,
      ec2("CreateInternetGateway", "AttachInternetGateway"),
      ec2Delete("DetachInternetGateway", "DeleteInternetGateway"),
    ],
  },
  aws_eip: {
    grants: [
      EC2_COMMON,
      ec2("AllocateAddress", "DisassociateAddress"),
      ec2Delete("ReleaseAddress"),
    ],
  },
  aws_nat_gateway: {
    grants: [EC2_COMMON, ec2("CreateNatGateway"), ec2Delete("DeleteNatGateway")],
  },
  aws_route_table: {
    grants: [EC2_COMMON, ec2("CreateRouteTable"), ec2Delete("DeleteRouteTable")],
  },
  aws_route: {
    grants: [EC2_COMMON, ec2("CreateRoute", "ReplaceRoute"), ec2Delete("DeleteRoute")],
  },
  aws_route_table_association: {
    // Not taggable itself; the call names subnet and route table.
    grants: [
      EC2_COMMON,
      ec2("AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable"),
    ],
  },
  aws_security_group: {
    // The provider revokes the default allow-all egress rule of a new group.
    grants: [
      EC2_COMMON,
      ec2("CreateSecurityGroup", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress"),
      ec2Delete("DeleteSecurityGroup"),
    ],
  },
  aws_vpc_security_group_ingress_rule: {
    grants: [
      EC2_COMMON,
      ec2(
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupIngress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
      ),
    ],
  },
  aws_vpc_security_group_egress_rule: {
    grants: [
      EC2_COMMON,
      ec2(
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupEgress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsEgress",
      ),
    ],
  },
  aws_launch_template: {
    grants: [
      EC2_COMMON,
      ec2("CreateLaunchTemplate", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate"),
      ec2Delete("DeleteLaunchTemplate"),
      grant("AmiParameter", "ssm:GetParameters"),
    ],
  },
  aws_autoscaling_group: {
    grants: [
      asg(
        "Describe*",
        "CreateAutoScalingGroup",
        "UpdateAutoScalingGroup",
        "CreateOrUpdateTags",
        "DeleteTags",
        "AttachLoadBalancerTargetGroups",
        "DetachLoadBalancerTargetGroups",
        "AttachTrafficSources",
        "DetachTrafficSources",
        "StartInstanceRefresh",
        "CancelInstanceRefresh",
      ),
      asgDelete("DeleteAutoScalingGroup"),
      // The group validates its launch template with the caller's rights.
      ec2("RunInstances", "CreateTags", "Describe*"),
      iam("PassNodeRoles", "PassRole"),
      // Waiting for capacity behind the API target group (health check type ELB).
      elb(),
    ],
    serviceLinkedRole: "autoscaling.amazonaws.com",
  },
  aws_autoscaling_lifecycle_hook: {
    grants: [asg("Describe*", "PutLifecycleHook"), asgDelete("DeleteLifecycleHook")],
  },
  aws_autoscaling_policy: {
    grants: [asg("Describe*", "PutScalingPolicy"), asgDelete("DeletePolicy")],
  },
  aws_lb: {
    grants: [
      elb("CreateLoadBalancer", "ModifyLoadBalancerAttributes", "SetSecurityGroups", "SetSubnets"),
      elbDelete("DeleteLoadBalancer"),
      // The provider waits for the network interfaces of a deleted load balancer to go.
      ec2("Describe*"),
    ],
    serviceLinkedRole: "elasticloadbalancing.amazonaws.com",
  },
  aws_lb_target_group: {
    grants: [
      elb("CreateTargetGroup", "ModifyTargetGroup", "ModifyTargetGroupAttributes"),
      elbDelete("DeleteTargetGroup"),
    ],
  },
  aws_lb_listener: {
    grants: [
      elb("CreateListener", "ModifyListener", "ModifyListenerAttributes"),
      elbDelete("DeleteListener"),
    ],
  },
  aws_db_subnet_group: {
    grants: [rds("CreateDBSubnetGroup", "ModifyDBSubnetGroup"), rdsDelete("DeleteDBSubnetGroup")],
  },
  aws_db_parameter_group: {
    grants: [
      rds("CreateDBParameterGroup", "ModifyDBParameterGroup", "ResetDBParameterGroup"),
      rdsDelete("DeleteDBParameterGroup"),
    ],
  },
  aws_db_instance: {
    grants: [
      rds("CreateDBInstance", "ModifyDBInstance", "RebootDBInstance", "CreateDBSnapshot"),
      rdsDelete("DeleteDBInstance"),
      // RDS User Guide, "Required permissions for Secrets Manager integration".
      grant(
        "RdsManagedSecret",
        "secretsmanager:CreateSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:UpdateSecret",
        "secretsmanager:RotateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
      ),
      grant("RdsManagedSecretKms", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"),
      ec2("Describe*"),
    ],
    serviceLinkedRole: "rds.amazonaws.com",
  },
  aws_efs_file_system: {
    grants: [
      efs(
        "CreateFileSystem",
        "UpdateFileSystem",
        "UpdateFileSystemProtection",
        "PutLifecycleConfiguration",
        "TagResource",
        "UntagResource",
      ),
      grant("EfsDeleteClusterTagged", "elasticfilesystem:DeleteFileSystem"),
    ],
    serviceLinkedRole: "elasticfilesystem.amazonaws.com",
  },
  aws_efs_mount_target: {
    // EFS API reference, CreateMountTarget/DeleteMountTarget/ModifyMountTargetSecurityGroups:
    // the caller also needs the EC2 network-interface actions.
    grants: [
      efs("CreateMountTarget", "DeleteMountTarget", "ModifyMountTargetSecurityGroups"),
      ec2(
        "Describe*",
        "CreateNetworkInterface",
        "DeleteNetworkInterface",
        "ModifyNetworkInterfaceAttribute",
      ),
    ],
  },
  aws_efs_backup_policy: {
    grants: [efs("PutBackupPolicy")],
  },
  aws_iam_role: {
    grants: [
      iam(
        "NodeRoles",
        "CreateRole",
        "GetRole",
        "UpdateRole",
        "UpdateRoleDescription",
        "UpdateAssumeRolePolicy",
        "TagRole",
        "UntagRole",
        "ListRolePolicies",
        "ListAttachedRolePolicies",
        "ListInstanceProfilesForRole",
        "DeleteRole",
      ),
    ],
  },
  aws_iam_instance_profile: {
    grants: [
      iam(
        "NodeRoles",
        "CreateInstanceProfile",
        "GetInstanceProfile",
        "AddRoleToInstanceProfile",
        "RemoveRoleFromInstanceProfile",
        "TagInstanceProfile",
        "UntagInstanceProfile",
        "DeleteInstanceProfile",
      ),
    ],
  },
  aws_iam_role_policy: {
    grants: [
      iam("NodeRoles", "PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy"),
    ],
  },
  aws_iam_role_policy_attachment: {
    grants: [
      iam("NodeRoles", "ListAttachedRolePolicies"),
      iam("AttachNodeManagedPolicies", "AttachRolePolicy", "DetachRolePolicy"),
    ],
  },
  // The provider reads a bucket back with one Get call per sub-configuration (policy, ACL, CORS,
  // website, versioning, accelerate, request payment, logging, lifecycle, replication,
  // encryption, object lock, tags: hashicorp/terraform-provider-aws internal/service/s3/bucket.go,
  // resourceBucketRead), and force_destroy lists and deletes every object version.
  aws_s3_bucket: {
    grants: [
      snapshotBucket(
        "CreateBucket",
        "DeleteBucket",
        "ListBucket",
        "ListBucketVersions",
        "GetBucket*",
        "GetAccelerateConfiguration",
        "GetEncryptionConfiguration",
        "GetLifecycleConfiguration",
        "GetReplicationConfiguration",
        "PutBucketTagging",
        "DeleteObject",
        "DeleteObjectVersion",
      ),
    ],
  },
  aws_s3_bucket_ownership_controls: {
    grants: [snapshotBucket("PutBucketOwnershipControls", "GetBucketOwnershipControls")],
  },
  aws_s3_bucket_public_access_block: {
    grants: [snapshotBucket("PutBucketPublicAccessBlock", "GetBucketPublicAccessBlock")],
  },
  aws_s3_bucket_versioning: {
    grants: [snapshotBucket("PutBucketVersioning", "GetBucketVersioning")],
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    grants: [snapshotBucket("PutEncryptionConfiguration", "GetEncryptionConfiguration")],
  },
  aws_s3_bucket_lifecycle_configuration: {
    grants: [snapshotBucket("PutLifecycleConfiguration", "GetLifecycleConfiguration")],
  },
  aws_s3_bucket_policy: {
    grants: [snapshotBucket("PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy")],
  },
  aws_secretsmanager_secret: {
    grants: [
      grant(
        "ClusterSecrets",
        ...[
          "CreateSecret",
          "DescribeSecret",
          "GetResourcePolicy",
          "UpdateSecret",
          "DeleteSecret",
          "TagResource",
          "UntagResource",
        ].map((a) => `secretsmanager:${a}`),
      ),
    ],
  },
};

// ---------------------------------------------------------------------------------------------
// What the bot calls itself through the AWS SDK, by `<package>:<command>`

const s3Bucket = (...actions: string[]) => grant("StateBucket", ...actions.map((a) => `s3:${a}`));
const s3Objects = (...actions: string[]) => grant("StateObjects", ...actions.map((a) => `s3:${a}`));
const table = (...actions: string[]) => grant("LockTable", ...actions.map((a) => `dynamodb:${a}`));

export const SDK_COMMANDS: Record<string, Grant[]> = {
  // app/engine/state-backend.ts: the bucket, created once and checked every time.
  "client-s3:HeadBucketCommand": [s3Bucket("ListBucket")],
  "client-s3:CreateBucketCommand": [s3Bucket("CreateBucket", "PutBucketOwnershipControls")],
  "client-s3:PutPublicAccessBlockCommand": [s3Bucket("PutBucketPublicAccessBlock")],
  "client-s3:PutBucketOwnershipControlsCommand": [s3Bucket("PutBucketOwnershipControls")],
  "client-s3:PutBucketVersioningCommand": [s3Bucket("PutBucketVersioning")],
  "client-s3:PutBucketEncryptionCommand": [s3Bucket("PutEncryptionConfiguration")],
  "client-s3:PutBucketPolicyCommand": [s3Bucket("PutBucketPolicy")],
  "client-s3:PutBucketTaggingCommand": [s3Bucket("PutBucketTagging")],
  "client-s3:GetBucketTaggingCommand": [s3Bucket("GetBucketTagging")],
  "client-s3:GetBucketVersioningCommand": [s3Bucket("GetBucketVersioning")],
  "client-s3:GetPublicAccessBlockCommand": [s3Bucket("GetBucketPublicAccessBlock")],
  "client-s3:GetBucketEncryptionCommand": [s3Bucket("GetEncryptionConfiguration")],
  "client-s3:GetBucketPolicyCommand": [s3Bucket("GetBucketPolicy")],
  "client-s3:GetBucketOwnershipControlsCommand": [s3Bucket("GetBucketOwnershipControls")],
  // app/engine/plan-store.ts: saved plans under plans/.
  "client-s3:PutObjectCommand": [s3Objects("PutObject")],
  "client-s3:GetObjectCommand": [s3Objects("GetObject")],
  "client-s3:ListObjectsV2Command": [s3Bucket("ListBucket")],
  "client-s3:DeleteObjectsCommand": [s3Objects("DeleteObject")],
  // app/engine/state-backend.ts: the lock table, created once and checked every time.
  "client-dynamodb:DescribeTableCommand": [table("DescribeTable")],
  "client-dynamodb:waitUntilTableExists": [table("DescribeTable")],
  "client-dynamodb:CreateTableCommand": [table("CreateTable", "TagResource")],
  "client-dynamodb:DescribeTimeToLiveCommand": [table("DescribeTimeToLive")],
  "client-dynamodb:UpdateTimeToLiveCommand": [table("UpdateTimeToLive")],
  "client-dynamodb:DescribeContinuousBackupsCommand": [table("DescribeContinuousBackups")],
  "client-dynamodb:UpdateContinuousBackupsCommand": [table("UpdateContinuousBackups")],
  // app/engine/locks.ts: conditional writes of lock items (Put and Delete in transactions).
  "client-dynamodb:GetItemCommand": [table("GetItem")],
  "client-dynamodb:QueryCommand": [table("Query")],
  "client-dynamodb:TransactWriteItemsCommand": [
    table("PutItem", "DeleteItem", "ConditionCheckItem"),
  ],
  // app/engine/plan-digest.ts: a saved plan's digest, on the lock item (conditional update).
  "client-dynamodb:UpdateItemCommand": [table("UpdateItem")],
  // app/engine/aws-environment.ts, state-backend.ts: whose credentials these are.
  "client-sts:GetCallerIdentityCommand": [grant("CallerIdentity", "sts:GetCallerIdentity")],
  // app/engine/datastore-snapshot.ts: a manual snapshot before an apply that changes the
  // datastore, through the cluster's role when it names one.
  "client-rds:CreateDBSnapshotCommand": [rds("CreateDBSnapshot")],
  "client-rds:DescribeDBSnapshotsCommand": [rds()],
  "client-sts:AssumeRoleCommand": [grant("AssumeClusterRoles", "sts:AssumeRole")],
  // app/engine/updates/sources.ts: the update job reads Canonical's current Ubuntu AMI.
  "client-ssm:GetParameterCommand": [grant("AmiParameter", "ssm:GetParameter")],
  // app/engine/kubeconfig.ts: `k3s-bot kubeconfig`.
  "client-secrets-manager:GetSecretValueCommand": [
    grant("ReadKubeconfig", "secretsmanager:GetSecretValue"),
  ],
};

/** Folders whose SDK calls never reach real AWS (the local emulator's workarounds). */
const SDK_SCAN_EXCLUDED = ["app/local/"];

/** Every `<package>:<command>` the bot's code under app/ imports from an @aws-sdk client. */
export function sdkCommandsUsed(root: string): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const rel = relative(root, path).split("\\").join("/");
      if (statSync(path).isDirectory()) {
        if (!SDK_SCAN_EXCLUDED.some((prefix) => `${rel}/`.startsWith(prefix))) visit(path);
        continue;
      }
      if (!rel.endsWith(".ts")) continue;
      const source = readFileSync(path, "utf8");
      for (const match of source.matchAll(
        /import\s*(type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/(client-[a-z0-9-]+)"/g,
      )) {
        if (match[1]) continue;
        for (const raw of (match[2] ?? "").split(",")) {
          const name = raw.trim();
          if (name.startsWith("type ") || !/(Command|^waitUntil\w+)$/.test(name)) continue;
          const key = `${match[3]}:${name}`;
          used.set(key, [...(used.get(key) ?? []), rel]);
        }
      }
    }
  };
  visit(join(root, "app"));
  return used;
}

// ---------------------------------------------------------------------------------------------
// Always, whatever the stack holds

export const ALWAYS: Grant[] = [
  // The provider calls GetCallerIdentity at start (account id, allowed_account_ids).
  grant("CallerIdentity", "sts:GetCallerIdentity"),
  grant("AssumeClusterRoles", "sts:AssumeRole"),
  // Terraform's S3 backend with use_lockfile (Terraform docs, "S3 Bucket Permissions").
  s3Bucket("ListBucket"),
  s3Objects("GetObject", "PutObject", "DeleteObject"),
];

/** Only when a definition names a KMS key for state (`state.kmsKeyId`). */
export const STATE_KMS: Grant[] = [
  grant("StateKmsKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
];

// ---------------------------------------------------------------------------------------------
// Synthesis: which resource types the stack can create

/** Where Argo CD would read manifests: needed to synthesize, irrelevant to permissions. */
const PLACEHOLDER_GITOPS = {
  repoUrl: "https://github.com/example/clusters.git",
  path: "clusters/example/argocd",
  revision: "main",
};

/**
 * Every optional feature of the definition switched the other way, so resource types that only
 * some definitions create are covered (each toggle of the schema that adds or removes resources
 * or changes their arguments).
 */
export const FEATURE_VARIANTS: Record<string, (config: ClusterConfig) => void> = {
  "embedded etcd, no EFS, no ingress, no add-ons": (config) => {
    config.datastore.engine = "etcd";
    config.storage.efs = false;
    config.addons = { ingress: "none", jenkins: false, argocd: false };
  },
  "spot workers, cpu scaling, private API, per-zone NAT": (config) => {
    config.workers.spot = true;
    config.workers.scaling = "cpu";
    config.network.apiEndpoint = "private";
    config.network.natGateways = "perAz";
  },
  "cluster-autoscaler, multi-AZ database, final snapshot, role, account, KMS": (config) => {
    config.workers.scaling = "clusterAutoscaler";
    config.datastore.multiAz = true;
    config.datastore.finalSnapshot = true;
    config.datastore.deletionProtection = true;
    config.aws.accountId = "123456789012";
    config.aws.roleArn = "arn:aws:iam::123456789012:role/k3s-bot-example";
    config.state.kmsKeyId = "arn:aws:kms:eu-central-1:123456789012:key/example";
  },
};

export function loadConfigs(files: string[]): ClusterConfig[] {
  return files.map((file) => {
    const loaded = loadDefinitionFile(file);
    if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
    return loaded.config;
  });
}

export function synthesize(config: ClusterConfig): TerraformJson {
  return synthesizeCluster(config, { bootstrap: { gitops: PLACEHOLDER_GITOPS } });
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

export function resourceTypes(json: TerraformJson): string[] {
  return Object.keys((json.resource ?? {}) as Resources).sort();
}

export interface SynthesizedStack {
  config: ClusterConfig;
  json: TerraformJson;
}

/**
 * The synthesized stacks a policy covers: each definition (names, state, keys and roles come
 * from these), and the first one with each feature variant (resource types only).
 */
export function synthesizedStacks(configs: ClusterConfig[]): {
  definitions: SynthesizedStack[];
  variants: SynthesizedStack[];
} {
  const first = configs[0];
  const variants = first
    ? Object.values(FEATURE_VARIANTS).map((change) => {
        const config = structuredClone(first);
        change(config);
        return config;
      })
    : [];
  const synth = (config: ClusterConfig) => ({ config, json: synthesize(config) });
  return { definitions: configs.map(synth), variants: variants.map(synth) };
}

// ---------------------------------------------------------------------------------------------
// The policy document

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const unique = (values: string[]) => [...new Set(values)].sort();

/** `k3s-bot-dev-eu-central-1-worker` → `k3s-bot-*-worker`, from the names the stack gave. */
function generalize(name: string, config: ClusterConfig): string {
  return name
    .split(`${config.name}-${config.region}`)
    .join("*")
    .split(`/${config.name}/`)
    .join("/*/");
}

export function policyContext(
  definitions: SynthesizedStack[],
  variants: SynthesizedStack[] = [],
): PolicyContext {
  const configs = definitions.map((stack) => stack.config);
  const partitions = unique(configs.map((config) => config.partition));
  if (partitions.length !== 1) {
    throw new Error(
      `one policy per partition; these definitions span ${partitions.join(", ") || "none"}`,
    );
  }
  const partition = partitions[0] as string;
  const all = [...definitions, ...variants];
  const resourcesOf = (stack: SynthesizedStack, type: string) =>
    Object.values((stack.json.resource as Resources | undefined)?.[type] ?? {});
  const namesOf = (type: string) =>
    all.flatMap((stack) =>
      resourcesOf(stack, type).map((resource) => generalize(String(resource.name), stack.config)),
    );
  // The default key's namespace covers every cluster's state and its `.tflock` lock object.
  const keyPattern = (key: string) => (key.startsWith("k3s/") ? "k3s/*" : `${key}*`);
  return {
    partition,
    stateBuckets: unique(configs.map((config) => config.state.bucket)),
    stateKeyPatterns: unique(configs.map((config) => keyPattern(config.state.key))),
    lockTables: unique(configs.map((config) => config.state.lockTable)),
    stateKmsKeys: unique(
      configs.flatMap((config) => {
        const key = config.state.kmsKeyId;
        if (!key) return [];
        // A key id or alias: any key (IAM cannot match an alias in a key ARN).
        return key.startsWith("arn:") && key.includes(":key/")
          ? [key]
          : [`arn:${partition}:kms:*:*:key/*`];
      }),
    ),
    assumedRoles: unique([
      `arn:${partition}:iam::*:role/k3s-bot-*`,
      ...configs.flatMap((config) =>
        config.aws.roleArn && !/:role\/k3s-bot-/.test(config.aws.roleArn)
          ? [config.aws.roleArn]
          : [],
      ),
    ]),
    nodeRoleNames: unique([...namesOf("aws_iam_role"), ...namesOf("aws_iam_instance_profile")]),
    attachedPolicyArns: unique(
      all.flatMap((stack) =>
        resourcesOf(stack, "aws_iam_role_policy_attachment").map((a) => String(a.policy_arn)),
      ),
    ),
    secretNames: unique(namesOf("aws_secretsmanager_secret")),
    serviceLinkedRoles: unique(
      all.flatMap((stack) =>
        resourceTypes(stack.json).flatMap(
          (type) => RESOURCE_PERMISSIONS[type]?.serviceLinkedRole ?? [],
        ),
      ),
    ),
  };
}

/** The resource types of the stacks without a row in RESOURCE_PERMISSIONS. */
export function unmappedResourceTypes(stacks: SynthesizedStack[]): string[] {
  return unique(
    stacks.flatMap(({ json }) => resourceTypes(json)).filter((t) => !RESOURCE_PERMISSIONS[t]),
  );
}

/** Every grant the stacks need: always, the bot's SDK calls, state KMS, each resource type. */
export function grantsFor(definitions: SynthesizedStack[], variants: SynthesizedStack[]): Grant[] {
  const all = [...definitions, ...variants];
  const unmapped = unmappedResourceTypes(all);
  if (unmapped.length > 0) {
    throw new Error(
      `no IAM permissions known for ${unmapped.join(", ")}: add them to RESOURCE_PERMISSIONS in app/docs/iam-policy.ts`,
    );
  }
  const types = unique(all.flatMap(({ json }) => resourceTypes(json)));
  return [
    ...ALWAYS,
    ...Object.values(SDK_COMMANDS).flat(),
    ...(definitions.some(({ config }) => config.state.kmsKeyId) ? STATE_KMS : []),
    ...types.flatMap((type) => RESOURCE_PERMISSIONS[type]?.grants ?? []),
    ...(types.some((type) => RESOURCE_PERMISSIONS[type]?.serviceLinkedRole)
      ? [iam("ServiceLinkedRoles", "CreateServiceLinkedRole")]
      : []),
  ];
}

export function buildPolicy(
  definitions: SynthesizedStack[],
  variants: SynthesizedStack[] = [],
): PolicyDocument {
  const context = policyContext(definitions, variants);
  const byStatement = new Map<StatementKey, string[]>();
  for (const { statement, actions } of grantsFor(definitions, variants)) {
    byStatement.set(statement, [...(byStatement.get(statement) ?? []), ...actions]);
  }
  const Statement: PolicyStatement[] = [];
  for (const [sid, spec] of Object.entries(STATEMENTS) as [StatementKey, StatementSpec][]) {
    const actions = byStatement.get(sid);
    if (!actions) continue;
    const resources = unique(spec.resources(context));
    if (resources.length === 0) continue;
    Statement.push({
      Sid: sid,
      Effect: "Allow",
      Action: unique(actions),
      Resource: resources.length === 1 ? (resources[0] as string) : resources,
      ...(spec.condition ? { Condition: spec.condition(context) } : {}),
    });
  }
  return { Version: "2012-10-17", Statement };
}

/** The bot's own calls and Terraform's backend: all a bot identity with per-cluster roles needs. */
export const BOT_STATEMENTS: StatementKey[] = [
  "CallerIdentity",
  "AssumeClusterRoles",
  "StateBucket",
  "StateObjects",
  "StateKmsKey",
  "LockTable",
  "ReadKubeconfig",
];

/** IAM's size limits, in characters without white space (IAM and STS quotas page). */
export const IAM_LIMITS = { managedPolicy: 6144, roleInlinePolicies: 10240 } as const;

/** Characters IAM counts against its size limits (white space outside strings excluded). */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

/**
 * The same statements as managed policies within IAM's size limit: part 1 the bot's own
 * statements, then the cluster's, filled in order.
 */
export function managedPolicyParts(document: PolicyDocument): PolicyDocument[] {
  const isBot = (statement: PolicyStatement) =>
    (BOT_STATEMENTS as string[]).includes(statement.Sid);
  const parts: PolicyStatement[][] = [document.Statement.filter(isBot)];
  for (const statement of document.Statement.filter((s) => !isBot(s))) {
    const last = parts.length > 1 ? (parts[parts.length - 1] as PolicyStatement[]) : undefined;
    const fits =
      last &&
      policySize({ Version: document.Version, Statement: [...last, statement] }) <=
        IAM_LIMITS.managedPolicy;
    if (fits) last.push(statement);
    else parts.push([statement]);
  }
  return parts.map((Statement) => ({ Version: document.Version, Statement }));
}

export function partPath(index: number): string {
  return `docs/iam/k3s-bot-policy.part-${index + 1}.json`;
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * JSON laid out as biome formats it (2 spaces; an array on one line when that line fits in 100
 * columns), so the committed file passes `biome check` as generated.
 */
export function formatJson(value: unknown, indent = 0, prefixLength = 0): string {
  const pad = " ".repeat(indent);
  const inner = " ".repeat(indent + 2);
  if (Array.isArray(value)) {
    const items = value.map((item) => formatJson(item, indent + 2, 0));
    const oneLine = `[${items.join(", ")}]`;
    const fits = !items.some((item) => item.includes("\n"));
    if (fits && indent + prefixLength + oneLine.length + 1 <= 100) return oneLine;
    return `[\n${items.map((item) => `${inner}${item}`).join(",\n")}\n${pad}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([key, item]) => {
      const keyText = `${JSON.stringify(key)}: `;
      return `${inner}${keyText}${formatJson(item, indent + 2, keyText.length)}`;
    });
    return entries.length === 0 ? "{}" : `{\n${entries.join(",\n")}\n${pad}}`;
  }
  return JSON.stringify(value);
}

function readme(
  document: PolicyDocument,
  definitions: SynthesizedStack[],
  variants: SynthesizedStack[],
): string {
  const typesBy = new Map<StatementKey, Set<string>>();
  for (const { json } of [...definitions, ...variants]) {
    for (const type of resourceTypes(json)) {
      for (const { statement } of RESOURCE_PERMISSIONS[type]?.grants ?? []) {
        typesBy.set(statement, (typesBy.get(statement) ?? new Set()).add(type));
      }
    }
  }
  const parts = managedPolicyParts(document);
  const rows = document.Statement.map((statement) => {
    const key = statement.Sid as StatementKey;
    const spec: StatementSpec = STATEMENTS[key];
    const types = [...(typesBy.get(key) ?? [])].sort().map((t) => `\`${t}\``);
    const part = String(parts.findIndex((p) => p.Statement.some((s) => s.Sid === key)) + 1);
    return `| \`${key}\` | ${part} | ${spec.why.replaceAll("|", "\\|")} | ${types.join(", ") || "—"} |`;
  });
  const names = definitions.map(({ config }) => `\`${config.name}\``).join(", ");
  const size = (d: PolicyDocument) => policySize(d).toLocaleString("en-US");
  return [
    "<!-- Generated by `tsx app/docs/write-iam-policy.ts` from app/docs/iam-policy.ts; do not edit. -->",
    "# AWS permissions of k3s-bot",
    "",
    `[\`k3s-bot-policy.json\`](k3s-bot-policy.json) is the IAM policy the bot needs to plan, apply and destroy the example clusters (${names}) and every optional feature of the cluster definition, with the AWS provider ${AWS_PROVIDER_VERSION}. It is generated from the stack itself: each Terraform resource type the stack can create maps to the actions the provider calls for it, each AWS SDK call of the bot to its action (\`app/docs/iam-policy.ts\`). A test fails when a new resource type or SDK call has no entry, or when these files are stale.`,
    "",
    "The state bucket, lock table and state keys in it are the examples' (`state:` in `examples/clusters/*.yaml`). Generate the policy for your own definitions:",
    "",
    "```sh",
    "npm run cli -- iam-policy --out my-iam /path/to/clusters/*.yaml   # in the k3s-bot checkout",
    "```",
    "",
    "## Where to attach it",
    "",
    `- **One identity** (the default): attach \`k3s-bot-policy.json\` as an inline policy of the bot's role (${size(document)} characters; IAM allows ${IAM_LIMITS.roleInlinePolicies.toLocaleString("en-US")} of inline policy per role). As managed policies (at most ${IAM_LIMITS.managedPolicy.toLocaleString("en-US")} characters each), attach the ${parts.length} parts instead: ${parts.map((part, index) => `[part ${index + 1}](${partPath(index).replace("docs/iam/", "")}) (${size(part)})`).join(", ")}.`,
    "- **Per-cluster roles** (`aws.roleArn` in a definition, or `clusters.<name>.roleArn` in the repo config): the bot's own identity needs part 1 only (its SDK calls use its own credentials); each cluster role needs the other parts, plus `StateBucket` (ListBucket) and `StateObjects` from part 1, because Terraform's provider and S3 backend both run as the assumed role, and a trust policy that lets the bot's identity assume it.",
    "",
    "## Statements",
    "",
    "| statement | part | why | resource types |",
    "|---|---|---|---|",
    ...rows,
    "",
    "## What this rests on",
    "",
    "- The action lists follow the AWS provider's calls for each resource (create, read, update, delete, tags) and AWS's documentation where a call needs more than its own action (EFS mount targets need EC2 network-interface actions; an Auto Scaling group checks its launch template with `ec2:RunInstances` and `iam:PassRole`; `manage_master_user_password` needs Secrets Manager actions; an AMI given as an SSM parameter needs `ssm:GetParameters`). Read actions use `Describe*` wildcards, which grant reads only.",
    "- Delete actions are allowed only on resources that carry the `k3s-bot/cluster` tag, which the provider's default tags put on every taggable resource of the stack. Resources created by an older version without the tag must be tagged before the bot can delete them.",
    "- The local emulator does not enforce IAM, so the tests prove the lists complete against the stack, not against AWS's authorizer: a real account is the final check. A missing action shows as `AccessDenied`/`UnauthorizedOperation` naming it, in the plan or apply comment and in CloudTrail.",
    "- Node roles (what the k3s servers and agents may do) are not here: the stack creates them, with the policies in `infra/iam-policies.ts`.",
    "",
  ].join("\n");
}

/** The committed files, for the given definitions (default: the examples). */
export function generatedIamFiles(
  root: string,
  definitionFiles: string[] = EXAMPLE_DEFINITIONS,
  out: string = IAM_POLICY_PATH,
): { files: Record<string, string>; document: PolicyDocument; types: string[] } {
  const { definitions, variants } = synthesizedStacks(
    loadConfigs(definitionFiles.map((file) => resolve(root, file))),
  );
  const document = buildPolicy(definitions, variants);
  const json = (d: PolicyDocument) => `${formatJson(d)}\n`;
  const files: Record<string, string> =
    out === IAM_POLICY_PATH
      ? {
          [IAM_POLICY_PATH]: json(document),
          ...Object.fromEntries(
            managedPolicyParts(document).map((part, index) => [partPath(index), json(part)]),
          ),
          [IAM_README_PATH]: readme(document, definitions, variants),
        }
      : { [out]: json(document) };
  return {
    files,
    document,
    types: unique([...definitions, ...variants].flatMap(({ json }) => resourceTypes(json))),
  };
}
