/**
 * What a node is allowed to do: an EC2 instance role, its instance profile, the SSM managed
 * policy (Session Manager instead of SSH) and inline policies the caller adds one by one.
 */

import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { named, namePart } from "./addresses";
import { ec2AssumeRolePolicy, type PolicyDocument, policyJson } from "./iam-policies";

export interface NodeIdentityProps {
  /**
   * Address name of the identity's resources: `aws_iam_role.<name>`,
   * `aws_iam_instance_profile.<name>`, `aws_iam_role_policy_attachment.<name>_ssm`,
   * `aws_iam_role_policy.<name>_<policy>`.
   */
  name: string;
  /** IAM name of the role and of the instance profile (global to the account). */
  iamName: string;
  description: string;
  tags: Record<string, string>;
  /** ARN of AmazonSSMManagedInstanceCore in the cluster's partition. */
  ssmPolicyArn: string;
}

/** An instance role, its instance profile and its inline policies. */
export class NodeIdentity extends Construct {
  readonly role: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  readonly ssmAttachment: IamRolePolicyAttachment;
  readonly policies: Record<string, IamRolePolicy> = {};
  private readonly addressName: string;

  constructor(scope: Construct, id: string, props: NodeIdentityProps) {
    super(scope, id);
    this.addressName = props.name;
    this.role = named(
      new IamRole(this, "role", {
        name: props.iamName,
        description: props.description,
        assumeRolePolicy: policyJson(ec2AssumeRolePolicy()),
        tags: props.tags,
      }),
      props.name,
    );
    this.instanceProfile = named(
      new IamInstanceProfile(this, "instance-profile", {
        name: props.iamName,
        role: this.role.name,
        tags: props.tags,
      }),
      props.name,
    );
    this.ssmAttachment = named(
      new IamRolePolicyAttachment(this, "ssm", {
        role: this.role.name,
        policyArn: props.ssmPolicyArn,
      }),
      `${props.name}_ssm`,
    );
  }

  /** An inline policy called `name` on the role. */
  addPolicy(name: string, policy: PolicyDocument): IamRolePolicy {
    const resource = named(
      new IamRolePolicy(this, `policy-${name}`, {
        name,
        role: this.role.id,
        policy: policyJson(policy),
      }),
      `${this.addressName}_${namePart(name)}`,
    );
    this.policies[name] = resource;
    return resource;
  }

  /** What must exist before an instance with this profile boots. */
  get bootDependencies(): ITerraformDependable[] {
    return [this.instanceProfile, this.ssmAttachment, ...Object.values(this.policies)];
  }
}
