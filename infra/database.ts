/**
 * The k3s datastore on RDS PostgreSQL: in the database subnets, reachable
 * only from the k3s servers, encrypted, TLS enforced, backed up, and with a master password
 * that RDS generates and keeps in Secrets Manager, so it is never in Terraform state, plan
 * output or user data. Servers read it at boot with their instance role.
 */

import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { named } from "./addresses";
import type { ClusterConfig } from "./definition/config";
import { datastoreIdentifier, nameTag } from "./naming";
import { PORTS } from "./ports";

/**
 * The RDS CA bundle of a region, which servers fetch at boot to verify the datastore's
 * certificate (sslmode=verify-full). URLs of AWS' RDS trust store as the Amazon RDS User Guide
 * lists them ("Certificate bundles by AWS Region"): one host for the commercial partition,
 * its own for GovCloud and for China.
 */
export function rdsCaBundleUrl(region: string, partition: ClusterConfig["partition"]): string {
  const host = {
    aws: "https://truststore.pki.rds.amazonaws.com",
    "aws-us-gov": "https://truststore.pki.us-gov-west-1.rds.amazonaws.com",
    "aws-cn": "https://rds-truststore.s3.cn-north-1.amazonaws.com.cn",
  }[partition];
  return `${host}/${region}/${region}-bundle.pem`;
}

/** Database and user k3s connects as (kine creates its table in this database). */
export const DATASTORE_DB_NAME = "k3s";
export const DATASTORE_USERNAME = "k3s";

export interface DatabaseProps {
  /** Prefixes the instance's identifier and its groups' names. */
  clusterName: string;
  /** The definition's `datastore` (engine `postgres`). */
  datastore: ClusterConfig["datastore"];
  /** The database subnets, one per zone. */
  subnetIds: string[];
  /** The group that admits the k3s servers only. */
  securityGroupId: string;
}

export class Database extends Construct {
  readonly subnetGroup: DbSubnetGroup;
  readonly parameterGroup: DbParameterGroup;
  readonly instance: DbInstance;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { datastore } = props;
    const config = { name: props.clusterName };
    const identifier = datastoreIdentifier(config.name);

    this.subnetGroup = new DbSubnetGroup(this, "subnet-group", {
      name: identifier,
      description: `k3s datastore of cluster ${config.name}`,
      subnetIds: props.subnetIds,
      tags: nameTag(config, "datastore"),
    });
    named(this.subnetGroup, "datastore");

    this.parameterGroup = new DbParameterGroup(this, "parameter-group", {
      name: `${identifier}-postgres${datastore.postgresVersion}`,
      family: `postgres${datastore.postgresVersion}`,
      description: `k3s datastore of cluster ${config.name}: TLS required`,
      // Refuse unencrypted connections; k3s connects with sslmode=verify-full.
      parameter: [{ name: "rds.force_ssl", value: "1" }],
      // A parameter group in use cannot be deleted; a version change needs the new one first.
      lifecycle: { createBeforeDestroy: true },
      tags: nameTag(config, "datastore"),
    });
    named(this.parameterGroup, "datastore");

    this.instance = new DbInstance(this, "instance", {
      identifier,
      engine: "postgres",
      // The major version only: RDS picks the current minor and keeps it patched
      // (auto_minor_version_upgrade), so the plan does not drift as minors are released.
      engineVersion: datastore.postgresVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: datastore.instanceClass,
      storageType: "gp3",
      allocatedStorage: datastore.storageGb,
      // Storage autoscaling up to 5× before anyone has to act.
      maxAllocatedStorage: datastore.storageGb * 5,
      storageEncrypted: true,
      dbName: DATASTORE_DB_NAME,
      // Created from an RDS snapshot when the definition says so (docs/backups.md). Setting or
      // changing it replaces the instance: the AWS provider's snapshot_identifier is ForceNew,
      // and Optional+Computed, so removing it later changes nothing (provider
      // internal/service/rds/instance.go; a plan with 5.100.0 shows "# forces replacement",
      // test/stack/datastore-restore.test.ts).
      ...(datastore.restoreFromSnapshot
        ? { snapshotIdentifier: datastore.restoreFromSnapshot }
        : {}),
      username: DATASTORE_USERNAME,
      // RDS generates the password and stores it in Secrets Manager: never in state.
      manageMasterUserPassword: true,
      port: PORTS.postgres,
      dbSubnetGroupName: this.subnetGroup.name,
      parameterGroupName: this.parameterGroup.name,
      vpcSecurityGroupIds: [props.securityGroupId],
      publiclyAccessible: false,
      multiAz: datastore.multiAz,
      backupRetentionPeriod: datastore.backupRetentionDays,
      copyTagsToSnapshot: true,
      // The server's log (connections, errors, slow statements) and major-version upgrade logs
      // in CloudWatch Logs, where they outlive the instance.
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      deletionProtection: datastore.deletionProtection,
      skipFinalSnapshot: !datastore.finalSnapshot,
      // Required by the provider whenever a final snapshot is taken.
      finalSnapshotIdentifier: `${identifier}-final`,
      tags: nameTag(config, "datastore"),
    });
    named(this.instance, "datastore");
  }

  /** host of the instance (a Terraform token). */
  get address(): string {
    return this.instance.address;
  }

  get port(): string {
    return Token.asString(this.instance.port);
  }

  /** ARN of the RDS-managed secret holding the master username and password. */
  get masterSecretArn(): string {
    return this.instance.masterUserSecret.get(0).secretArn;
  }
}
