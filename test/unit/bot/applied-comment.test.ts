/**
 * The apply comment: what a user needs first (the API URL, how to get the kubeconfig, the
 * ingress hostname) at the top, network IDs last and folded, and how long the apply took.
 */
import { describe, expect, it } from "vitest";
import { applied, formatDuration } from "../../../app/bot/comments";
import type { PlanMetadata } from "../../../app/engine/plan-store";

const metadata = {
  repo: "acme/infra",
  pullRequest: 7,
  cluster: "dev",
  headSha: "a".repeat(40),
  definitionHash: "h",
  createdAt: "2026-11-29T07:00:00Z",
  createdBy: "alice",
  add: 94,
  change: 0,
  destroy: 0,
  hasChanges: true,
  appliedBy: "bob",
} as PlanMetadata;

/** What the stack outputs, in the alphabetical order Terraform returns them. */
const outputs = {
  api_endpoint: "dev-api.elb.amazonaws.com",
  api_url: "https://dev-api.elb.amazonaws.com:6443",
  cluster_name: "dev",
  control_plane_asg_name: "dev-control-plane",
  database_subnet_ids: ["subnet-d1", "subnet-d2"],
  efs_id: "fs-1",
  ingress_dns: "dev-ingress.elb.amazonaws.com",
  kubeconfig_secret_arn:
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:k3s-bot/dev/kubeconfig",
  nat_public_ips: ["198.51.100.1"],
  private_subnet_ids: ["subnet-p1"],
  public_subnet_ids: ["subnet-u1"],
  region: "eu-central-1",
  vpc_id: "vpc-1",
};

const outputNames = (text: string) =>
  [...text.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);

describe("the apply comment", () => {
  it("lists the outputs a user needs first, then the rest, network IDs last and folded", () => {
    const text = applied("dev", metadata, outputs, 185_000);
    expect(outputNames(text)).toEqual([
      "api_url",
      "api_endpoint",
      "kubeconfig_secret_arn",
      "ingress_dns",
      "cluster_name",
      "region",
      "control_plane_asg_name",
      "efs_id",
      "database_subnet_ids",
      "nat_public_ips",
      "private_subnet_ids",
      "public_subnet_ids",
      "vpc_id",
    ]);
    const folded = text.slice(text.indexOf("<details><summary>Network IDs</summary>"));
    expect(folded).toContain("`public_subnet_ids`");
    expect(folded).not.toContain("`api_url`");
  });

  it("says how long the apply took and how to get the kubeconfig", () => {
    const text = applied("dev", metadata, outputs, 185_000);
    expect(text).toContain("(94 added, 0 changed, 0 destroyed) in 3 min 5 s for @bob.");
    expect(text).toContain("npm run cli -- kubeconfig <definition file> --out ~/.kube/dev");
  });

  it("leaves the duration out when it is not known", () => {
    expect(applied("dev", metadata, {})).toContain("0 destroyed) for @bob.");
  });

  it.each([
    [42_000, "42 s"],
    [60_000, "1 min 0 s"],
    [185_400, "3 min 5 s"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
