/**
 * The statements of the bot's policy: one per service and scope, each saying why the bot needs
 * it and how it is scoped (names the stack and the definitions fix, the cluster tag, the
 * permissions boundary). Which actions land in each comes from resource-permissions.ts and
 * sdk-commands.ts.
 */

import { SNAPSHOT_BUCKET_PREFIX } from "../../../infra/etcd-snapshots";
import { NODE_BOUNDARY_POLICY_NAME } from "../../../infra/iam-boundary";
import { CLUSTER_TAG_KEY } from "../../../infra/naming";

const unique = (values: string[]) => [...new Set(values)].sort();

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
  /** Roles the bot assumes: exactly the definitions' `aws.roleArn`s, no name pattern. */
  assumedRoles: string[];
  /** Name patterns of the roles the stack creates (from the synthesized stacks). */
  nodeRoleNames: string[];
  /** Name patterns of the instance profiles (from the synthesized stacks). */
  instanceProfileNames: string[];
  /** Managed policies the stack attaches to node roles (from the synthesized stacks). */
  attachedPolicyArns: string[];
  /** Name patterns of the cluster's own secrets (from the synthesized stacks). */
  secretNames: string[];
  /** Service principals whose service-linked roles the resources need. */
  serviceLinkedRoles: string[];
  /**
   * The create calls the stack makes, by service (`ec2` → `CreateVpc`, …): the values of the
   * service's `CreateAction` condition key when it authorizes the tags of a create request.
   */
  createActions: Record<TagOnCreateService, string[]>;
  /**
   * The RDS resources the stack and the bot create, as ARN resource parts (`db:dev-datastore`,
   * `snapshot:k3s-bot-pre-apply-dev-datastore-*`): RDS has no `CreateAction` key, so the tags
   * of a create request are allowed by the name the stack gives, which the definitions fix.
   */
  rdsResources: string[];
}

/** Services whose tagging action has a `<service>:CreateAction` key (facts: condition keys). */
export const TAG_ON_CREATE_SERVICES = ["ec2", "elasticloadbalancing", "elasticfilesystem"] as const;
export type TagOnCreateService = (typeof TAG_ON_CREATE_SERVICES)[number];

export interface StatementSpec {
  /** Why the bot needs it, in one line; shown in docs/iam/README.md. */
  why: string;
  resources: (ctx: PolicyContext) => string[];
  condition?: (ctx: PolicyContext) => Record<string, Record<string, string | string[]>>;
  /** A Deny statement with fixed actions, present whenever the stack creates roles. */
  deny?: string[];
}

/** The VPC flow-log role's name ends so (infra/vpc-audit.ts: iamName(config, "vpc-flow-logs")). */
const FLOW_LOG_ROLE_SUFFIX = "-vpc-flow-logs";
const arn = (ctx: PolicyContext, rest: string) => `arn:${ctx.partition}:${rest}`;
/**
 * Tagging at creation only: tags in a create request are authorized as the service's tagging
 * action with `<service>:CreateAction` naming the create call, which no other request has (EC2
 * User Guide, "ec2-supported-iam-actions-resources"; Elastic Load Balancing User Guide,
 * "tagging-resources-during-creation"; Amazon EFS User Guide, "using-tags-efs").
 */
const createdBy = (service: TagOnCreateService) => (ctx: PolicyContext) => ({
  StringEquals: { [`${service}:CreateAction`]: ctx.createActions[service] },
});
/** Resources that carry the cluster tag (the provider's default_tags put it on every one). */
const clusterTagged = () => ({ Null: { [`aws:ResourceTag/${CLUSTER_TAG_KEY}`]: "false" } });
/** The same, with a service's own tag key where its documentation uses that one. */
const taggedBy = (key: string) => () => ({ Null: { [`${key}/${CLUSTER_TAG_KEY}`]: "false" } });
/**
 * The boundary every role the stack creates must carry (infra/iam-boundary.ts). The account is
 * IAM's policy variable for the caller's own account, so one policy serves every account.
 */
const boundaryArn = (ctx: PolicyContext) =>
  arn(ctx, `iam::\${aws:PrincipalAccount}:policy/${NODE_BOUNDARY_POLICY_NAME}`);
const withBoundary = (ctx: PolicyContext) => ({
  StringEquals: { "iam:PermissionsBoundary": boundaryArn(ctx) },
});
const nodeRoleArns = (ctx: PolicyContext) =>
  ctx.nodeRoleNames.map((name) => arn(ctx, `iam::*:role/${name}`));
const ANY = () => ["*"];

export const STATEMENTS = {
  // --- the bot's own calls and Terraform's backend ---
  AssumeClusterRoles: {
    why: "Per-cluster roles (`aws.roleArn` in a definition): the bot's provider and S3 backend assume them. Exactly the roles the definitions name, no name pattern (a `k3s-bot-*` pattern would also match the node roles); a role named only in the repo config (`clusters.<name>.roleArn`) must be added here by hand.",
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
  ReadClusterStatus: {
    why: "After an apply and on `/k3s status`, the bot reads the status each cluster's servers report to `/k3s-bot/<name>/status` (read only; no path to the Kubernetes API).",
    resources: (ctx) => [arn(ctx, "ssm:*:*:parameter/k3s-bot/*/status")],
  },
  // --- the stack, through the AWS provider ---
  Ec2: {
    why: "Creates the VPC, subnets, gateways, routes, security groups and launch templates (no resource carries a tag before it exists; each create request carries the cluster tag); RunInstances because an Auto Scaling group validates its launch template with the caller's rights; network interfaces for EFS mount targets (EFS creates them untagged).",
    resources: ANY,
  },
  Ec2TagOnCreate: {
    why: "Tags an EC2 resource only in the request that creates it (`ec2:CreateAction`, set by EC2 only then): the provider tags every resource of the stack at creation. An existing resource cannot be tagged this way.",
    resources: ANY,
    condition: createdBy("ec2"),
  },
  Ec2GroupRulesTagged: {
    why: "Opens, changes or closes rules only in security groups that carry the cluster tag (IAM User Guide's example for security groups: the group ARN with `aws:ResourceTag`).",
    resources: (ctx) => [arn(ctx, "ec2:*:*:security-group/*")],
    condition: clusterTagged,
  },
  Ec2RuleObjects: {
    why: "The rule objects themselves (`security-group-rule/…`) carry no tag of their group; the same example grants them unconditioned. The group is still checked by the statement above.",
    resources: (ctx) => [arn(ctx, "ec2:*:*:security-group-rule/*")],
  },
  Ec2ClusterTagged: {
    why: "Deletes, retags and changes (routes, VPC and subnet attributes, route table associations, launch template versions) only what carries the cluster tag `k3s-bot/cluster`, set on every resource at creation by the provider's default tags. A foreign resource cannot be tagged into scope: tagging an existing resource needs the tag already.",
    resources: ANY,
    condition: clusterTagged,
  },
  AmiParameter: {
    why: "Each plan reads Canonical's public SSM parameter for the current Ubuntu image (GetParameter) unless the definition pins the AMI; a launch template built outside the bot may name the parameter itself (`resolve:ssm:…`), which EC2 resolves with the caller's rights (GetParameters).",
    resources: (ctx) => [arn(ctx, "ssm:*::parameter/aws/service/canonical/*")],
  },
  AutoScaling: {
    why: "Reads the control-plane and worker groups, their hooks, policies and instance refreshes.",
    resources: ANY,
  },
  AutoScalingDeleteClusterTagged: {
    why: "Deletes only hooks and policies of groups that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  AutoScalingGroupsTagged: {
    why: 'Changes, retags, refreshes and deletes only groups that carry the cluster tag, and adds hooks, scaling policies and target groups only to them (`autoscaling:ResourceTag`, Auto Scaling User Guide, "Tags for security"). A group is tagged in the request that creates it (below), so no CreateOrUpdateTags is needed on a group without the tag.',
    resources: ANY,
    condition: taggedBy("autoscaling:ResourceTag"),
  },
  AutoScalingCreateTagged: {
    why: "Creates only groups whose request carries the cluster tag (`aws:RequestTag`, same guide).",
    resources: ANY,
    condition: taggedBy("aws:RequestTag"),
  },
  LoadBalancing: {
    why: "Creates the API and ingress network load balancers, their target groups and listeners; DescribeTargetHealth while Terraform waits for healthy servers.",
    resources: ANY,
  },
  LoadBalancingTagOnCreate: {
    why: "Tags a load balancer, target group or listener only in the request that creates it (`elasticloadbalancing:CreateAction`).",
    resources: ANY,
    condition: createdBy("elasticloadbalancing"),
  },
  LoadBalancingClusterTagged: {
    why: "Changes, retags and deletes only load balancers, target groups and listeners that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  Rds: {
    why: "Creates the PostgreSQL datastore, its subnet group and parameter group; CreateDBSnapshot for the final snapshot on destroy and the bot's snapshot before an apply that changes the datastore.",
    resources: ANY,
  },
  RdsTagOnCreate: {
    why: "RDS checks AddTagsToResource for the tags of a create request and has no key naming the create call, so the stack's own names allow it: the datastore, its groups and snapshots, by the names the definitions fix (`<cluster>-datastore…`, `k3s-bot-pre-apply-<cluster>-datastore-…`). A foreign resource of exactly that name would collide with the stack's anyway.",
    resources: (ctx) => ctx.rdsResources.map((resource) => arn(ctx, `rds:*:*:${resource}`)),
  },
  RdsClusterTagged: {
    why: "Changes, retags and deletes only subnet groups, parameter groups, instances and snapshots that carry the cluster tag.",
    resources: ANY,
    condition: clusterTagged,
  },
  RdsInstanceTagged: {
    why: "Changes, reboots and deletes only DB instances that carry the cluster tag (`rds:db-tag`, the IAM User Guide's RDS tag example), on the instance's ARN: the groups a change names are checked as resources of their own (next statement), where `rds:db-tag` is not supplied.",
    resources: (ctx) => [arn(ctx, "rds:*:*:db:*")],
    condition: taggedBy("rds:db-tag"),
  },
  RdsInstanceReferences: {
    why: "The parameter, subnet and option groups a ModifyDBInstance names (its optional resource types): naming them changes nothing of theirs; the instance is checked above.",
    resources: (ctx) => ["pg", "subgrp", "og"].map((type) => arn(ctx, `rds:*:*:${type}:*`)),
  },
  RdsParameterGroupTagged: {
    why: "Changes only DB parameter groups that carry the cluster tag (`rds:pg-tag`, same example).",
    resources: ANY,
    condition: taggedBy("rds:pg-tag"),
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
    why: "Creates the shared file system; reads file systems, mount targets and policies.",
    resources: ANY,
  },
  EfsTagOnCreate: {
    why: "Tags a file system only in the request that creates it (`elasticfilesystem:CreateAction`).",
    resources: ANY,
    condition: createdBy("elasticfilesystem"),
  },
  EfsClusterTagged: {
    why: "Changes, retags and deletes only file systems that carry the cluster tag, and adds, changes and removes mount targets only on them (a mount target of a foreign file system in the cluster's subnets would expose it).",
    resources: ANY,
    condition: clusterTagged,
  },
  NodeRoles: {
    why: "The server, agent and flow-log roles and their instance profiles, by the names the stack gives them (`k3s-bot-<cluster>-<region>-…`): reads, tags, trust and deletion.",
    resources: (ctx) => [
      ...nodeRoleArns(ctx),
      ...ctx.instanceProfileNames.map((name) => arn(ctx, `iam::*:instance-profile/${name}`)),
    ],
  },
  NodeRolesWithBoundary: {
    why: "Creates those roles and writes their inline and attached policies only when the role carries the permissions boundary `k3s-bot-node-boundary` (docs/iam/k3s-bot-node-boundary.json): whatever policy is written, the role can do no more than the boundary allows.",
    resources: nodeRoleArns,
    condition: withBoundary,
  },
  OnlySsmPolicy: {
    why: "Node roles get exactly the AWS managed policies the stack attaches (SSM Session Manager instead of SSH), no other: any other policy ARN is denied outright.",
    resources: ANY,
    condition: (ctx) => ({ ArnNotEquals: { "iam:PolicyARN": ctx.attachedPolicyArns } }),
    deny: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
  },
  KeepBoundaries: {
    why: "Never removes a role's boundary, and never changes, versions or deletes a managed policy (the boundary among them: a new default version would widen every role at once). The bot manages no managed policy, so the Deny covers all.",
    resources: ANY,
    deny: [
      "iam:DeleteRolePermissionsBoundary",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
    ],
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
    // One pattern for every cluster's secrets: the names differ only in their last part, and
    // IAM's size limit for a role's inline policy is tight.
    resources: (ctx) =>
      unique(
        ctx.secretNames.map((name) =>
          arn(ctx, `secretsmanager:*:*:secret:${name.split("/").slice(0, -1).join("/")}/*`),
        ),
      ),
  },
} satisfies Record<string, StatementSpec>;

export type StatementKey = keyof typeof STATEMENTS;

export interface Grant {
  statement: StatementKey;
  actions: string[];
}

export const grant = (statement: StatementKey, ...actions: string[]): Grant => ({
  statement,
  actions,
});
