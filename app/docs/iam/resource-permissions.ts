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
/** Deletes and changes of the stack's own EC2 resources: only with the cluster tag. */
const ec2Tagged = (...actions: string[]) =>
  grant("Ec2ClusterTagged", ...actions.map((a) => `ec2:${a}`));
/**
 * Reads and tags every EC2 resource needs: the provider reads back with Describe*, tags in the
 * create request (TagSpecifications, authorized as CreateTags with `ec2:CreateAction`) and
 * retags what it created (then tagged). The provider's lint rule
 * `ci.semgrep.tags.calling-UpdateTags-in-resource-create` forbids tagging in a resource's Create
 * after the fact; the EC2 resources excused from it (`// nosemgrep:` on their Create function in
 * hashicorp/terraform-provider-aws, internal/service/ec2/) are the adopted defaults: default
 * VPC, subnet, network ACL and security group (vpc_default_security_group.go), none of which
 * the stack manages.
 */
const EC2_COMMON = [
  ec2("Describe*"),
  grant("Ec2TagOnCreate", "ec2:CreateTags"),
  ec2Tagged("CreateTags", "DeleteTags"),
];
const asg = (...actions: string[]) =>
  grant("AutoScaling", ...actions.map((a) => `autoscaling:${a}`));
const asgTagged = (...actions: string[]) =>
  grant("AutoScalingGroupsTagged", ...actions.map((a) => `autoscaling:${a}`));
const asgDelete = (...actions: string[]) =>
  grant("AutoScalingDeleteClusterTagged", ...actions.map((a) => `autoscaling:${a}`));
/** Creates (and reads) load balancing resources, tagged in the create request. */
const elb = (...creates: string[]) => [
  grant("LoadBalancing", ...["Describe*", ...creates].map((a) => `elasticloadbalancing:${a}`)),
  ...(creates.length > 0
    ? [grant("LoadBalancingTagOnCreate", "elasticloadbalancing:AddTags")]
    : []),
];
/** Changes, retags and deletes: only with the cluster tag. */
const elbTagged = (...actions: string[]) =>
  grant(
    "LoadBalancingClusterTagged",
    ...["AddTags", "RemoveTags", ...actions].map((a) => `elasticloadbalancing:${a}`),
  );
const snapshotBucket = (...actions: string[]) =>
  grant("SnapshotBuckets", ...actions.map((a) => `s3:${a}`));
/** Creates (and reads) RDS resources, tagged in the create request (AddTagsToResource). */
const rds = (...actions: string[]) => [
  grant("Rds", ...["Describe*", "ListTagsForResource"].concat(actions).map((a) => `rds:${a}`)),
  grant("RdsTagOnCreate", "rds:AddTagsToResource"),
];
/** Changes, retags and deletes: only with the cluster tag. */
const rdsTagged = (...actions: string[]) =>
  grant(
    "RdsClusterTagged",
    ...["AddTagsToResource", "RemoveTagsFromResource", ...actions].map((a) => `rds:${a}`),
  );
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
/** Changes of a file system and its mount targets: only on a file system with the cluster tag. */
const efsTagged = (...actions: string[]) =>
  grant("EfsClusterTagged", ...actions.map((a) => `elasticfilesystem:${a}`));
export const iam = (statement: StatementKey, ...actions: string[]) =>
  grant(statement, ...actions.map((a) => `iam:${a}`));

export const RESOURCE_PERMISSIONS: Record<string, ResourcePermissions> = {
  aws_flow_log: {
    grants: [
      ...EC2_COMMON,
      ec2("CreateFlowLogs"),
      ec2Tagged("DeleteFlowLogs"),
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
    grants: [...EC2_COMMON, ec2("CreateVpc"), ec2Tagged("ModifyVpcAttribute", "DeleteVpc")],
  },
  aws_subnet: {
    grants: [
      ...EC2_COMMON,
      ec2("CreateSubnet"),
      ec2Tagged("ModifySubnetAttribute", "DeleteSubnet"),
    ],
  },
  aws_internet_gateway: {
    grants: [
      ...EC2_COMMON,
      ec2("CreateInternetGateway"),
      // Both the gateway and the VPC it attaches to are the stack's (SAR: both resource types).
      ec2Tagged("AttachInternetGateway", "DetachInternetGateway", "DeleteInternetGateway"),
    ],
  },
  aws_eip: {
    grants: [
      ...EC2_COMMON,
      ec2("AllocateAddress", "DisassociateAddress"),
      ec2Tagged("ReleaseAddress"),
    ],
  },
  aws_nat_gateway: {
    grants: [...EC2_COMMON, ec2("CreateNatGateway"), ec2Tagged("DeleteNatGateway")],
  },
  aws_route_table: {
    grants: [...EC2_COMMON, ec2("CreateRouteTable"), ec2Tagged("DeleteRouteTable")],
  },
  aws_route: {
    grants: [...EC2_COMMON, ec2Tagged("CreateRoute", "ReplaceRoute", "DeleteRoute")],
  },
  aws_route_table_association: {
    // Not taggable itself; the call names a subnet and a route table, both the stack's.
    grants: [
      ...EC2_COMMON,
      ec2Tagged("AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable"),
    ],
  },
  aws_security_group: {
    // The provider revokes the default allow-all egress rule of a new group, tagged by then.
    grants: [
      ...EC2_COMMON,
      ec2("CreateSecurityGroup"),
      grant("Ec2GroupRulesTagged", "ec2:RevokeSecurityGroupEgress"),
      ...sgRules("AuthorizeSecurityGroupEgress"),
      ec2Tagged("DeleteSecurityGroup"),
    ],
  },
  aws_vpc_security_group_ingress_rule: {
    grants: [
      ...EC2_COMMON,
      grant("Ec2GroupRulesTagged", "ec2:RevokeSecurityGroupIngress"),
      ...sgRules(
        "AuthorizeSecurityGroupIngress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
      ),
    ],
  },
  aws_vpc_security_group_egress_rule: {
    grants: [
      ...EC2_COMMON,
      grant("Ec2GroupRulesTagged", "ec2:RevokeSecurityGroupEgress"),
      ...sgRules(
        "AuthorizeSecurityGroupEgress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsEgress",
      ),
    ],
  },
  aws_launch_template: {
    grants: [
      ...EC2_COMMON,
      ec2("CreateLaunchTemplate"),
      // A new version of a foreign template would run our user data under its instance role.
      ec2Tagged("CreateLaunchTemplateVersion", "ModifyLaunchTemplate", "DeleteLaunchTemplate"),
      grant("AmiParameter", "ssm:GetParameters"),
    ],
  },
  aws_autoscaling_group: {
    grants: [
      grant("AutoScalingCreateTagged", "autoscaling:CreateAutoScalingGroup"),
      asg("Describe*"),
      asgTagged(
        "UpdateAutoScalingGroup",
        "CreateOrUpdateTags",
        "DeleteTags",
        "AttachLoadBalancerTargetGroups",
        "DetachLoadBalancerTargetGroups",
        "AttachTrafficSources",
        "DetachTrafficSources",
        "StartInstanceRefresh",
        "CancelInstanceRefresh",
        "DeleteAutoScalingGroup",
      ),
      // The group validates its launch template with the caller's rights, the template's
      // tag specifications as CreateTags with ec2:CreateAction RunInstances.
      ec2("RunInstances", "Describe*"),
      grant("Ec2TagOnCreate", "ec2:CreateTags"),
      iam("PassNodeRoles", "PassRole"),
      // Waiting for capacity behind the API target group (health check type ELB).
      ...elb(),
    ],
    serviceLinkedRole: "autoscaling.amazonaws.com",
  },
  aws_autoscaling_lifecycle_hook: {
    grants: [asg("Describe*"), asgTagged("PutLifecycleHook"), asgDelete("DeleteLifecycleHook")],
  },
  aws_autoscaling_policy: {
    grants: [asg("Describe*"), asgTagged("PutScalingPolicy"), asgDelete("DeletePolicy")],
  },
  aws_lb: {
    grants: [
      ...elb("CreateLoadBalancer"),
      elbTagged(
        "ModifyLoadBalancerAttributes",
        "SetSecurityGroups",
        "SetSubnets",
        "DeleteLoadBalancer",
      ),
      // The provider waits for the network interfaces of a deleted load balancer to go.
      ec2("Describe*"),
    ],
    serviceLinkedRole: "elasticloadbalancing.amazonaws.com",
  },
  aws_lb_target_group: {
    grants: [
      ...elb("CreateTargetGroup"),
      elbTagged("ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup"),
    ],
  },
  aws_lb_listener: {
    grants: [
      ...elb("CreateListener"),
      elbTagged("ModifyListener", "ModifyListenerAttributes", "DeleteListener"),
    ],
  },
  aws_db_subnet_group: {
    grants: [
      ...rds("CreateDBSubnetGroup"),
      rdsTagged("ModifyDBSubnetGroup", "DeleteDBSubnetGroup"),
    ],
  },
  aws_db_parameter_group: {
    grants: [
      ...rds("CreateDBParameterGroup"),
      grant("RdsParameterGroupTagged", "rds:ModifyDBParameterGroup", "rds:ResetDBParameterGroup"),
      rdsTagged("DeleteDBParameterGroup"),
    ],
  },
  aws_db_instance: {
    grants: [
      ...rds("CreateDBInstance", "CreateDBSnapshot"),
      rdsTagged(),
      grant(
        "RdsInstanceTagged",
        "rds:ModifyDBInstance",
        "rds:RebootDBInstance",
        "rds:DeleteDBInstance",
      ),
      grant("RdsInstanceReferences", "rds:ModifyDBInstance"),
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
      efs("CreateFileSystem"),
      grant("EfsTagOnCreate", "elasticfilesystem:TagResource"),
      efsTagged(
        "UpdateFileSystem",
        "UpdateFileSystemProtection",
        "PutLifecycleConfiguration",
        "TagResource",
        "UntagResource",
        "DeleteFileSystem",
      ),
    ],
    serviceLinkedRole: "elasticfilesystem.amazonaws.com",
  },
  aws_efs_mount_target: {
    // EFS API reference, CreateMountTarget/DeleteMountTarget/ModifyMountTargetSecurityGroups:
    // the caller also needs the EC2 network-interface actions.
    grants: [
      efs(),
      efsTagged("CreateMountTarget", "DeleteMountTarget", "ModifyMountTargetSecurityGroups"),
      ec2(
        "Describe*",
        "CreateNetworkInterface",
        "DeleteNetworkInterface",
        "ModifyNetworkInterfaceAttribute",
      ),
    ],
  },
  aws_efs_backup_policy: {
    grants: [efs(), efsTagged("PutBackupPolicy")],
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
