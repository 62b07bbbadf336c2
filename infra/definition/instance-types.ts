/**
 * What the definition rules need to know about instance types, without calling AWS.
 */
import ec2Facts from "./ec2-instance-types.json";

/**
 * Every EC2 instance type the EC2 API accepts, by family, from the API model botocore ships
 * (source, model date and retrieval date are in the JSON; regenerate it with
 * scripts/ec2-instance-types.py). A type AWS adds later is refused until the list is updated,
 * which is one command; a typo such as t3.huge is caught before a plan instead of failing the
 * apply half-way with InvalidParameterValue.
 */
export const EC2_FAMILIES: Readonly<Record<string, readonly string[]>> = ec2Facts.families;
export const EC2_INSTANCE_TYPES_SOURCE = `${ec2Facts.source}, model of ${ec2Facts.modelDate}`;
const EC2_INSTANCE_TYPES: ReadonlySet<string> = new Set(
  Object.entries(EC2_FAMILIES).flatMap(([family, sizes]) =>
    sizes.map((size) => `${family}.${size}`),
  ),
);

export function isKnownInstanceType(instanceType: string): boolean {
  return EC2_INSTANCE_TYPES.has(instanceType);
}

/** Every known type, for "did you mean". */
export function knownInstanceTypes(): Iterable<string> {
  return EC2_INSTANCE_TYPES;
}

/** Memory in GiB of the RDS burstable and general-purpose sizes we accept for the datastore. */
const SIZE_MEMORY_GIB: Record<string, Record<string, number>> = {
  // db.t3 / db.t4g: burstable. micro has 1 GiB, below k3s' external-datastore floor.
  t: { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 },
  // db.m*: 4 GiB per vCPU.
  m: { large: 8, xlarge: 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128, "12xlarge": 192 },
  // db.r*: 8 GiB per vCPU.
  r: { large: 16, xlarge: 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384 },
};

/** RDS PostgreSQL instance families offered today (t2 and m4/r4 are retired for new instances). */
const DB_FAMILIES = [
  "t3",
  "t4g",
  "m5",
  "m6g",
  "m6i",
  "m7g",
  "m7i",
  "r5",
  "r6g",
  "r6i",
  "r7g",
  "r7i",
];

export const RETIRED_DB_FAMILIES = ["t1", "t2", "m1", "m2", "m3", "m4", "r3", "r4"];

/** Every RDS class we know, with its memory: used for sizing rules and "did you mean". */
export const DB_INSTANCE_CLASSES: Readonly<Record<string, number>> = Object.fromEntries(
  DB_FAMILIES.flatMap((family) => {
    const sizes = SIZE_MEMORY_GIB[family.charAt(0)] ?? {};
    return Object.entries(sizes).map(([size, gib]) => [`db.${family}.${size}`, gib]);
  }),
);

/** k3s documents 1 vCPU / 2 GB as the minimum for an external datastore serving up to 10 nodes. */
export const DATASTORE_MIN_MEMORY_GIB = 2;

/**
 * CPU architecture of an EC2 instance type, which picks the AMI. Graviton families carry a
 * `g` after the generation digit (t4g, m7g, c7gn, r8gd); `a1` is the first Graviton.
 */
export function instanceArchitecture(instanceType: string): "arm64" | "amd64" {
  const family = instanceType.split(".")[0] ?? "";
  if (family === "a1") return "arm64";
  const suffix = /^[a-z]+\d+([a-z-]*)$/.exec(family)?.[1] ?? "";
  return suffix.includes("g") ? "arm64" : "amd64";
}

/** Sizes too small to run a k3s server (k3s documents 2 GB RAM as the server minimum). */
export const TOO_SMALL_FOR_SERVER = ["nano", "micro"];
