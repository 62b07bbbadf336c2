// Terraform's real S3 backend, with S3-native locking (use_lockfile), against the emulator:
// the same backend settings the full-stack runs use, on a one-resource configuration so that
// it stays fast.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureStateBackend } from "../../app/engine/state-backend.js";
import { TerraformRunner } from "../../app/engine/terraform/runner.js";
import {
  type Emulator,
  emulatorAwsClientConfig,
  emulatorBackendSettings,
  emulatorProviderSettings,
  startEmulator,
} from "../../app/local/emulator.js";
import { dropTlsOnlyBucketPolicy } from "../../app/local/emulator-overrides.js";

const region = "eu-central-1";
const bucket = "k3s-bot-backend-probe";
const key = "clusters/probe/terraform.tfstate";

function probeConfiguration(url: string) {
  return {
    terraform: {
      required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
      backend: {
        s3: {
          bucket,
          key,
          region,
          encrypt: true,
          use_lockfile: true,
          ...emulatorBackendSettings(url),
        },
      },
    },
    provider: { aws: { region, ...emulatorProviderSettings(url) } },
    resource: {
      aws_ssm_parameter: {
        probe: { name: "/k3s-bot/backend-probe", type: "String", value: "state lives in S3" },
      },
    },
  };
}

describe("Terraform's S3 backend with use_lockfile against the emulator", () => {
  let emulator: Emulator;
  let s3: S3Client;
  let workDir: string;
  let terraform: TerraformRunner;

  beforeAll(async () => {
    emulator = await startEmulator({ region, loadManagedIamPolicies: false });
    const config = emulatorAwsClientConfig(emulator.url, region);
    s3 = new S3Client(config);
    // The bucket must exist before `terraform init`: the bot's own bootstrap makes it.
    await ensureStateBackend(
      { bucket, lockTable: "k3s-bot-backend-probe", region },
      { s3, dynamodb: new DynamoDBClient(config), sts: new STSClient(config) },
    );
    await dropTlsOnlyBucketPolicy(s3, bucket);
    workDir = await mkdtemp(join(tmpdir(), "k3s-bot-backend-probe-"));
    await writeFile(
      join(workDir, "main.tf.json"),
      JSON.stringify(probeConfiguration(emulator.url), null, 2),
    );
    terraform = new TerraformRunner(workDir, { timeoutMs: 120_000 });
  }, 60_000);

  afterAll(async () => {
    await emulator?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("init and apply write the state object under the key, and release the lock", async () => {
    await terraform.init();
    await terraform.run(["apply", "-input=false", "-no-color", "-auto-approve"]);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([key]);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const state = JSON.parse((await object.Body?.transformToString()) ?? "{}");
    expect(state.resources).toEqual([
      expect.objectContaining({ type: "aws_ssm_parameter", name: "probe" }),
    ]);
  }, 120_000);

  it("refuses to run while another holder has the lock file", async () => {
    // What a concurrent run leaves while it works: Terraform creates `<key>.tflock` with a
    // conditional write (If-None-Match), which must fail when the object already exists.
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${key}.tflock`,
        Body: JSON.stringify({ ID: "held-by-another-run", Operation: "OperationTypeApply" }),
      }),
    );
    const run = await terraform.run(
      ["plan", "-input=false", "-no-color", "-lock-timeout=0s", "-refresh=false"],
      [0, 1, 2],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("Error acquiring the state lock");
  }, 60_000);
});
