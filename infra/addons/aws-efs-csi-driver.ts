/**
 * The EFS CSI driver (kubernetes-sigs/aws-efs-csi-driver), with `storage.efs`: the `efs`
 * StorageClass, whose ReadWriteMany volumes are access points on the cluster's file system.
 *
 * Chart pin: aws-efs-csi-driver 4.4.1, read from kubernetes-sigs/aws-efs-csi-driver
 * gh-pages:index.yaml, snapshot 2026-07-23; appVersion (driver) 3.4.1, digest 6e1546bf…0758,
 * kubeVersion >=1.17.0-0. The newest in that index (3.x ended at 3.4.1; 4.0.0 came with driver
 * 3.0.0). Facts: infra/facts/charts/aws-efs-csi-driver.json; IAM facts:
 * infra/facts/iam/aws-efs-csi-driver-chart-4.4.1.json.
 */
import { type PolicyDocument, policyDocument } from "../iam-policies";
import type { Addon } from "./addon";

export const awsEfsCsiDriver = {
  name: "aws-efs-csi-driver",
  enabled: (params): boolean => params.efsFileSystemId !== undefined,
  manifests: [
    {
      name: "aws-efs-csi-driver",
      chart: {
        chart: "aws-efs-csi-driver",
        repo: "https://kubernetes-sigs.github.io/aws-efs-csi-driver",
        version: "4.4.1",
      },
      values: (params) => ({ EFS_FILE_SYSTEM_ID: params.efsFileSystemId ?? "" }),
    },
  ],
  // The controller, which creates access points, runs on the servers; every node mounts.
  nodePolicies: (context) => {
    if (!context.efsFileSystemArn) throw new Error("the EFS CSI driver needs the file system ARN");
    return [
      { name: "efs-csi-controller", roles: ["server"], document: efsCsiControllerPolicy() },
      {
        name: "efs-csi-node",
        roles: ["server", "agent"],
        document: efsCsiNodePolicy(context.efsFileSystemArn),
        withoutUpstreamFact:
          "the driver's example policy covers its controller only; the node plugin's mount actions follow the EFS user guide",
      },
    ];
  },
} as const satisfies Addon;

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
  return policyDocument(
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
  return policyDocument(
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
