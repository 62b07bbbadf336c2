/**
 * The resolved cluster configuration: a validated definition with everything derived that the
 * stack needs (zones, subnet CIDRs, state key), so `infra/` never guesses a default.
 * Produced by `resolveCluster()` in `resolve.ts`.
 */
import type { ClusterDefinition } from "./schema";

export interface SubnetPlan {
  /** One CIDR per zone, in the order of `availabilityZones`. */
  public: string[];
  private: string[];
  database: string[];
}

export interface ClusterConfig extends Omit<ClusterDefinition, "network" | "state" | "$schema"> {
  partition: "aws" | "aws-cn" | "aws-us-gov";
  network: Omit<ClusterDefinition["network"], "availabilityZones" | "subnets"> & {
    availabilityZones: string[];
    subnets: SubnetPlan;
  };
  state: Omit<ClusterDefinition["state"], "key" | "region"> & { key: string; region: string };
}
