/**
 * What a plan and a drift scan run against, from one method of the run engine
 * (ClusterRuns.resolveTarget): the node images pinned into the configuration and the account,
 * with the AWS environment faked at its boundary (an SSM parameter store, an STS identity).
 */
import { describe, expect, it } from "vitest";
import type { AwsEnvironment } from "../../../app/engine/aws-environment";
import { ClusterRuns } from "../../../app/engine/cluster-runs";
import { RunQueue } from "../../../app/engine/run-queue";
import { exampleConfig } from "../../stack/helpers";

const AMD64 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id";

function engine() {
  const asked: string[] = [];
  const aws = {
    imageParameter: async (name: string, region: string) => {
      asked.push(`ssm ${region} ${name}`);
      if (name !== AMD64) throw new Error(`ParameterNotFound: ${name}`);
      return "ami-0aaaaaaaaaaaaaaaa";
    },
    accountId: async (region: string) => {
      asked.push(`sts ${region}`);
      return "111111111111";
    },
  } as unknown as AwsEnvironment;
  return {
    asked,
    runs: new ClusterRuns({ aws, queue: new RunQueue(1), workRoot: "/nonexistent" }),
  };
}

describe("the run engine's target of a plan or a drift scan", () => {
  it("pins the images the parameter names and takes the bot's own account", async () => {
    const { asked, runs } = engine();
    const config = exampleConfig("dev");
    const target = await runs.resolveTarget(config);
    expect(target.config.controlPlane.ami).toBe("ami-0aaaaaaaaaaaaaaaa");
    expect(target.config.workers.ami).toBe("ami-0aaaaaaaaaaaaaaaa");
    expect(target.images.map((i) => [i.group, i.source])).toEqual([
      ["controlPlane", "resolved"],
      ["workers", "resolved"],
    ]);
    expect(target.accountId).toBe("111111111111");
    // One parameter read for both groups of one architecture, one identity call.
    expect(asked).toEqual([`ssm ${config.region} ${AMD64}`, `sts ${config.region}`]);
  });

  it("takes a role's account, or the definition's, without asking STS", async () => {
    const { asked, runs } = engine();
    const withRole = exampleConfig("dev", (c) => {
      c.aws.roleArn = "arn:aws:iam::222222222222:role/k3s-bot";
      c.controlPlane.ami = "ami-0cccccccccccccccc";
      c.workers.ami = "ami-0cccccccccccccccc";
    });
    expect((await runs.resolveTarget(withRole)).accountId).toBe("222222222222");
    const declared = exampleConfig("dev", (c) => {
      c.aws.accountId = "333333333333";
      c.controlPlane.ami = "ami-0cccccccccccccccc";
      c.workers.ami = "ami-0cccccccccccccccc";
    });
    const target = await runs.resolveTarget(declared);
    expect(target.accountId).toBe("333333333333");
    expect(target.images.map((i) => i.source)).toEqual(["pinned", "pinned"]);
    expect(asked).toEqual([]);
  });

  it("a destroy pins no image (it launches nothing), and a lookup failure is thrown", async () => {
    const { asked, runs } = engine();
    const target = await runs.resolveTarget(exampleConfig("dev"), { destroy: true });
    expect(target.images).toEqual([]);
    expect(target.config.controlPlane.ami).toBeUndefined();
    expect(asked.filter((a) => a.startsWith("ssm"))).toEqual([]);
    const arm = exampleConfig("dev", (c) => {
      c.controlPlane.instanceType = "t4g.medium";
    });
    await expect(runs.resolveTarget(arm)).rejects.toThrow(
      /could not read the Ubuntu image parameter .*arm64.* pin the image with `controlPlane.ami`/,
    );
  });
});
