/**
 * Every Terraform resource type the stack can create → the actions the AWS provider (5.100.0)
 * calls to create, read, update, delete and tag it, each landing in a statement of
 * statements.ts. test/docs/iam-policy.test.ts synthesizes both examples and every optional
 * feature and fails when a type has no row.
 */
import { type Grant, grant, type StatementKey } from "./statements";

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
/** Rule changes: on the group only if tagged; on the rule objects (untaggable by us) as such. */
const sgRules = (...actions: string[]) => [
  grant("Ec2GroupRulesTagged", ...actions.map((a) => `ec2:${a}`)),
  grant(
    "Ec2RuleObjects",
    ...actions
      .filter((a) => !a.startsWith("UpdateSecurityGroupRuleDescriptions"))
      .map((a) => `ec2:${a}`),
  ),
];
const efs = (...actions: string[]) =>
  grant(
    "Efs",
    ...["Describe*", "ListTagsForResource", ...actions].map((a) => `elasticfilesystem:${a}`),
  );
export const iam = (statement: StatementKey, ...actions: string[]) =>
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
      ec2("CreateSecurityGroup", "RevokeSecurityGroupEgress"),
      ...sgRules("AuthorizeSecurityGroupEgress"),
      ec2Delete("DeleteSecurityGroup"),
    ],
  },
  aws_vpc_security_group_ingress_rule: {
    grants: [
      EC2_COMMON,
      ec2("RevokeSecurityGroupIngress"),
      ...sgRules(
        "AuthorizeSecurityGroupIngress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
      ),
    ],
  },
  aws_vpc_security_group_egress_rule: {
    grants: [
      EC2_COMMON,
      ec2("RevokeSecurityGroupEgress"),
      ...sgRules(
        "AuthorizeSecurityGroupEgress",
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
      grant("AutoScalingCreateTagged", "autoscaling:CreateAutoScalingGroup"),
      grant("AutoScalingGroupsTagged", "autoscaling:UpdateAutoScalingGroup"),
      asg(
        "Describe*",
        "CreateOrUpdateTags",
        "DeleteTags",
        "AttachLoadBalancerTargetGroups",
        "DetachLoadBalancerTargetGroups",
        "AttachTrafficSources",
        "DetachTrafficSources",
        "StartInstanceRefresh",
        "CancelInstanceRefresh",
      ),
      grant("AutoScalingGroupsTagged", "autoscaling:DeleteAutoScalingGroup"),
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
      rds("CreateDBParameterGroup"),
      grant("RdsParameterGroupTagged", "rds:ModifyDBParameterGroup", "rds:ResetDBParameterGroup"),
      rdsDelete("DeleteDBParameterGroup"),
    ],
  },
  aws_db_instance: {
    grants: [
      // RestoreDBInstanceFromDBSnapshot: the provider creates the instance with it instead of
      // CreateDBInstance when snapshot_identifier is set (datastore.restoreFromSnapshot;
      // terraform-provider-aws internal/service/rds/instance.go, resourceInstanceCreate), then
      // applies the rest with ModifyDBInstance. Which snapshot: the definition rules allow only
      // the cluster's own datastore's (infra/definition/rules.ts, checkDatastore).
      rds("CreateDBInstance", "CreateDBSnapshot", "RestoreDBInstanceFromDBSnapshot"),
      grant(
        "RdsInstanceTagged",
        "rds:ModifyDBInstance",
        "rds:RebootDBInstance",
        "rds:DeleteDBInstance",
      ),
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
      iam("NodeRolesWithBoundary", "CreateRole", "PutRolePermissionsBoundary"),
      iam(
        "NodeRoles",
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
      iam("NodeRoles", "GetRolePolicy", "ListRolePolicies"),
      iam("NodeRolesWithBoundary", "PutRolePolicy", "DeleteRolePolicy"),
    ],
  },
  aws_iam_role_policy_attachment: {
    grants: [
      iam("NodeRoles", "ListAttachedRolePolicies"),
      iam("NodeRolesWithBoundary", "AttachRolePolicy", "DetachRolePolicy"),
      grant("OnlySsmPolicy"),
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
