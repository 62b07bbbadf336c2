/**
 * Where the servers of an embedded-etcd cluster put k3s' etcd snapshots: a bucket of the
 * cluster's own (versioned, encrypted, private, TLS only, with a lifecycle), written under one
 * folder. Why and how they are used to restore: docs/backups.md.
 *
 * k3s uploads every snapshot it takes (scheduled, on demand) when `etcd-s3` is set, and prunes
 * its scheduled snapshots per server to `etcd-snapshot-retention` (k3s-io/k3s
 * pkg/etcd/s3/s3.go, SnapshotRetention: "for this specific node"). A replaced server's
 * snapshots and on-demand ones are never pruned by k3s: the lifecycle rule expires them.
 */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { named } from "./addresses";
import type { EtcdSnapshotParams } from "./bootstrap/user-data";
import type { ClusterConfig } from "./definition/config";
import { policyJson } from "./iam-policies";
import { nameTag } from "./naming";

/** Bucket names are global: the provider appends a unique suffix to this prefix. */
export const SNAPSHOT_BUCKET_PREFIX = "k3s-bot-etcd-";
/** The folder (key prefix) k3s writes to; the servers' policy allows nothing else. */
export const SNAPSHOT_FOLDER = "etcd-snapshots";

/** Address name of every resource here (one of each type): `aws_s3_bucket.etcd_snapshots`. */
const NAME = "etcd_snapshots";

/** Construct id of the bucket's TLS-only policy (the emulator run leaves it out). */
export const ETCD_SNAPSHOTS_TLS_POLICY_ID = "tls-only";

/** S3 endpoint of a region, for k3s' S3 client (minio-go) outside the default partition too. */
export function s3Endpoint(region: string, partition: string): string {
  return `s3.${region}.amazonaws.com${partition === "aws-cn" ? ".cn" : ""}`;
}

export class EtcdSnapshots extends Construct {
  readonly bucket: S3Bucket;
  readonly folder = SNAPSHOT_FOLDER;
  readonly lifecycle: S3BucketLifecycleConfiguration;

  constructor(
    scope: Construct,
    id: string,
    private readonly config: ClusterConfig,
  ) {
    super(scope, id);
    const { keepDays } = config.datastore.snapshots;

    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: `${SNAPSHOT_BUCKET_PREFIX}${config.name}-`,
      // A reviewed destroy of the cluster removes its snapshots too; without this the destroy
      // would stop half-way at a bucket that is not empty.
      forceDestroy: true,
      tags: nameTag(config, "etcd-snapshots"),
    });
    named(this.bucket, NAME);
    const bucket = this.bucket.id;
    const ownership = new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    named(ownership, NAME);
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    named(publicAccess, NAME);
    // Versioned: a server (or whoever holds its role) that deletes or overwrites a snapshot only
    // adds a version; the servers' policy has no s3:DeleteObjectVersion.
    const versioning = new S3BucketVersioningA(this, "versioning", {
      bucket,
      versioningConfiguration: { status: "Enabled" },
    });
    named(versioning, NAME);
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    named(encryption, NAME);
    this.lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "expire-old-snapshots",
          status: "Enabled",
          filter: [{ prefix: `${SNAPSHOT_FOLDER}/` }],
          expiration: [{ days: keepDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: keepDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    named(this.lifecycle, NAME);
    const tlsOnly = new S3BucketPolicy(this, ETCD_SNAPSHOTS_TLS_POLICY_ID, {
      bucket,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "s3:*",
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });
    named(tlsOnly, NAME);
  }

  /** What the servers' k3s needs to save snapshots here and to restore from them. */
  bootstrapParams(): EtcdSnapshotParams {
    const { config } = this;
    return {
      bucket: this.bucket.id,
      folder: this.folder,
      region: config.region,
      endpoint: s3Endpoint(config.region, config.partition),
      scheduleCron: config.datastore.snapshots.scheduleCron,
      retention: config.datastore.snapshots.retention,
    };
  }
}
