/**
 * The AWS cloud controller manager (kubernetes/cloud-provider-aws), on every cluster: k3s runs
 * with `--disable-cloud-controller` and `--kubelet-arg=cloud-provider=external`, so this is
 * what initialises nodes (provider id, zone labels) and lifts their "uninitialized" taint.
 *
 * Chart pin: aws-cloud-controller-manager 0.0.11, read from kubernetes/cloud-provider-aws
 * gh-pages:index.yaml, snapshot 2026-03-25; appVersion v1.35.0, digest 3da2227e…886f. The newest
 * (and only 0.0.x after 0.0.10); it differs from 0.0.10 only in the default image tag, which we
 * override per k3s minor (CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR). Facts:
 * infra/facts/charts/aws-cloud-controller-manager.json; IAM facts:
 * infra/facts/iam/cloud-provider-aws-{control-plane,node}.json.
 */
import { type PolicyDocument, policyDocument } from "../iam-policies";
import { type Addon, k3sMinor } from "./addon";

/**
 * registry.k8s.io/provider-aws/cloud-controller-manager tag for each k3s minor. Kubernetes'
 * version skew policy forbids a cloud-controller-manager newer than the API server, and the
 * chart's default image follows the newest Kubernetes (v1.35.0 in chart 0.0.11), so the tag is
 * always set. Each is the newest patch of that minor that Kubernetes' image promoter publishes:
 * kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml (commit
 * 0137eda2), entry cloud-controller-manager; not every git tag of kubernetes/cloud-provider-aws
 * is promoted (v1.33.1 and v1.33.3 are not). A k3s minor missing here is refused by the
 * definition rules (infra/definition/rules.ts), never run with a mismatched controller.
 */
export const CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR: Readonly<Record<string, string>> = {
  "1.31": "v1.31.9",
  "1.32": "v1.32.8",
  "1.33": "v1.33.4",
  "1.34": "v1.34.3",
  "1.35": "v1.35.2",
};

/**
 * The cloud-controller-manager image for the cluster's minor. Kubernetes' version skew policy
 * forbids a controller manager newer than the API server, so there is no fallback to the
 * chart's default (the newest Kubernetes); the definition rules refuse such a k3s version first.
 */
export function cloudControllerManagerImageTag(k3sVersion: string): string {
  const minor = k3sMinor(k3sVersion);
  const tag = minor ? CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR[minor] : undefined;
  if (!tag) throw new Error(`no cloud-controller-manager image pinned for k3s ${k3sVersion}`);
  return tag;
}

export const awsCloudControllerManager = {
  name: "aws-cloud-controller-manager",
  enabled: (): boolean => true,
  manifests: [
    {
      name: "aws-cloud-controller-manager",
      chart: {
        chart: "aws-cloud-controller-manager",
        repo: "https://kubernetes.github.io/cloud-provider-aws",
        version: "0.0.11",
      },
      values: (params) => ({ CCM_IMAGE_TAG: cloudControllerManagerImageTag(params.k3sVersion) }),
    },
  ],
  // The controller runs on the servers; the node policy is every kubelet's.
  nodePolicies: () => [
    {
      name: "cloud-controller-manager",
      roles: ["server"],
      document: cloudProviderControlPlanePolicy(),
    },
    {
      name: "cloud-provider-node",
      roles: ["server", "agent"],
      document: cloudProviderNodePolicy(),
    },
  ],
} as const satisfies Addon;

/**
 * aws-cloud-controller-manager on the servers: the "Control Plane Policy" of
 * kubernetes/cloud-provider-aws docs/prerequisites.md at v1.34.0, kept in infra/facts/iam/
 * (the documented list, with its duplicate
 * `elasticloadbalancing:AddTags` removed). It manages Service load balancers, routes and
 * volumes, hence the breadth; the document itself says to trim it to the features used.
 */
export function cloudProviderControlPlanePolicy(): PolicyDocument {
  return policyDocument({
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
  return policyDocument({
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
