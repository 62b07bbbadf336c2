/**
 * Rules that relate several fields of a cluster definition, or need tables the schema does
 * not hold (regions, zones, RDS classes). They run on a definition that already passed the
 * zod schema, so types are right and defaults are applied; each problem names the path of
 * the field to fix, so the loader can point at the line that holds it.
 */
import { CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR } from "../addons/aws-cloud-controller-manager";
import { type Cidr, cidrContains, cidrOverlaps, cidrProblem, formatCidr, parseCidr } from "./cidr";
import {
  DATASTORE_MIN_MEMORY_GIB,
  DB_INSTANCE_CLASSES,
  EC2_FAMILIES,
  isKnownInstanceType,
  knownInstanceTypes,
  RETIRED_DB_FAMILIES,
  TOO_SMALL_FOR_SERVER,
} from "./instance-types";
import { REGION_NAMES, REGIONS, type RegionInfo } from "./regions";
import { clusterZones, planSubnets } from "./resolve";
import type { ClusterDefinition, ClusterDefinitionInput } from "./schema";

export type DefinitionPath = readonly (string | number)[];

export interface RuleProblem {
  /** Keys and list indices from the document root to the field to fix. */
  path: DefinitionPath;
  message: string;
  expected?: string;
  /** The offending value, for fields the user did not write (a default). */
  found?: string;
}

/** AWS allows 50 tags per resource; the stack adds its own (Name, cluster, managed-by, …). */
export const MAX_USER_TAGS = 40;
const VPC_PREFIX_RANGE = { widest: 16, narrowest: 22 } as const;
/** AWS does not create subnets smaller than /28. */
const NARROWEST_SUBNET_PREFIX = 28;
const SUBNET_TIERS = ["public", "private", "database"] as const;

/** Edit distance, for "did you mean" hints on keys, regions and instance classes. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo (case is
 * ignored, so `instancetype` finds `instanceType`).
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lowered = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = levenshtein(lowered, candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match && match !== word ? `; did you mean ${match}?` : "";
}

/** Whether the user wrote the field at `path`, as opposed to getting the default. */
function writtenAt(written: unknown, path: DefinitionPath): boolean {
  let node: unknown = written;
  for (const key of path) {
    if (node === null || typeof node !== "object") return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== undefined;
}

/**
 * Collects problems for one definition; the checks below push into it. A problem that rests on
 * a field the schema rejected (its own path, or one in `involves`) is dropped: the value there
 * is a stand-in, and the schema's problem already names the field.
 */
class ProblemList {
  readonly problems: RuleProblem[] = [];
  constructor(readonly setAside: (path: DefinitionPath) => boolean = () => false) {}
  add(
    path: DefinitionPath,
    message: string,
    details: Omit<RuleProblem, "path" | "message"> = {},
    involves: readonly DefinitionPath[] = [],
  ) {
    if ([path, ...involves].some(this.setAside)) return;
    this.problems.push({ path, message, ...details });
  }
  /** Parses a CIDR field, reporting host bits or bad syntax; undefined when unusable. */
  cidr(path: DefinitionPath, text: string): Cidr | undefined {
    if (this.setAside(path)) return undefined;
    const problem = cidrProblem(text);
    if (problem) {
      this.add(path, problem, { expected: "a CIDR block with host bits zero", found: text });
      return undefined;
    }
    return parseCidr(text);
  }
}

/** The region's entry; own keys only, so `constructor` is no region. */
function regionInfo(name: string): RegionInfo | undefined {
  return Object.hasOwn(REGIONS, name) ? REGIONS[name] : undefined;
}

/**
 * Checks the cross-field rules. `written` is the document as the user wrote it (before
 * defaults); when given, a few messages say whether a value was a default, and azCount only
 * has to match the listed zones if it was written. Without it every field counts as written.
 * `setAside` names the fields the schema rejected (replaced by stand-ins in `definition`): no
 * problem is reported that rests on one of them.
 */
export function checkClusterRules(
  definition: ClusterDefinition,
  written?: ClusterDefinitionInput,
  setAside?: (path: DefinitionPath) => boolean,
): RuleProblem[] {
  const list = new ProblemList(setAside);
  const isWritten = (path: DefinitionPath) =>
    written === undefined ? true : writtenAt(written, path);
  checkRegion(list, definition);
  const zones = checkZones(list, definition, isWritten);
  checkNetwork(list, definition, zones, isWritten);
  checkControlPlane(list, definition);
  checkWorkers(list, definition, isWritten);
  checkK3sVersion(list, definition);
  checkDatastore(list, definition);
  checkState(list, definition);
  checkTags(list, definition);
  return list.problems;
}

function checkRegion(list: ProblemList, { region }: ClusterDefinition) {
  if (regionInfo(region)) return;
  list.add(["region"], `unknown AWS region${didYouMean(region, REGION_NAMES)}`, {
    expected: "an AWS region such as eu-central-1",
    found: region,
  });
}

/** Checks the zone choice; returns the zones the cluster will use, when they are known. */
function checkZones(
  list: ProblemList,
  { region, network }: ClusterDefinition,
  isWritten: (path: DefinitionPath) => boolean,
): string[] | undefined {
  const info = regionInfo(region);
  // Zones chosen from a stand-in (a rejected region, count or list) would be guesses.
  const inputs = [["region"], ["network", "azCount"], ["network", "availabilityZones"]];
  if (!info || inputs.some(list.setAside)) return undefined;
  const listed = network.availabilityZones;
  const known = info.zones?.map((letter) => `${region}${letter}`);
  if (!listed) {
    if (!known) {
      list.add(
        ["network", "availabilityZones"],
        `${region} maps zone letters to different zones in each AWS account, so the zones must be listed; ` +
          `run \`aws ec2 describe-availability-zones --region ${region}\` and list ${network.azCount} of them`,
        { expected: `${network.azCount} zone names of ${region}` },
      );
      return undefined;
    }
    if (network.azCount > known.length) {
      list.add(
        ["network", "azCount"],
        `${region} has ${known.length} availability zones (${known.join(", ")}); use at most ${known.length}`,
        { expected: `at most ${known.length}`, found: String(network.azCount) },
      );
      return undefined;
    }
    return clusterZones(region, network);
  }

  let usable = true;
  if (isWritten(["network", "azCount"]) && listed.length !== network.azCount) {
    usable = false;
    list.add(
      ["network", "availabilityZones"],
      `lists ${listed.length} zones but network.azCount is ${network.azCount}; they must agree (or leave azCount out)`,
      { expected: `${network.azCount} zones` },
    );
  }
  const zonePattern = new RegExp(`^${region.replaceAll("-", "\\-")}[a-z]$`);
  listed.forEach((zone, index) => {
    const path = ["network", "availabilityZones", index];
    const firstIndex = listed.indexOf(zone);
    if (firstIndex !== index) {
      usable = false;
      list.add(path, `${zone} is listed twice (also at availabilityZones[${firstIndex}])`, {
        expected: "each zone once",
        found: zone,
      });
    } else if (!zonePattern.test(zone) || (known && !known.includes(zone))) {
      usable = false;
      const choices = known ? ` (${known.join(", ")})` : "";
      list.add(path, `${zone} is not a zone of ${region}${choices}`, {
        expected: `a zone of ${region}`,
        found: zone,
      });
    }
  });
  return usable ? [...listed] : undefined;
}

function checkNetwork(
  list: ProblemList,
  { network, k3s }: ClusterDefinition,
  zones: string[] | undefined,
  isWritten: (path: DefinitionPath) => boolean,
) {
  let vpc = list.cidr(["network", "vpcCidr"], network.vpcCidr);
  if (vpc && (vpc.prefix < VPC_PREFIX_RANGE.widest || vpc.prefix > VPC_PREFIX_RANGE.narrowest)) {
    list.add(
      ["network", "vpcCidr"],
      `prefix must be between /${VPC_PREFIX_RANGE.widest} (the largest VPC AWS allows) and /${VPC_PREFIX_RANGE.narrowest} (the smallest the subnet plan fits in)`,
      { expected: "a /16 to /22 block", found: network.vpcCidr },
    );
    vpc = undefined;
  }
  for (const field of ["adminCidrs", "ingressCidrs"] as const) {
    network[field].forEach((cidr, index) => {
      list.cidr(["network", field, index], cidr);
    });
  }
  if (vpc && zones) checkSubnets(list, network, vpc, zones);

  // Pods and services are routed inside the cluster; if their ranges overlap the VPC, traffic
  // to a node's neighbour or to an AWS endpoint would be swallowed by the overlay.
  const podsPath = ["k3s", "clusterCidr"];
  const servicesPath = ["k3s", "serviceCidr"];
  const pods = list.cidr(podsPath, k3s.clusterCidr);
  const services = list.cidr(servicesPath, k3s.serviceCidr);
  for (const [path, range, what] of [
    [podsPath, pods, "pod"],
    [servicesPath, services, "service"],
  ] as const) {
    if (!range || !vpc || !cidrOverlaps(range, vpc)) continue;
    if (isWritten(path)) {
      list.add(path, `${what} range overlaps network.vpcCidr (${network.vpcCidr})`, {
        expected: "a range outside the VPC",
        found: formatCidr(range),
      });
    } else {
      list.add(
        ["network", "vpcCidr"],
        `overlaps k3s' default ${what} range ${path.join(".")} (${formatCidr(range)}); choose another VPC range or set ${path.join(".")}`,
        { expected: `a range outside ${formatCidr(range)}`, found: network.vpcCidr },
      );
    }
  }
  if (pods && services && cidrOverlaps(pods, services)) {
    list.add(servicesPath, `overlaps k3s.clusterCidr (${k3s.clusterCidr})`, {
      expected: "separate pod and service ranges",
      found: k3s.serviceCidr,
    });
  }
}

function checkSubnets(
  list: ProblemList,
  network: ClusterDefinition["network"],
  vpc: Cidr,
  zones: string[],
) {
  const explicit = network.subnets ?? {};
  const plan = planSubnets(network.vpcCidr, zones.length, explicit);
  const usable: { label: string; path: DefinitionPath; range: Cidr; isExplicit: boolean }[] = [];
  for (const tier of SUBNET_TIERS) {
    const given = explicit[tier];
    const tierPath = ["network", "subnets", tier];
    if (given && given.length !== zones.length) {
      list.add(
        tierPath,
        `lists ${given.length} CIDR blocks; expected one per zone (${zones.length}: ${zones.join(", ")})`,
        { expected: `${zones.length} CIDR blocks` },
      );
    }
    plan[tier].forEach((text, index) => {
      const path = [...tierPath, index];
      const label = `network.subnets.${tier}[${index}]`;
      if (!given) {
        usable.push({
          label: `${label} (carved: ${text})`,
          path,
          range: parseCidr(text),
          isExplicit: false,
        });
        return;
      }
      const range = list.cidr(path, text);
      if (!range) return;
      if (range.prefix > NARROWEST_SUBNET_PREFIX) {
        list.add(
          path,
          `is smaller than /${NARROWEST_SUBNET_PREFIX}, the smallest subnet AWS allows`,
          {
            expected: `a prefix of /${NARROWEST_SUBNET_PREFIX} or less`,
            found: text,
          },
        );
      } else if (!cidrContains(vpc, range)) {
        list.add(path, `is outside network.vpcCidr (${network.vpcCidr})`, {
          expected: `a block inside ${network.vpcCidr}`,
          found: text,
        });
      } else {
        usable.push({ label: `${label} (${text})`, path, range, isExplicit: true });
      }
    });
  }
  // Carved blocks never overlap each other, so every overlap involves a written block; report
  // it there, naming the other one.
  usable.forEach((subnet, index) => {
    if (!subnet.isExplicit) return;
    usable.forEach((other, otherIndex) => {
      if (otherIndex === index || (other.isExplicit && otherIndex > index)) return;
      if (!cidrOverlaps(subnet.range, other.range)) return;
      list.add(
        subnet.path,
        `overlaps ${other.label}`,
        { expected: "subnets that do not overlap", found: formatCidr(subnet.range) },
        [other.path],
      );
    });
  });
}

/**
 * Server counts by datastore. With RDS PostgreSQL the servers hold no state and need no quorum:
 * k3s' "High Availability External DB" page (docs.k3s.io/datastore/ha, read 2026-11) asks for
 * "two or more server nodes". Embedded etcd needs a majority of its members (docs.k3s.io
 * datastore/ha-embedded: "an odd number of server nodes"), so an even count adds a machine
 * without surviving one more failure. More than 3 is beyond what this stack is tested with.
 */
const SERVER_COUNTS = { postgres: [1, 2, 3], etcd: [1, 3] } as const;

function checkControlPlane(list: ProblemList, { controlPlane, datastore }: ClusterDefinition) {
  const { count, instanceType } = controlPlane;
  const allowed: readonly number[] = SERVER_COUNTS[datastore.engine];
  if (!allowed.includes(count)) {
    const evenOnEtcd = datastore.engine === "etcd" && count % 2 === 0;
    const why =
      count < 1
        ? "a cluster needs at least one k3s server"
        : evenOnEtcd
          ? `embedded etcd needs an odd number of members to keep quorum (${count} servers survive no more failures than ${count - 1})${count === 2 ? "; with datastore.engine: postgres, 2 servers are highly available" : ""}`
          : "this stack does not support 4 or more servers";
    list.add(
      ["controlPlane", "count"],
      `must be ${allowed.join(", ").replace(/, (\d)$/, " or $1")}: ${why}`,
      { expected: allowed.join(" or "), found: String(count) },
      [["datastore", "engine"]],
    );
  }
  if (!checkInstanceType(list, ["controlPlane", "instanceType"], instanceType)) return;
  const size = instanceType.split(".")[1] ?? "";
  if (TOO_SMALL_FOR_SERVER.includes(size)) {
    list.add(
      ["controlPlane", "instanceType"],
      `${instanceType} has too little memory for a k3s server (k3s documents 2 GB as the minimum); use a medium or larger size`,
      { expected: "an instance type with at least 2 GB memory", found: instanceType },
    );
  }
}

/**
 * Reports an instance type the EC2 API does not know, with the nearest name: the family's sizes
 * when the family exists (t3.huge → t3 comes in …), else the closest type or family.
 */
function checkInstanceType(list: ProblemList, path: DefinitionPath, instanceType: string): boolean {
  if (isKnownInstanceType(instanceType)) return true;
  const [family = "", size = ""] = instanceType.split(".");
  const sizes = Object.hasOwn(EC2_FAMILIES, family) ? EC2_FAMILIES[family] : undefined;
  let hint: string;
  if (sizes) {
    const near = closestMatch(size, sizes);
    hint = `; ${family} comes in ${sizes.join(", ")}${near ? ` (did you mean ${family}.${near}?)` : ""}`;
  } else {
    const near =
      closestMatch(instanceType, knownInstanceTypes()) ??
      closestMatch(family, Object.keys(EC2_FAMILIES));
    hint = near ? `; did you mean ${near}?` : "";
  }
  list.add(path, `unknown EC2 instance type${hint}`, {
    expected: "an EC2 instance type such as t3.large",
    found: instanceType,
  });
  return false;
}

function checkWorkers(
  list: ProblemList,
  { workers }: ClusterDefinition,
  isWritten: (path: DefinitionPath) => boolean,
) {
  checkInstanceType(list, ["workers", "instanceType"], workers.instanceType);
  if (workers.min > workers.max) {
    const maxNote = isWritten(["workers", "max"]) ? "" : ", the default";
    list.add(
      ["workers", "min"],
      `must be ≤ workers.max (${workers.max}${maxNote})`,
      { expected: `≤ ${workers.max}`, found: String(workers.min) },
      [["workers", "max"]],
    );
  }
  // Only the `cpu` mode creates the target-tracking policy that reads cpuTarget; with the
  // cluster-autoscaler a written target would be silently ignored, which misleads a reviewer.
  if (workers.scaling === "clusterAutoscaler" && isWritten(["workers", "cpuTarget"])) {
    list.add(
      ["workers", "cpuTarget"],
      "has no effect with workers.scaling: clusterAutoscaler, which scales on pending pods, not CPU; remove cpuTarget or set scaling: cpu",
      { expected: "no cpuTarget with clusterAutoscaler", found: String(workers.cpuTarget) },
      [["workers", "scaling"]],
    );
  }
  // The servers carry CriticalAddonsOnly=true:NoExecute, and k3s' helm-controller gives the
  // helm-install Job of a HelmChart tolerations only when spec.bootstrap is true (k3s-io/
  // helm-controller v0.16.x, pkg/controllers/chart/chart.go; infra/facts/helm-controller.json).
  // Every add-on but the cloud controller is installed by such a Job, so with no worker none of
  // them installs, the cluster-autoscaler that would add the first worker included.
  if (workers.min < 1) {
    list.add(
      ["workers", "min"],
      "must be at least 1: the add-ons (cluster-autoscaler, ingress, EFS driver, Argo CD, Jenkins) are installed by helm-install Jobs that cannot run on the tainted servers, so with no worker none of them installs and nothing ever adds the first worker",
      { expected: "≥ 1", found: String(workers.min) },
    );
  }
}

/**
 * The cloud-controller-manager must not be newer than the API server (Kubernetes' version skew
 * policy), and the stack pins its image per Kubernetes minor (infra/addons/aws-cloud-controller-manager.ts).
 */
function checkK3sVersion(list: ProblemList, { k3s }: ClusterDefinition) {
  const minor = /^v(\d+\.\d+)\./.exec(k3s.version)?.[1] ?? "";
  const pinned = Object.keys(CLOUD_CONTROLLER_MANAGER_IMAGE_BY_MINOR);
  if (!pinned.includes(minor)) {
    list.add(
      ["k3s", "version"],
      `Kubernetes ${minor} has no pinned AWS cloud-controller-manager image, and running one of another minor breaks Kubernetes' version skew policy; use a k3s release of ${pinned.join(", ")}`,
      { expected: `a k3s release of Kubernetes ${pinned.join(", ")}`, found: k3s.version },
    );
  }
}

function checkDatastore(list: ProblemList, { datastore }: ClusterDefinition) {
  // With embedded etcd there is no database; the class is unused.
  if (datastore.engine !== "postgres" || list.setAside(["datastore", "engine"])) return;
  const instanceClass = datastore.instanceClass;
  const path = ["datastore", "instanceClass"];
  const family = instanceClass.split(".")[1] ?? "";
  const memory = DB_INSTANCE_CLASSES[instanceClass];
  if (RETIRED_DB_FAMILIES.includes(family)) {
    list.add(
      path,
      `db.${family} is retired: RDS no longer creates new instances of it; use a current family such as db.t4g.small`,
      { expected: "a current RDS instance class", found: instanceClass },
    );
  } else if (memory === undefined) {
    const known = Object.keys(DB_INSTANCE_CLASSES);
    list.add(path, `unknown RDS instance class for PostgreSQL${didYouMean(instanceClass, known)}`, {
      expected: "an RDS instance class such as db.t4g.small",
      found: instanceClass,
    });
  } else if (memory < DATASTORE_MIN_MEMORY_GIB) {
    list.add(
      path,
      `${instanceClass} has ${memory} GiB memory; k3s documents 1 vCPU / 2 GB as the minimum for an external datastore, use db.${family}.small or larger`,
      { expected: `at least ${DATASTORE_MIN_MEMORY_GIB} GiB memory`, found: instanceClass },
    );
  }
}

function checkState(list: ProblemList, { region, state }: ClusterDefinition) {
  if (state.region === undefined) return;
  const stateRegion = regionInfo(state.region);
  if (!stateRegion) {
    list.add(["state", "region"], `unknown AWS region${didYouMean(state.region, REGION_NAMES)}`, {
      expected: "an AWS region such as eu-central-1",
      found: state.region,
    });
    return;
  }
  const clusterRegion = regionInfo(region);
  if (clusterRegion && clusterRegion.partition !== stateRegion.partition) {
    list.add(
      ["state", "region"],
      `is in the ${stateRegion.partition} partition but the cluster is in ${clusterRegion.partition}; one set of credentials cannot reach both`,
      { expected: `a region in ${clusterRegion.partition}`, found: state.region },
      [["region"]],
    );
  }
}

function checkTags(list: ProblemList, { tags }: ClusterDefinition) {
  const count = Object.keys(tags).length;
  if (count > MAX_USER_TAGS) {
    list.add(
      ["tags"],
      `has ${count} tags; at most ${MAX_USER_TAGS} (AWS allows 50 per resource and k3s-bot adds its own)`,
      { expected: `at most ${MAX_USER_TAGS} tags`, found: String(count) },
    );
  }
}
