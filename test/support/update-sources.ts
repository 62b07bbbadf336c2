/**
 * The update job's world in its smallest form, for the tests of where it runs (the App's
 * schedule, the Action's): a definition on k3s v1.33.5+k3s1 with no pinned AMI, and sources
 * in memory where v1.33.7+k3s1 is the newest of that minor. What the job proposes in detail is
 * test/app/update-pulls.test.ts's.
 */
import type { UpdateSources } from "../../app/engine/updates/sources";

export const DEV_ON_K3S_1_33_5 = [
  "name: dev",
  "region: eu-central-1",
  "network: { vpcCidr: 10.40.0.0/16, azCount: 2, adminCidrs: [203.0.113.7/32] }",
  "k3s: { version: v1.33.5+k3s1 }",
  "state: { bucket: acme-tfstate, lockTable: acme-k3s-bot }",
  "",
].join("\n");

export const K3S_1_33_7_OUT: UpdateSources = {
  k3sChannels: async () => [{ id: "v1.33", latest: "v1.33.7+k3s1" }],
  ubuntuAmi: async () => {
    throw new Error("no AMI is pinned in DEV_ON_K3S_1_33_5");
  },
};
