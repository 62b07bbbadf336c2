import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../infra/iam-policies";
import { exampleConfig, listOf, oneOf, synthesize } from "./helpers";

const etcd = synthesize(
  exampleConfig("dev", (c) => {
    c.datastore.engine = "etcd";
    c.datastore.snapshots = {
      enabled: true,
      scheduleCron: "30 */2 * * *",
      retention: 12,
      keepDays: 21,
    };
  }),
).json;

const serverPolicies = () =>
  listOf(etcd, "aws_iam_role_policy").filter((p) => p.role === `\${aws_iam_role.servers.id}`);

describe("etcd snapshot bucket", () => {
  it("is the cluster's own, versioned, encrypted, private, TLS only, with a lifecycle", () => {
    const bucket = oneOf(etcd, "aws_s3_bucket", "etcd_snapshots");
    expect(bucket.bucket_prefix).toBe("k3s-bot-etcd-dev-");
    expect(
      oneOf(etcd, "aws_s3_bucket_versioning", "etcd_snapshots").versioning_configuration,
    ).toEqual({ status: "Enabled" });
    expect(
      JSON.stringify(
        oneOf(etcd, "aws_s3_bucket_server_side_encryption_configuration", "etcd_snapshots"),
      ),
    ).toContain('"sse_algorithm":"AES256"');
    expect(oneOf(etcd, "aws_s3_bucket_public_access_block", "etcd_snapshots")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const [rule] = oneOf(etcd, "aws_s3_bucket_lifecycle_configuration", "etcd_snapshots")
      .rule as Record<string, unknown>[];
    expect(rule).toMatchObject({
      status: "Enabled",
      filter: [{ prefix: "etcd-snapshots/" }],
      expiration: [{ days: 21 }],
      noncurrent_version_expiration: [{ noncurrent_days: 21 }],
    });
    const tls = JSON.parse(String(oneOf(etcd, "aws_s3_bucket_policy", "etcd_snapshots").policy));
    expect(tls.Statement[0]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(etcd.output?.etcd_snapshot_bucket).toBeDefined();
  });

  it("servers may use exactly the snapshot folder, never delete versions; workers nothing", () => {
    const policies = serverPolicies().filter((p) => p.name === "etcd-snapshots");
    expect(policies).toHaveLength(1);
    const doc = JSON.parse(String(policies[0]?.policy)) as PolicyDocument;
    const actions = doc.Statement.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual([
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    const objects = doc.Statement.find((s) => s.Sid === "ReadWriteOwnSnapshots");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform reference, not JS.
    expect(objects?.Resource).toBe("${aws_s3_bucket.etcd_snapshots.arn}/etcd-snapshots/*");
    const list = doc.Statement.find((s) => s.Sid === "ListOwnSnapshots");
    expect(list?.Condition).toEqual({
      StringLikeIfExists: { "s3:prefix": ["etcd-snapshots", "etcd-snapshots/*"] },
    });
    const workerText = JSON.stringify(
      listOf(etcd, "aws_iam_role_policy").filter((p) => p.role === `\${aws_iam_role.workers.id}`),
    );
    expect(workerText).not.toContain("s3:");
  });

  it("the servers' user data carries the schedule and the bucket", () => {
    const templates = listOf(etcd, "aws_launch_template");
    expect(templates.length).toBeGreaterThan(0);
    const text = JSON.stringify(etcd.locals ?? {}) + JSON.stringify(templates);
    expect(text).toContain("K3S_BOT_SNAPSHOT_CRON='30 */2 * * *'");
    expect(text).toContain("K3S_BOT_SNAPSHOT_RETENTION='12'");
    expect(text).toContain("K3S_BOT_SNAPSHOT_ENDPOINT='s3.eu-central-1.amazonaws.com'");
  });

  it("does not exist when turned off, and the servers get no snapshot settings", () => {
    const off = synthesize(
      exampleConfig("dev", (c) => {
        c.datastore.engine = "etcd";
        c.datastore.snapshots.enabled = false;
      }),
    ).json;
    expect(listOf(off, "aws_s3_bucket")).toEqual([]);
    expect(JSON.stringify(off)).not.toContain("K3S_BOT_SNAPSHOT_BUCKET='");
    expect(JSON.stringify(off)).not.toContain("k3s-bot-etcd-snapshot.conf");
  });

  it("does not exist with PostgreSQL", () => {
    const dev = synthesize(exampleConfig("dev")).json;
    expect(listOf(dev, "aws_s3_bucket")).toEqual([]);
    expect(dev.output?.etcd_snapshot_bucket).toBeUndefined();
  });
});
