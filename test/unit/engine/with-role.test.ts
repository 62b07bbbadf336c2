import { describe, expect, it } from "vitest";
import { withRole } from "../../../app/engine/cluster-runs";
import { loadDefinitionFile } from "../../../app/engine/definitions/load";

const loaded = loadDefinitionFile("examples/clusters/dev.yaml");
if (!loaded.ok) throw new Error("dev example does not load");
const dev = loaded.config;
const role = "arn:aws:iam::210987654321:role/k3s-bot-dev";

describe("withRole", () => {
  it("uses the role the repository config names for the cluster", () => {
    expect(withRole(dev, role).aws.roleArn).toBe(role);
    expect(dev.aws.roleArn).toBeUndefined(); // the loaded config is not mutated
  });

  it("puts the repository config's role (default branch) over the definition's own", () => {
    const own = { ...dev, aws: { ...dev.aws, roleArn: "arn:aws:iam::111111111111:role/own" } };
    expect(withRole(own, role).aws.roleArn).toBe(role);
  });

  it("changes nothing without a role", () => {
    expect(withRole(dev, undefined)).toBe(dev);
  });
});
