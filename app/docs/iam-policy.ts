/**
 * The AWS permissions k3s-bot needs, derived so they cannot drift: this module synthesizes the
 * stacks a policy covers, collects their grants and builds the policy document. The tables are
 * one concern each, under app/docs/iam/:
 *   statements.ts            one statement per service and scope: why, resources, condition
 *   resource-permissions.ts  Terraform resource type → actions the AWS provider calls
 *   sdk-commands.ts          AWS SDK command of the bot → actions; ALWAYS and STATE_KMS
 *   condition-keys.ts        which condition keys an action honours (facts with sources)
 *   files.ts                 the committed docs/iam/ files and their README
 * `tsx app/docs/write-iam-policy.ts` writes docs/iam/; test/docs/iam-policy.test.ts checks the
 * committed files equal what this produces now.
 *
 * The stack has no data sources: zones come from the definition, the partition from the region,
 * ARNs from resource attributes, and the AMI is resolved by EC2 at launch from Canonical's public
 * SSM parameter (which is why the launch template row needs ssm:GetParameters).
 */
import { addonsOff } from "../../infra/addons/registry";
import type { ClusterConfig } from "../../infra/definition/config";
import { synthesizeCluster, type TerraformJson } from "../../infra/synth";
import { snapshotIdentifier } from "../engine/datastore-snapshot";
import { loadDefinitionFile } from "../engine/definitions/load";
import { formatProblems } from "../engine/definitions/problems";
import { checkConditionKeys } from "./iam/condition-keys";
import { iam, RESOURCE_PERMISSIONS } from "./iam/resource-permissions";
import { ALWAYS, SDK_COMMANDS, STATE_KMS } from "./iam/sdk-commands";
import {
  type Grant,
  type PolicyContext,
  STATEMENTS,
  type StatementKey,
  type StatementSpec,
  TAG_ON_CREATE_SERVICES,
  type TagOnCreateService,
} from "./iam/statements";

export type { ResourcePermissions } from "./iam/resource-permissions";
export { RESOURCE_PERMISSIONS } from "./iam/resource-permissions";
export { ALWAYS, SDK_COMMANDS, STATE_KMS, sdkCommandsUsed } from "./iam/sdk-commands";
export type { Grant, PolicyContext, StatementKey } from "./iam/statements";
export { STATEMENTS } from "./iam/statements";

export const EXAMPLE_DEFINITIONS = ["examples/clusters/dev.yaml", "examples/clusters/ha.yaml"];
/** The AWS provider version the action lists were checked against (the Dockerfile pins it). */
export const AWS_PROVIDER_VERSION = "5.100.0";

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
    config.addons = addonsOff();
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
  Effect: "Allow" | "Deny";
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
    assumedRoles: unique(
      configs.flatMap((config) => (config.aws.roleArn ? [config.aws.roleArn] : [])),
    ),
    nodeRoleNames: unique(namesOf("aws_iam_role")),
    instanceProfileNames: unique(namesOf("aws_iam_instance_profile")),
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
    createActions: createActions(all),
    rdsResources: unique(all.flatMap(rdsResources)),
  };
}

/** Each tag-on-create service's statement of create calls (statements.ts). */
const CREATE_STATEMENTS: Record<TagOnCreateService, StatementKey> = {
  ec2: "Ec2",
  elasticloadbalancing: "LoadBalancing",
  elasticfilesystem: "Efs",
};
/** A call that makes a resource (whose tags are in its request). */
const CREATE_CALL = /^(Create\w+|AllocateAddress|RunInstances)$/;

/** The create calls the stacks' resource types grant, by tag-on-create service. */
function createActions(stacks: SynthesizedStack[]): Record<TagOnCreateService, string[]> {
  const grants = stacks
    .flatMap(({ json }) => resourceTypes(json))
    .flatMap((type) => RESOURCE_PERMISSIONS[type]?.grants ?? []);
  const of = (service: TagOnCreateService) =>
    unique(
      grants
        .filter((grant) => grant.statement === CREATE_STATEMENTS[service])
        .flatMap((grant) => grant.actions)
        .filter((action) => action.startsWith(`${service}:`))
        .map((action) => action.slice(service.length + 1))
        .filter((name) => CREATE_CALL.test(name)),
    );
  return Object.fromEntries(
    TAG_ON_CREATE_SERVICES.map((service) => [service, of(service)]),
  ) as Record<TagOnCreateService, string[]>;
}

/**
 * The RDS resources a stack and the bot create, as ARN resource parts, by the names the
 * stack gives them: the instance, its subnet and parameter groups (any engine version: a
 * version change names a new group), its final snapshot and the bot's pre-apply snapshots.
 */
function rdsResources(stack: SynthesizedStack): string[] {
  const resources = (stack.json.resource ?? {}) as Resources;
  const names = (type: string, attribute: string) =>
    Object.values(resources[type] ?? {}).map((resource) => String(resource[attribute]));
  return [
    ...names("aws_db_instance", "identifier").flatMap((id) => [
      `db:${id}`,
      // The bot's snapshot identifier ends in a 14-digit time stamp.
      `snapshot:${snapshotIdentifier(id, new Date(0)).replace(/\d{14}$/, "*")}`,
    ]),
    ...names("aws_db_instance", "final_snapshot_identifier").map((id) => `snapshot:${id}`),
    ...names("aws_db_subnet_group", "name").map((name) => `subgrp:${name}`),
    ...names("aws_db_parameter_group", "name").map(
      (name) => `pg:${name.replace(/postgres[\d.]+$/, "postgres*")}`,
    ),
  ];
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
    const granted = byStatement.get(sid);
    if (!granted) continue;
    const actions = spec.deny ?? granted;
    const resources = unique(spec.resources(context));
    if (resources.length === 0) continue;
    const condition = spec.condition?.(context);
    if (condition) checkConditionKeys(sid, actions, condition);
    Statement.push({
      Sid: sid,
      Effect: spec.deny ? "Deny" : "Allow",
      Action: unique(actions),
      Resource: resources.length === 1 ? (resources[0] as string) : resources,
      ...(condition ? { Condition: condition } : {}),
    });
  }
  return { Version: "2012-10-17", Statement };
}

/** The bot's own calls and Terraform's backend: all a bot identity with per-cluster roles needs. */
export const BOT_STATEMENTS: StatementKey[] = [
  "AssumeClusterRoles",
  "StateBucket",
  "StateObjects",
  "StateKmsKey",
  "LockTable",
  "ReadClusterStatus",
  "KeepBoundaries",
];

/** IAM's size limits, in characters without white space (IAM and STS quotas page). */
export const IAM_LIMITS = {
  managedPolicy: 6144,
  roleInlinePolicies: 10240,
  /** Managed policies attached to one role, by default (the same page; it may be raised to 20). */
  managedPoliciesPerRole: 10,
} as const;

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
