/**
 * Where node images come from. A definition may pin an AMI per group (`controlPlane.ami`,
 * `workers.ami`); otherwise the run engine reads Canonical's public SSM parameter for the
 * current Ubuntu 24.04 image at plan time (app/engine/plan/images.ts) and puts the AMI id into
 * the resolved configuration, so the launch template carries a literal `ami-…` and the saved
 * plan applies exactly the image the reviewer saw. The stack itself makes no AWS call.
 */
import { instanceArchitecture } from "./definition/instance-types";

/**
 * Canonical's public parameter for the current Ubuntu 24.04 LTS image (gp3 root volume), per
 * architecture (`amd64` or `arm64`, from the instance type).
 */
export function ubuntuImageParameterName(instanceType: string): string {
  const arch = instanceArchitecture(instanceType);
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id`;
}
