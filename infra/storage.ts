/**
 * Shared storage: an encrypted EFS file system with a mount target in each
 * private subnet, reachable only from nodes. The EFS CSI driver provisions ReadWriteMany
 * volumes on it as access points (`provisioningMode: efs-ap`); the retired efs-provisioner is
 * not used.
 */

import { EfsBackupPolicy } from "@cdktf/provider-aws/lib/efs-backup-policy";
import { EfsFileSystem } from "@cdktf/provider-aws/lib/efs-file-system";
import { EfsMountTarget } from "@cdktf/provider-aws/lib/efs-mount-target";
import { Construct } from "constructs";
import { named, namePart } from "./addresses";
import { nameTag } from "./naming";

export interface SharedStorageProps {
  /** Names the file system (`k3s-bot-<cluster>` creation token, `Name` tag). */
  clusterName: string;
  /** Where the nodes are: one mount target in each of these subnets. */
  nodeSubnets: { zone: string; subnetId: string }[];
  /** The group that admits NFS from the nodes. */
  securityGroupId: string;
}

export class SharedStorage extends Construct {
  readonly fileSystem: EfsFileSystem;
  readonly mountTargets: EfsMountTarget[];
  readonly backupPolicy: EfsBackupPolicy;

  constructor(scope: Construct, id: string, props: SharedStorageProps) {
    super(scope, id);
    const config = { name: props.clusterName };

    this.fileSystem = new EfsFileSystem(this, "file-system", {
      creationToken: `k3s-bot-${config.name}`,
      encrypted: true,
      performanceMode: "generalPurpose",
      // Elastic throughput: pay per use, no burst credits to run out of under CI load.
      throughputMode: "elastic",
      tags: nameTag(config, "efs"),
    });
    named(this.fileSystem, "shared");

    this.mountTargets = props.nodeSubnets.map(({ zone, subnetId }) =>
      named(
        new EfsMountTarget(this, `mount-target-${zone}`, {
          fileSystemId: this.fileSystem.id,
          subnetId,
          securityGroups: [props.securityGroupId],
        }),
        namePart(zone),
      ),
    );

    // AWS Backup's default plan for EFS (daily, 35 days): volumes hold Jenkins homes and the like.
    this.backupPolicy = new EfsBackupPolicy(this, "backup-policy", {
      fileSystemId: this.fileSystem.id,
      backupPolicy: { status: "ENABLED" },
    });
    named(this.backupPolicy, "shared");
  }
}
