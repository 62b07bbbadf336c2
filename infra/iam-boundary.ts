/**
 * The permissions boundary of every role the stack creates (node roles, the flow-log role).
 *
 * The operator creates it once per account, as the managed policy `k3s-bot-node-boundary`
 * (docs/iam/k3s-bot-node-boundary.json, printed by `k3s-bot iam-policy`); the bot may create
 * and change roles only when this boundary is attached (docs/iam/k3s-bot-policy.json,
 * `NodeRolesWithBoundary`), and may never change or remove it. So whatever inline policy a
 * compromised bot writes onto a role, the role can do at most what this document allows:
 * what the nodes' own policies need (infra/iam-policies.ts, and the add-ons' in infra/addons/),
 * no IAM beyond the one service-linked role the cloud controller creates, no sts:AssumeRole,
 * and secrets only under its own cluster's prefix (`k3s-bot/<cluster>/…`, the cluster named by
 * the role's own `k3s-bot/cluster` tag).
 *
 * IAM: a boundary is an allow-list — an action it does not allow is denied whatever the role's
 * policies say (IAM User Guide, "Permissions boundaries for IAM entities").
 */
import { allAddonNodePolicies } from "./addons/registry";
import {
  flowLogsDeliveryPolicy,
  type PolicyDocument,
  type PolicyStatement,
  workerLifecyclePolicy,
  workerSelfHealthPolicy,
} from "./iam-policies";
import { CLUSTER_TAG_KEY } from "./naming";

/** The managed policy's name; the operator creates it under this name, path `/`. */
export const NODE_BOUNDARY_POLICY_NAME = "k3s-bot-node-boundary";

export function nodeBoundaryArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:policy/${NODE_BOUNDARY_POLICY_NAME}`;
}

/**
 * The actions of AWS's managed policy AmazonSSMManagedInstanceCore (policy version v2, created
 * 2019-05-23; AWS Managed Policy Reference), which the stack attaches for Session Manager: the
 * boundary must allow them or Session Manager stops working.
 */
export const SSM_MANAGED_INSTANCE_CORE_ACTIONS = [
  "ssm:DescribeAssociation",
  "ssm:GetDeployablePatchSnapshotForInstance",
  "ssm:GetDocument",
  "ssm:DescribeDocument",
  "ssm:GetManifest",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:ListAssociations",
  "ssm:ListInstanceAssociations",
  "ssm:PutInventory",
  "ssm:PutComplianceItems",
  "ssm:PutConfigurePackageResult",
  "ssm:UpdateAssociationStatus",
  "ssm:UpdateInstanceAssociationStatus",
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
];

/** The node and flow-log policies, with placeholder ARNs: only their actions are used. */
function rolePolicies(partition: string): PolicyDocument[] {
  return [
    ...allAddonNodePolicies({ clusterName: "*", efsFileSystemArn: "*" }).map((p) => p.document),
    workerSelfHealthPolicy({ partition, region: "*", name: "*", clusterTag: {} }),
    workerLifecyclePolicy("*"),
    flowLogsDeliveryPolicy("*"),
  ];
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * Every action the roles' own policies use, except IAM and Secrets Manager, which the boundary
 * grants separately and narrowly below.
 */
export function nodeActions(partition: string): string[] {
  const actions = rolePolicies(partition).flatMap((policy) =>
    policy.Statement.flatMap((statement) => asList(statement.Action)),
  );
  return [...new Set([...actions, ...SSM_MANAGED_INSTANCE_CORE_ACTIONS])]
    .filter((action) => !action.startsWith("iam:") && !action.startsWith("secretsmanager:"))
    .sort();
}

/**
 * Policy variables resolved by IAM per request (IAM User Guide, "IAM policy elements:
 * Variables and tags"): the caller's account, and the `k3s-bot/cluster` tag of the role itself
 * (role tags are principal tags of its sessions). A role without that tag matches no secret.
 */
const OWN_ACCOUNT = `\${aws:PrincipalAccount}`;
const OWN_CLUSTER = `\${aws:PrincipalTag/${CLUSTER_TAG_KEY}}`;

export function nodeBoundaryPolicy(partition: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "NodeActions",
      Effect: "Allow",
      Action: nodeActions(partition),
      Resource: "*",
    },
    {
      // The cloud controller creates the load balancers' service-linked role, and only that.
      Sid: "LoadBalancerServiceLinkedRole",
      Effect: "Allow",
      Action: "iam:CreateServiceLinkedRole",
      Resource: `arn:${partition}:iam::*:role/aws-service-role/*`,
      Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
    },
    {
      Sid: "OwnClusterSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      Resource: `arn:${partition}:secretsmanager:*:${OWN_ACCOUNT}:secret:k3s-bot/${OWN_CLUSTER}/*`,
    },
    {
      // The RDS-managed master password (`rds!db-…`), read by the servers to reach the
      // datastore; its name carries no cluster, see docs/security.md.
      Sid: "DatastoreMasterSecret",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: `arn:${partition}:secretsmanager:*:${OWN_ACCOUNT}:secret:rds!*`,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}
