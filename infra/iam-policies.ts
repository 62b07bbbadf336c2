/**
 * IAM policy documents of the node roles, as data. Each one says where it comes from; where we
 * deviate from the documented policy, the comment says how and why.
 *
 * ARNs passed in may be Terraform tokens: the documents are serialised with JSON.stringify and
 * Terraform interpolates the `${…}` references inside the string at plan time.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  /** Absent only in trust policies, which IAM rejects with a Resource. */
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** A policy document of these statements (the add-ons' policies in infra/addons/ use it too). */
export const policyDocument = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

export function policyJson(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

/** Lets EC2 instances (through their instance profile) take the role. */
export function ec2AssumeRolePolicy(): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: "ec2.amazonaws.com" },
    Action: "sts:AssumeRole",
  });
}

/**
 * The servers' secrets: the first server creates the join token and the agent token and stores
 * the admin kubeconfig; every server reads them back, and the RDS master secret to build the
 * datastore endpoint. Nothing else in Secrets Manager.
 */
export function serverSecretsPolicy(secrets: {
  joinTokenArn: string;
  agentTokenArn: string;
  kubeconfigArn: string;
  datastoreMasterSecretArn?: string;
}): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "ClusterSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      Resource: [secrets.joinTokenArn, secrets.agentTokenArn, secrets.kubeconfigArn],
    },
  ];
  if (secrets.datastoreMasterSecretArn) {
    statements.push({
      Sid: "DatastoreMasterSecret",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: secrets.datastoreMasterSecretArn,
    });
  }
  return policyDocument(...statements);
}

/**
 * The servers' status reporter (bootstrap/scripts/cluster-status.sh) writes the cluster's status
 * document to its one SSM parameter: PutParameter on exactly that parameter's ARN, so a node can
 * write only its own cluster's status. Reading needs nothing new (AmazonSSMManagedInstanceCore
 * already grants ssm:GetParameter); workers get nothing.
 */
export function clusterStatusWriterPolicy(parameterArn: string): PolicyDocument {
  return policyDocument({
    Sid: "ClusterStatusReport",
    Effect: "Allow",
    Action: "ssm:PutParameter",
    Resource: parameterArn,
  });
}

/**
 * The ARN of a cluster's status parameter. The stack makes no AWS call at synth time, so the
 * account comes from a resource of the same account (a secret's ARN, `arn:…:<account>:secret:…`).
 */
export function statusParameterArn(p: {
  partition: string;
  region: string;
  accountOf: string;
  name: string;
}): string {
  return `arn:${p.partition}:ssm:${p.region}:${p.accountOf}:parameter${p.name}`;
}

/**
 * k3s on a server saves etcd snapshots to its cluster's snapshot bucket, prunes its own, and a
 * replacement server lists and downloads them to restore (docs/backups.md). k3s' S3 client
 * (minio-go, k3s-io/k3s pkg/etcd/s3/s3.go GetClient) checks the bucket exists (HeadBucket =
 * s3:ListBucket), lists, puts, stats, gets and removes objects under the folder; without an
 * access key it takes the instance role's credentials (its credential chain ends with
 * `credentials.IAM`, the instance metadata service). No s3:DeleteObjectVersion: in the
 * versioned bucket a deleted snapshot stays a noncurrent version until the lifecycle rule ends it.
 * HeadBucket carries no prefix, hence `StringLikeIfExists`; the bucket holds this cluster's
 * snapshots only.
 */
export function etcdSnapshotPolicy(bucketArn: string, folder: string): PolicyDocument {
  return policyDocument(
    {
      Sid: "ListOwnSnapshots",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn,
      Condition: { StringLikeIfExists: { "s3:prefix": [folder, `${folder}/*`] } },
    },
    {
      Sid: "ReadWriteOwnSnapshots",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: `${bucketArn}/${folder}/*`,
    },
  );
}

/**
 * Agents only read the agent token, never the join (server) token: a node holding the join token
 * could join as a server and read the datastore.
 */
export function workerSecretsPolicy(agentTokenArn: string): PolicyDocument {
  return policyDocument({
    Sid: "AgentToken",
    Effect: "Allow",
    Action: "secretsmanager:GetSecretValue",
    Resource: agentTokenArn,
  });
}

/**
 * A worker whose bootstrap failed marks itself Unhealthy so its group replaces it (k3s-agent.sh).
 * Scoped to the worker group by name and by its tags, not by its ARN: the group depends on this
 * role's policies (instances boot with them), so referring to the group here would be a cycle.
 * Any worker can mark any worker of its own group, never an instance of another group.
 */
export function workerSelfHealthPolicy(group: {
  partition: string;
  region: string;
  name: string;
  clusterTag: Record<string, string>;
}): PolicyDocument {
  return policyDocument({
    Sid: "WorkerMarksItselfUnhealthy",
    Effect: "Allow",
    Action: "autoscaling:SetInstanceHealth",
    Resource: `arn:${group.partition}:autoscaling:${group.region}:*:autoScalingGroup:*:autoScalingGroupName/${group.name}`,
    Condition: {
      StringEquals: {
        ...Object.fromEntries(
          Object.entries(group.clusterTag).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
        ),
        "aws:ResourceTag/k3s-bot/role": "agent",
      },
    },
  });
}

/**
 * Finishing the drain of a worker that scale-in terminates: heartbeat while pods move, then
 * complete the lifecycle action. Only on the worker group.
 */
export function workerLifecyclePolicy(workerGroupArn: string): PolicyDocument {
  return policyDocument({
    Sid: "WorkerDrainLifecycle",
    Effect: "Allow",
    Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
    Resource: workerGroupArn,
  });
}

/**
 * VPC flow logs deliver through a role only the flow-logs service may take, and only for flow
 * logs of this account in this region (Amazon VPC User Guide, "IAM role for publishing flow
 * logs to CloudWatch Logs", read 2026-11-29: it recommends `aws:SourceAccount` — the flow
 * log's owner — and `aws:SourceArn` — the flow log's ARN,
 * `arn:<partition>:ec2:<region>:<account>:vpc-flow-log/<id>` — against the confused deputy).
 * The flow log's id is not known before it exists, hence the wildcard the guide suggests.
 */
export function flowLogsAssumeRolePolicy(source: {
  partition: string;
  region: string;
  account: string;
}): PolicyDocument {
  return policyDocument({
    Effect: "Allow",
    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: {
      StringEquals: { "aws:SourceAccount": source.account },
      ArnLike: {
        "aws:SourceArn": `arn:${source.partition}:ec2:${source.region}:${source.account}:vpc-flow-log/*`,
      },
    },
  });
}

/**
 * What the flow-logs service does with that role (same guide): create streams in and write to
 * the cluster's flow-log group, nothing else.
 */
export function flowLogsDeliveryPolicy(logGroupArn: string): PolicyDocument {
  return policyDocument({
    Sid: "FlowLogDelivery",
    Effect: "Allow",
    Action: [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  });
}

/** Session Manager instead of SSH (no port 22, no key pairs): the AWS managed policy. */
export function ssmManagedInstanceCoreArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`;
}
