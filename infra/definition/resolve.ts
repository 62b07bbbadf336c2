/**
 * From a validated definition to the configuration the stack builds: zones, subnet CIDRs,
 * state location and partition are decided here, once, so `infra/` never guesses a default
 * and the plan a reviewer sees is the plan that is applied.
 */
import { cidrSubnet, formatCidr, parseCidr } from "./cidr";
import type { ClusterConfig, SubnetPlan } from "./config";
import { REGIONS } from "./regions";
import type { ClusterDefinition } from "./schema";

/**
 * How the VPC is carved when subnets are not listed: eighths 0-5 are private subnets (one per
 * zone, up to the 6-zone maximum); eighth 6 is split into public subnets and eighth 7 into
 * database subnets, 1/64 of the VPC each. Nodes get the big blocks because pods take VPC
 * addresses only through nodes, while load balancers, NAT gateways and RDS need few.
 */
const ZONE_BITS = 3;
const PUBLIC_EIGHTH = 6;
const DATABASE_EIGHTH = 7;

/**
 * The zones a cluster uses: the listed ones, else the region's first `azCount` zones.
 * Undefined when neither is possible (unknown region, or a region whose zone letters differ
 * between accounts and no list was given); the rules report those cases.
 */
export function clusterZones(
  region: string,
  network: Pick<ClusterDefinition["network"], "azCount" | "availabilityZones">,
): string[] | undefined {
  if (network.availabilityZones) return [...network.availabilityZones];
  const letters = REGIONS[region]?.zones;
  if (!letters || letters.length < network.azCount) return undefined;
  return letters.slice(0, network.azCount).map((letter) => `${region}${letter}`);
}

/** One CIDR per zone for each subnet tier: the listed ones, else carved out of the VPC. */
export function planSubnets(
  vpcCidr: string,
  zoneCount: number,
  explicit: Partial<SubnetPlan> = {},
): SubnetPlan {
  const vpc = parseCidr(vpcCidr);
  const zones = Array.from({ length: zoneCount }, (_, index) => index);
  const carve = (eighth: number | undefined) =>
    zones.map((zone) =>
      formatCidr(
        eighth === undefined
          ? cidrSubnet(vpc, ZONE_BITS, zone)
          : cidrSubnet(cidrSubnet(vpc, ZONE_BITS, eighth), ZONE_BITS, zone),
      ),
    );
  return {
    public: explicit.public ? [...explicit.public] : carve(PUBLIC_EIGHTH),
    private: explicit.private ? [...explicit.private] : carve(undefined),
    database: explicit.database ? [...explicit.database] : carve(DATABASE_EIGHTH),
  };
}

/** Where the state object lives unless the definition says otherwise. */
export function defaultStateKey(clusterName: string): string {
  return `k3s/${clusterName}/terraform.tfstate`;
}

/**
 * Resolves a definition that passed the schema and the rules. A definition that did not is a
 * programming error here (the loader never calls this with one), hence the plain throws.
 */
export function resolveCluster(definition: ClusterDefinition): ClusterConfig {
  const { $schema: _editorHint, network, state, ...rest } = definition;
  const region = REGIONS[definition.region];
  if (!region) throw new Error(`resolveCluster: unknown region ${definition.region}`);
  const availabilityZones = clusterZones(definition.region, network);
  if (!availabilityZones) {
    throw new Error(`resolveCluster: cannot choose zones in ${definition.region}`);
  }
  const { availabilityZones: _listed, subnets, ...networkRest } = network;
  return {
    ...rest,
    partition: region.partition,
    network: {
      ...networkRest,
      // Listed zones win: the rules made sure a written azCount agrees with them.
      azCount: availabilityZones.length,
      availabilityZones,
      subnets: planSubnets(network.vpcCidr, availabilityZones.length, subnets),
    },
    state: {
      ...state,
      key: state.key ?? defaultStateKey(definition.name),
      region: state.region ?? definition.region,
    },
  };
}
