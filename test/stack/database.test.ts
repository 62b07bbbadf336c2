import { describe, expect, it } from "vitest";
import { rdsCaBundleUrl } from "../../infra/database";
import { exampleConfig, listOf, referencedName, resourceAt, synthesize } from "./helpers";

/** Name of the HA example cluster. */
const HA = exampleConfig("ha").name;

describe("RDS datastore", () => {
  const dev = synthesize(exampleConfig("dev")).json;
  const ha = synthesize(exampleConfig("ha")).json;
  const devDb = resourceAt(dev, "aws_db_instance.datastore");
  const haDb = resourceAt(ha, "aws_db_instance.datastore");

  it("is encrypted, private, and has RDS manage the master password", () => {
    for (const db of [devDb, haDb]) {
      expect(db).toMatchObject({
        engine: "postgres",
        storage_encrypted: true,
        publicly_accessible: false,
        manage_master_user_password: true,
        username: "k3s",
        db_name: "k3s",
        storage_type: "gp3",
      });
      expect(db.password).toBeUndefined();
    }
  });

  it("runs the configured major version with a matching parameter group that forces TLS", () => {
    expect(devDb.engine_version).toBe("15");
    const parameters = resourceAt(dev, "aws_db_parameter_group.datastore");
    expect(parameters.family).toBe("postgres15");
    expect(parameters.parameter).toEqual([{ name: "rds.force_ssl", value: "1" }]);
    const fourteen = synthesize(
      exampleConfig("dev", (c) => {
        c.datastore.postgresVersion = "14";
      }),
    ).json;
    expect(resourceAt(fourteen, "aws_db_instance.datastore").engine_version).toBe("14");
    expect(resourceAt(fourteen, "aws_db_parameter_group.datastore").family).toBe("postgres14");
  });

  it("lives in the database subnets", () => {
    const subnetGroup = resourceAt(dev, "aws_db_subnet_group.datastore");
    const subnets = (subnetGroup.subnet_ids as string[]).map(referencedName);
    expect(subnets).toHaveLength(3);
    expect(subnets.every((name) => name?.startsWith("database_"))).toBe(true);
  });

  it("follows the definition's sizing, availability and protection settings", () => {
    expect(devDb).toMatchObject({
      instance_class: "db.t4g.small",
      allocated_storage: 20,
      max_allocated_storage: 100,
      multi_az: false,
      backup_retention_period: 7,
      deletion_protection: false,
      skip_final_snapshot: true,
      copy_tags_to_snapshot: true,
      auto_minor_version_upgrade: true,
    });
    expect(haDb).toMatchObject({
      instance_class: "db.m6g.large",
      multi_az: true,
      backup_retention_period: 14,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: `${HA}-datastore-final`,
    });
  });

  it("does not exist with embedded etcd", () => {
    const etcd = synthesize(
      exampleConfig("ha", (c) => {
        c.datastore.engine = "etcd";
      }),
    ).json;
    expect(listOf(etcd, "aws_db_instance")).toEqual([]);
    expect(listOf(etcd, "aws_db_subnet_group")).toEqual([]);
    expect(listOf(etcd, "aws_db_parameter_group")).toEqual([]);
    expect(etcd.output?.db_endpoint).toBeUndefined();
  });
});

describe("RDS CA bundle (sslmode=verify-full)", () => {
  it("is the regional bundle of AWS' RDS trust store, per partition", () => {
    expect(rdsCaBundleUrl("eu-central-1", "aws")).toBe(
      "https://truststore.pki.rds.amazonaws.com/eu-central-1/eu-central-1-bundle.pem",
    );
    expect(rdsCaBundleUrl("us-gov-east-1", "aws-us-gov")).toBe(
      "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-east-1/us-gov-east-1-bundle.pem",
    );
    expect(rdsCaBundleUrl("cn-northwest-1", "aws-cn")).toBe(
      "https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/cn-northwest-1/cn-northwest-1-bundle.pem",
    );
  });

  it("reaches the servers' parameters in the launch template's user data", () => {
    const config = exampleConfig("ha");
    const { text } = synthesize(config);
    expect(text).toContain(
      `K3S_BOT_DB_CA_BUNDLE_URL='${rdsCaBundleUrl(config.region, config.partition)}'`,
    );
  });
});
