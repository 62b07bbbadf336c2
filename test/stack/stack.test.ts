import { describe, expect, it } from "vitest";
import { countResources, exampleConfig, synthesize } from "./helpers";

const dev = synthesize(exampleConfig("dev"));
const ha = synthesize(exampleConfig("ha"));

describe("state backend", () => {
  it("stores state in S3 per cluster, encrypted, locked with an S3 lock file", () => {
    expect(dev.json.terraform.backend).toEqual({
      s3: {
        bucket: "acme-tfstate",
        key: "k3s/dev/terraform.tfstate",
        region: "eu-central-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
    const haName = exampleConfig("ha").name;
    expect(ha.json.terraform.backend?.s3?.key).toBe(`k3s/${haName}/terraform.tfstate`);
  });

  it("uses the definition's KMS key, state region and role", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.state.kmsKeyId = "alias/tfstate";
        c.state.region = "eu-west-1";
        c.aws.roleArn = "arn:aws:iam::111122223333:role/k3s-bot";
      }),
    ).json;
    expect(json.terraform.backend?.s3).toMatchObject({
      kms_key_id: "alias/tfstate",
      region: "eu-west-1",
      assume_role: { role_arn: "arn:aws:iam::111122223333:role/k3s-bot" },
    });
  });

  it("never uses the DynamoDB table for state (it holds the bot's own locks)", () => {
    expect(dev.json.terraform.backend?.s3?.dynamodb_table).toBeUndefined();
  });

  it("can be replaced by a local backend or given emulator settings", () => {
    const local = synthesize(exampleConfig("dev"), {
      backend: { kind: "local", path: "/tmp/dev.tfstate" },
    }).json;
    expect(local.terraform.backend).toEqual({ local: { path: "/tmp/dev.tfstate" } });
    const emulated = synthesize(exampleConfig("dev"), {
      backend: {
        kind: "s3",
        overrides: { endpoints: { s3: "http://127.0.0.1:5000" }, use_path_style: true },
      },
    }).json;
    expect(emulated.terraform.backend?.s3).toMatchObject({
      bucket: "acme-tfstate",
      use_lockfile: true,
      endpoints: { s3: "http://127.0.0.1:5000" },
      use_path_style: true,
    });
  });
});

describe("AWS provider", () => {
  it("targets the cluster's region and tags everything with the cluster", () => {
    expect(ha.json.provider.aws).toEqual([
      {
        region: "eu-central-1",
        default_tags: [
          {
            tags: {
              team: "platform",
              "cost-center": "cc-1234",
              "k3s-bot/cluster": exampleConfig("ha").name,
              "managed-by": "k3s-bot",
            },
          },
        ],
      },
    ]);
  });

  it("refuses other accounts and assumes the definition's role when given", () => {
    const json = synthesize(
      exampleConfig("dev", (c) => {
        c.aws.accountId = "111122223333";
        c.aws.roleArn = "arn:aws:iam::111122223333:role/k3s-bot";
      }),
    ).json;
    expect(json.provider.aws[0]).toMatchObject({
      allowed_account_ids: ["111122223333"],
      assume_role: [{ role_arn: "arn:aws:iam::111122223333:role/k3s-bot" }],
    });
  });

  it("carries no emulator or credential setting by default, and takes them as overrides", () => {
    const keys = Object.keys(dev.json.provider.aws[0] ?? {});
    expect(keys.sort()).toEqual(["default_tags", "region"]);
    const json = synthesize(exampleConfig("dev"), {
      providerOverrides: {
        endpoints: [{ ec2: "http://127.0.0.1:5000" }],
        skip_credentials_validation: true,
        access_key: "test",
      },
    }).json;
    expect(json.provider.aws[0]).toMatchObject({
      region: "eu-central-1",
      endpoints: [{ ec2: "http://127.0.0.1:5000" }],
      skip_credentials_validation: true,
      access_key: "test",
    });
  });
});

describe("synthesized configuration", () => {
  it("has no data sources, so a plan needs no AWS call", () => {
    for (const { json } of [dev, ha]) expect(json.data).toBeUndefined();
  });

  it("exposes every output the next steps read", () => {
    const expected = [
      "api_endpoint",
      "api_url",
      "cluster_name",
      "control_plane_asg_name",
      "control_plane_role_arn",
      "database_subnet_ids",
      "db_endpoint",
      "db_master_secret_arn",
      "efs_id",
      "ingress_dns",
      "join_token_secret_arn",
      "kubeconfig_secret_arn",
      "nat_public_ips",
      "private_subnet_ids",
      "public_subnet_ids",
      "region",
      "vpc_id",
      "worker_asg_name",
      "worker_lifecycle_hook_name",
      "worker_role_arn",
    ];
    for (const { json } of [dev, ha]) {
      expect(Object.keys(json.output ?? {}).sort()).toEqual(expected);
    }
    expect(dev.json.output?.api_url?.value).toMatch(/^https:\/\/\$\{aws_lb\.api\.dns_name\}:6443$/);
    expect(dev.json.output?.cluster_name?.value).toBe("dev");
  });

  it("contains no credential or secret value", () => {
    for (const { text } of [dev, ha]) {
      expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
      expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
      expect(text).not.toMatch(/"(password|master_password|secret_string|secret_key)"\s*:/);
      expect(text).not.toContain("aws_secretsmanager_secret_version");
    }
  });

  it("builds the HA example with more resources than dev (NAT per zone, more rules)", () => {
    const devCount = countResources(dev.json);
    const haCount = countResources(ha.json);
    expect(devCount).toBeGreaterThan(80);
    expect(haCount).toBeGreaterThan(devCount);
  });
});
