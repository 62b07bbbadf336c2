/**
 * Shared storage: an encrypted EFS file system with a mount target in each
 * private subnet, reachable only from nodes. The EFS CSI driver provisions ReadWriteMany
 * volumes on it as access points (`provisioningMode: efs-ap`); the retired efs-provisioner is
 * not used.
 */

import { EfsBackupPolicy } from "@cdktf/provider-aws/lib/efs-backup-policy";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import type { ClusterConfig } from "./definition/config";
import { nameTag } from "./naming";
import type { Networking } from "./networking";

export class SharedStorage extends Construct {
  readonly fileSystem: EfsFileSystem;
  readonly mountTargets: EfsMountTarget[];
  readonly backupPolicy: EfsBackupPolicy;

  constructor(
    scope: Construct,
    id: string,
    config: ClusterConfig,
    networking: Networking,
    securityGroup: SecurityGroup,
  ) {
    super(scope, id);

    this.fileSystem = new EfsFileSystem(this, "file-system", {
      creationToken: `k3s-bot-${config.name}`,
      encrypted: true,
      performanceMode: "generalPurpose",
      // Elastic throughput: pay per use, no burst credits to run out of under CI load.
      throughputMode: "elastic",
      tags: nameTag(config, "efs"),
    });

    this.mountTargets = networking.privateSubnets.map(
      (subnet, index) =>
        new EfsMountTarget(this, `mount-target-${config.network.availabilityZones[index]}`, {
          fileSystemId: this.fileSystem.id,
          subnetId: subnet.id,
          securityGroups: [securityGroup.id],
        }),
    );

    // AWS Backup's default plan for EFS (daily, 35 days): volumes hold Jenkins homes and the like.
    this.backupPolicy = new EfsBackupPolicy(this, "backup-policy", {
      fileSystemId: this.fileSystem.id,
      backupPolicy: { status: "ENABLED" },
    });
  }
}
