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

const document = (...statements: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

export function policyJson(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

/** Lets EC2 instances (through their instance profile) take the role. */
export function ec2AssumeRolePolicy(): PolicyDocument {
  return document({
    Effect: "Allow",
    Principal: { Service: "ec2.amazonaws.com" },
    Action: "sts:AssumeRole",
  });
}

/**
 * aws-cloud-controller-manager on the servers: the "Control Plane Policy" of
 * kubernetes/cloud-provider-aws docs/prerequisites.md at v1.34.0, kept in infra/facts/iam/
 * (the documented list, with its duplicate
 * `elasticloadbalancing:AddTags` removed). It manages Service load balancers, routes and
 * volumes, hence the breadth; the document itself says to trim it to the features used.
 */
export function cloudProviderControlPlanePolicy(): PolicyDocument {
  return document({
    Sid: "CloudControllerManager",
    Effect: "Allow",
    Action: [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeTags",
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVolumes",
      "ec2:DescribeAvailabilityZones",
      "ec2:CreateSecurityGroup",
      "ec2:CreateTags",
      "ec2:CreateVolume",
      "ec2:ModifyInstanceAttribute",
      "ec2:ModifyVolume",
      "ec2:AttachVolume",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateRoute",
      "ec2:DeleteRoute",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteVolume",
      "ec2:DetachVolume",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:DescribeVpcs",
      "ec2:DescribeInstanceTopology",
      "elasticloadbalancing:AddTags",
      "elasticloadbalancing:AttachLoadBalancerToSubnets",
      "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateLoadBalancerPolicy",
      "elasticloadbalancing:CreateLoadBalancerListeners",
      "elasticloadbalancing:ConfigureHealthCheck",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteLoadBalancerListeners",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DetachLoadBalancerFromSubnets",
      "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
      "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancerPolicies",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:RegisterTargets",
      "elasticloadbalancing:DeregisterTargets",
      "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
      "iam:CreateServiceLinkedRole",
      "kms:DescribeKey",
    ],
    Resource: "*",
  });
}

/**
 * Every node (kubelet with `cloud-provider=external`, image pulls from ECR): the "Node Policy"
 * of kubernetes/cloud-provider-aws docs/prerequisites.md, unchanged.
 */
export function cloudProviderNodePolicy(): PolicyDocument {
  return document({
    Sid: "CloudProviderNode",
    Effect: "Allow",
    Action: [
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetRepositoryPolicy",
      "ecr:DescribeRepositories",
      "ecr:ListImages",
      "ecr:BatchGetImage",
    ],
    Resource: "*",
  });
}

/**
 * The EFS CSI driver's controller (scheduled on the servers), which creates and deletes access
 * points: kubernetes-sigs/aws-efs-csi-driver docs/iam-policy-example.json at v2.1.2 (the
 * appVersion of chart 3.1.4), unchanged; the facts in infra/facts/iam/ hold it and a test keeps
 * this document to them. The tag conditions limit it to access points the driver itself tagged
 * `efs.csi.aws.com/cluster`. `TagResource`: the driver creates every access point with tags,
 * and IAM authorizes tag-on-create as a separate `TagResource` action, so without it every
 * CreateAccessPoint is denied.
 */
export function efsCsiControllerPolicy(): PolicyDocument {
  return document(
    {
      Sid: "EfsCsiDescribe",
      Effect: "Allow",
      Action: [
        "elasticfilesystem:DescribeAccessPoints",
        "elasticfilesystem:DescribeFileSystems",
        "elasticfilesystem:DescribeMountTargets",
        "ec2:DescribeAvailabilityZones",
      ],
      Resource: "*",
    },
    {
      Sid: "EfsCsiCreateTaggedAccessPoint",
      Effect: "Allow",
      Action: ["elasticfilesystem:CreateAccessPoint"],
      Resource: "*",
      Condition: { StringLike: { "aws:RequestTag/efs.csi.aws.com/cluster": "true" } },
    },
    {
      Sid: "EfsCsiTagAccessPoint",
      Effect: "Allow",
      Action: ["elasticfilesystem:TagResource"],
      Resource: "*",
      Condition: { StringLike: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" } },
    },
    {
      Sid: "EfsCsiDeleteTaggedAccessPoint",
      Effect: "Allow",
      Action: "elasticfilesystem:DeleteAccessPoint",
      Resource: "*",
      Condition: { StringEquals: { "aws:ResourceTag/efs.csi.aws.com/cluster": "true" } },
    },
  );
}

/**
 * The EFS CSI driver's node plugin, which mounts volumes through efs-utils: it looks up mount
 * targets and, with the `iam` mount option, authenticates as the node (elasticfilesystem
 * ClientMount/ClientWrite, see the EFS user guide "Using IAM to control file system data
 * access"). Not part of the driver's example policy, which covers the controller only; the
 * client actions are limited to this cluster's file system.
 */
export function efsCsiNodePolicy(fileSystemArn: string): PolicyDocument {
  return document(
    {
      Sid: "EfsCsiNodeDescribe",
      Effect: "Allow",
      Action: [
        "elasticfilesystem:DescribeMountTargets",
        "elasticfilesystem:DescribeFileSystems",
        "ec2:DescribeAvailabilityZones",
      ],
      Resource: "*",
    },
    {
      Sid: "EfsCsiNodeMount",
      Effect: "Allow",
      Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
      Resource: fileSystemArn,
    },
  );
}

/**
 * cluster-autoscaler (scheduled on the servers): the "Full Cluster Autoscaler Features Policy"
 * of kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md (at
 * cluster-autoscaler-chart-9.59.0, unchanged since 9.56.0; infra/facts/iam/ holds it and a test keeps this document to
 * it), without `eks:DescribeNodegroup` (not EKS), and with the write actions restricted, as the
 * README recommends, by the auto-discovery tags of this cluster's worker group. It also keeps
 * `autoscaling:DescribeTags`, which the README listed for auto-discovery until its 2024-05
 * revision (commit 055e2bfc04) dropped it.
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
  return document(
    {
      Sid: "ClusterAutoscalerDescribe",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
      ],
      Resource: "*",
    },
    {
      Sid: "ClusterAutoscalerScaleOwnGroup",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
          [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
        },
      },
    },
  );
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
  return document(...statements);
}

/**
 * The servers' status reporter (bootstrap/scripts/cluster-status.sh) writes the cluster's status
 * document to its one SSM parameter: PutParameter on exactly that parameter's ARN, so a node can
 * write only its own cluster's status. Reading needs nothing new (AmazonSSMManagedInstanceCore
 * already grants ssm:GetParameter); workers get nothing.
 */
export function clusterStatusWriterPolicy(parameterArn: string): PolicyDocument {
  return document({
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
  return document(
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
  return document({
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
  return document({
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
  return document({
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
  return document({
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
  return document({
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
