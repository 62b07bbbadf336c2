/**
 * cluster-autoscaler (kubernetes/autoscaler), with `workers.scaling: clusterAutoscaler`: it
 * finds the worker group by its auto-discovery tags and sets its desired capacity from pending
 * pods.
 *
 * Chart pin: cluster-autoscaler 9.59.0, read from kubernetes/autoscaler gh-pages:index.yaml,
 * snapshot 2026-07-26; appVersion 1.35.0, digest 90276daf…8f6e; from 9.56.0 only RBAC rules and
 * an Azure variable were added, so older images (pinned per minor below) run under it. Facts:
 * infra/facts/charts/cluster-autoscaler.json; IAM facts:
 * infra/facts/iam/cluster-autoscaler-chart-9.59.0.json.
 */
import { type PolicyDocument, policyDocument } from "../iam-policies";
import { type Addon, k3sMinor } from "./addon";

/**
 * cluster-autoscaler must match the cluster's Kubernetes minor version (its README's
 * compatibility rule), whatever the chart's default appVersion is. Each tag is a release of
 * kubernetes/autoscaler (git tags cluster-autoscaler-1.31.4, -1.32.3, -1.33.1, -1.34.0; newer
 * patches exist up to 1.31.5, 1.32.7, 1.33.6, 1.34.5). For 1.35 the chart's default (appVersion
 * 1.35.0 at 9.59.0) already matches, so a minor not listed keeps the chart's default image.
 */
export const CLUSTER_AUTOSCALER_IMAGE_BY_MINOR: Readonly<Record<string, string>> = {
  "1.31": "v1.31.4",
  "1.32": "v1.32.3",
  "1.33": "v1.33.1",
  "1.34": "v1.34.0",
};

/** The image matching the cluster's minor, or "" (empty keeps the chart's default). */
export function autoscalerImageTag(k3sVersion: string): string {
  const minor = k3sMinor(k3sVersion);
  return (minor && CLUSTER_AUTOSCALER_IMAGE_BY_MINOR[minor]) || "";
}

export const clusterAutoscaler = {
  name: "cluster-autoscaler",
  enabled: (params): boolean => params.workers.scaling === "clusterAutoscaler",
  manifests: [
    {
      name: "cluster-autoscaler",
      chart: {
        chart: "cluster-autoscaler",
        repo: "https://kubernetes.github.io/autoscaler",
        version: "9.59.0",
      },
      values: (params) => ({ AUTOSCALER_IMAGE_TAG: autoscalerImageTag(params.k3sVersion) }),
      // An empty image.tag would override the chart's default with nothing: drop the block.
      adjust: (content) => content.replace('    image:\n      tag: ""\n', ""),
    },
  ],
  // Scheduled on the servers, whose role alone carries the autoscaling permissions.
  nodePolicies: (context) => [
    {
      name: "cluster-autoscaler",
      roles: ["server"],
      document: clusterAutoscalerPolicy(context.clusterName),
    },
  ],
} as const satisfies Addon;

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
  return policyDocument(
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
