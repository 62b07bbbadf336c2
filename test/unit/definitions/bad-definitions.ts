/**
 * The bad definitions of load.test.ts, Atlantis style: each case is a small YAML file and the
 * one problem it must produce, with its field, line (and column where it says something) and a
 * piece of the message. The minimal valid definition is five lines; most cases append to it, so
 * their first own line is line 6 and, being indented, continues the `network` mapping.
 */

/** Strips the common indentation of a template literal, so cases can be indented in the table. */
export function dedent(text: string): string {
  const lines = text
    .replace(/^\n/, "")
    .replace(/\n[ ]*$/, "\n")
    .split("\n");
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return lines.map((line) => line.slice(indent)).join("\n");
}

export const MINIMAL = dedent(`
  name: dev
  region: eu-central-1
  state: { bucket: acme-tfstate }
  network:
    adminCidrs: [203.0.113.7/32]
`);

/** The minimal definition with `extra` appended from line 6 on. */
export function minimal(extra: string): string {
  return MINIMAL + dedent(extra);
}

/** The minimal definition with `extra` added to its `network` mapping, from line 6 on. */
export function inNetwork(extra: string): string {
  return MINIMAL + dedent(extra).replace(/^(?=.)/gm, "  ");
}

export interface BadCase {
  name: string;
  yaml: string;
  field: string;
  line: number;
  column?: number;
  message: string;
  found?: string;
}

export const badDefinitions: BadCase[] = [
  // Types and formats (zod schema)
  {
    name: "a word where a number belongs",
    yaml: minimal(`
      workers:
        min: three
    `),
    field: "workers.min",
    line: 7,
    column: 8,
    message: "expected a number",
    found: "three",
  },
  {
    name: "a quoted number",
    yaml: inNetwork(`
        azCount: "3"
    `),
    field: "network.azCount",
    line: 6,
    column: 12,
    message: "expected a number (without quotes)",
    found: '"3"',
  },
  {
    name: "YAML 1.1 yes for a boolean",
    yaml: minimal(`
      workers:
        spot: yes
    `),
    field: "workers.spot",
    line: 7,
    column: 9,
    message: "expected true or false (YAML 1.2 reads yes/no/on/off as strings)",
  },
  {
    name: "a fraction where a whole number belongs",
    yaml: minimal(`
      controlPlane:
        rootVolumeGb: 30.5
    `),
    field: "controlPlane.rootVolumeGb",
    line: 7,
    message: "expected a whole number",
  },
  {
    name: "a number below its minimum",
    yaml: minimal(`
      workers:
        cpuTarget: 5
    `),
    field: "workers.cpuTarget",
    line: 7,
    column: 14,
    message: "must be at least 10",
  },
  {
    name: "a single zone",
    yaml: inNetwork(`
        azCount: 1
    `),
    field: "network.azCount",
    line: 6,
    message: "must be at least 2",
  },
  {
    name: "a list where a mapping belongs",
    yaml: minimal(`
      workers: [1, 3]
    `),
    field: "workers",
    line: 6,
    column: 10,
    message: "expected a mapping",
    found: "[1, 3]",
  },
  {
    name: "an enum value with the wrong case",
    yaml: inNetwork(`
        natGateways: perAZ
    `),
    field: "network.natGateways",
    line: 6,
    column: 16,
    message: "expected one of single, perAz; did you mean perAz?",
  },
  {
    name: "a cluster name with capitals and an underscore",
    yaml: MINIMAL.replace("name: dev", "name: Dev_1"),
    field: "name",
    line: 1,
    column: 7,
    message: "expected 2-20 lowercase letters",
  },
  {
    name: "a k3s version without the +k3s suffix",
    yaml: minimal(`
      k3s:
        version: v1.33.5
    `),
    field: "k3s.version",
    line: 7,
    column: 12,
    message: "expected a k3s release such as v1.33.5+k3s1",
  },
  {
    name: "a bucket name with capitals and an underscore",
    yaml: MINIMAL.replace("bucket: acme-tfstate", "bucket: Acme_TFState"),
    field: "state.bucket",
    line: 3,
    column: 18,
    message: "expected a bucket name",
  },
  {
    name: "a bucket name with two adjacent dots",
    yaml: MINIMAL.replace("bucket: acme-tfstate", "bucket: acme..tfstate"),
    field: "state.bucket",
    line: 3,
    message: "cannot contain two adjacent dots",
  },
  {
    name: "an address without a prefix length",
    yaml: MINIMAL.replace("[203.0.113.7/32]", "[203.0.113.7]"),
    field: "network.adminCidrs[0]",
    line: 5,
    column: 16,
    message: "expected an IPv4 CIDR block",
  },
  {
    name: "nobody may reach the API",
    yaml: MINIMAL.replace("[203.0.113.7/32]", "[]"),
    field: "network.adminCidrs",
    line: 5,
    column: 15,
    message: "list at least one CIDR block",
  },
  {
    name: "a reserved tag key",
    yaml: minimal(`
      tags:
        aws:team: platform
    `),
    field: 'tags["aws:team"]',
    line: 7,
    column: 3,
    message: "tag keys starting with aws: are reserved",
  },

  // Unknown and missing keys
  {
    name: "a misspelt top-level key",
    yaml: minimal(`
      workrs:
        min: 1
    `),
    field: "workrs",
    line: 6,
    column: 1,
    message: "unknown key `workrs`; did you mean `workers`?",
  },
  {
    name: "a misspelt nested key",
    yaml: minimal(`
      controlPlane:
        cout: 3
    `),
    field: "controlPlane.cout",
    line: 7,
    column: 3,
    message: "did you mean `count`?",
  },
  {
    name: "a key with the wrong case",
    yaml: minimal(`
      workers:
        instancetype: t3.large
    `),
    field: "workers.instancetype",
    line: 7,
    message: "did you mean `instanceType`?",
  },
  {
    name: "a key at the wrong level",
    yaml: minimal(`
      vpcCidr: 10.20.0.0/16
    `),
    field: "vpcCidr",
    line: 6,
    column: 1,
    message: "`vpcCidr` belongs under `network`",
  },
  {
    name: "no state at all",
    yaml: "name: dev\nregion: eu-central-1\nnetwork:\n  adminCidrs: [203.0.113.7/32]\n",
    field: "state",
    line: 1,
    column: 1,
    message: "is required (a mapping)",
  },
  {
    name: "a state without its bucket (reported on the parent mapping)",
    yaml: MINIMAL.replace("{ bucket: acme-tfstate }", "{ lockTable: acme-locks }"),
    field: "state.bucket",
    line: 3,
    column: 1,
    message: "is required (a string)",
  },
  {
    name: "a network without adminCidrs",
    yaml: "name: dev\nregion: eu-central-1\nstate: { bucket: acme-tfstate }\nnetwork:\n  azCount: 2\n",
    field: "network.adminCidrs",
    line: 4,
    column: 1,
    message: "is required (a list)",
  },
  {
    name: "an empty mapping value",
    yaml: minimal(`
      controlPlane:
    `),
    field: "controlPlane",
    line: 6,
    message: "expected a mapping",
  },

  // Region and zones (rules)
  {
    name: "a region typo",
    yaml: MINIMAL.replace("eu-central-1", "eu-centrl-1"),
    field: "region",
    line: 2,
    column: 9,
    message: "unknown AWS region; did you mean eu-central-1?",
    found: "eu-centrl-1",
  },
  {
    name: "a region whose zone letters differ by account, without zones",
    yaml: MINIMAL.replace("eu-central-1", "us-west-1"),
    field: "network.availabilityZones",
    line: 4,
    column: 1,
    message: "us-west-1 maps zone letters to different zones in each AWS account",
  },
  {
    name: "more zones than the region has",
    yaml: inNetwork(`
        azCount: 4
    `),
    field: "network.azCount",
    line: 6,
    message: "eu-central-1 has 3 availability zones",
  },
  {
    name: "a zone of another region",
    yaml: inNetwork(`
        availabilityZones: [eu-central-1a, eu-west-1b]
    `),
    field: "network.availabilityZones[1]",
    line: 6,
    column: 38,
    message: "eu-west-1b is not a zone of eu-central-1",
  },
  {
    name: "a zone letter the region does not have",
    yaml: inNetwork(`
        availabilityZones: [eu-central-1a, eu-central-1d]
    `),
    field: "network.availabilityZones[1]",
    line: 6,
    message: "(eu-central-1a, eu-central-1b, eu-central-1c)",
  },
  {
    name: "a zone listed twice",
    yaml: inNetwork(`
        availabilityZones:
          - eu-central-1a
          - eu-central-1a
    `),
    field: "network.availabilityZones[1]",
    line: 8,
    column: 7,
    message: "is listed twice (also at availabilityZones[0])",
  },
  {
    name: "azCount that disagrees with the listed zones",
    yaml: inNetwork(`
        azCount: 3
        availabilityZones: [eu-central-1a, eu-central-1b]
    `),
    field: "network.availabilityZones",
    line: 7,
    message: "lists 2 zones but network.azCount is 3",
  },

  // Addresses (rules)
  {
    name: "a VPC CIDR with host bits set",
    yaml: inNetwork(`
        vpcCidr: 10.20.0.1/16
    `),
    field: "network.vpcCidr",
    line: 6,
    column: 12,
    message: "has host bits set; the network is 10.20.0.0/16",
  },
  {
    name: "a VPC larger than AWS allows",
    yaml: inNetwork(`
        vpcCidr: 10.0.0.0/12
    `),
    field: "network.vpcCidr",
    line: 6,
    message: "prefix must be between /16",
  },
  {
    name: "a VPC too small for the subnet plan",
    yaml: inNetwork(`
        vpcCidr: 10.0.0.0/24
    `),
    field: "network.vpcCidr",
    line: 6,
    message: "and /22",
  },
  {
    name: "an admin CIDR with host bits set",
    yaml: MINIMAL.replace("[203.0.113.7/32]", "[203.0.113.7/24]"),
    field: "network.adminCidrs[0]",
    line: 5,
    column: 16,
    message: "or write 203.0.113.7/32 for a single address",
  },
  {
    name: "fewer private subnets than zones",
    yaml: inNetwork(`
        subnets:
          private: [10.20.0.0/19, 10.20.32.0/19]
    `),
    field: "network.subnets.private",
    line: 7,
    column: 14,
    message: "lists 2 CIDR blocks; expected one per zone (3: eu-central-1a",
  },
  {
    name: "a subnet outside the VPC",
    yaml: inNetwork(`
        azCount: 2
        subnets:
          database: [10.20.224.0/24, 10.21.0.0/24]
    `),
    field: "network.subnets.database[1]",
    line: 8,
    column: 32,
    message: "is outside network.vpcCidr (10.20.0.0/16)",
  },
  {
    name: "a subnet smaller than AWS allows",
    yaml: inNetwork(`
        azCount: 2
        subnets:
          public: [10.20.192.0/29, 10.20.193.0/28]
    `),
    field: "network.subnets.public[0]",
    line: 8,
    message: "is smaller than /28",
  },
  {
    name: "explicit subnets that overlap each other",
    yaml: inNetwork(`
        azCount: 2
        subnets:
          private: [10.20.0.0/18, 10.20.64.0/18]
          public: [10.20.192.0/24, 10.20.64.0/24]
    `),
    // Reported on the first tier in public, private, database order, naming the other.
    field: "network.subnets.private[1]",
    line: 8,
    column: 29,
    message: "overlaps network.subnets.public[1] (10.20.64.0/24)",
  },
  {
    name: "an explicit subnet that overlaps a carved one",
    yaml: inNetwork(`
        azCount: 2
        subnets:
          public: [10.20.0.0/24, 10.20.197.0/24]
    `),
    field: "network.subnets.public[0]",
    line: 8,
    message: "overlaps network.subnets.private[0] (carved: 10.20.0.0/19)",
  },
  {
    name: "a pod range that overlaps the VPC",
    yaml: minimal(`
      k3s:
        clusterCidr: 10.20.128.0/17
    `),
    field: "k3s.clusterCidr",
    line: 7,
    column: 16,
    message: "pod range overlaps network.vpcCidr (10.20.0.0/16)",
  },
  {
    name: "a VPC that overlaps k3s' default pod range",
    yaml: inNetwork(`
        vpcCidr: 10.42.0.0/16
    `),
    field: "network.vpcCidr",
    line: 6,
    message: "overlaps k3s' default pod range k3s.clusterCidr (10.42.0.0/16)",
  },
  {
    name: "service and pod ranges that overlap",
    yaml: minimal(`
      k3s:
        clusterCidr: 10.40.0.0/14
        serviceCidr: 10.43.0.0/16
    `),
    field: "k3s.serviceCidr",
    line: 8,
    message: "overlaps k3s.clusterCidr (10.40.0.0/14)",
  },

  // Sizes and counts (rules)
  {
    name: "two servers on embedded etcd",
    yaml: minimal(`
      controlPlane:
        count: 2
      datastore: { engine: etcd }
    `),
    field: "controlPlane.count",
    line: 7,
    column: 10,
    message:
      "must be 1 or 3: embedded etcd needs an odd number of members to keep quorum (2 servers survive no more failures than 1); with datastore.engine: postgres, 2 servers are highly available",
  },
  {
    name: "five servers",
    yaml: minimal(`
      controlPlane:
        count: 5
    `),
    field: "controlPlane.count",
    line: 7,
    message: "must be 1, 2 or 3: this stack does not support 4 or more servers",
  },
  {
    name: "four servers on embedded etcd",
    yaml: minimal(`
      controlPlane: { count: 4 }
      datastore: { engine: etcd }
    `),
    field: "controlPlane.count",
    line: 6,
    column: 24,
    message: "embedded etcd needs an odd number of members",
  },
  {
    name: "an instance type that does not exist, in a known family",
    yaml: minimal(`
      workers:
        instanceType: t3.huge
    `),
    field: "workers.instanceType",
    line: 7,
    column: 17,
    message:
      "unknown EC2 instance type; t3 comes in nano, micro, small, medium, large, xlarge, 2xlarge",
    found: "t3.huge",
  },
  {
    name: "a misspelt instance family",
    yaml: minimal(`
      controlPlane:
        instanceType: tt3.large
    `),
    field: "controlPlane.instanceType",
    line: 7,
    message: "unknown EC2 instance type; did you mean t3.large?",
  },
  {
    name: "a misspelt instance size",
    yaml: minimal(`
      workers:
        instanceType: m7g.lage
    `),
    field: "workers.instanceType",
    line: 7,
    message: "(did you mean m7g.large?)",
  },
  {
    name: "a CPU target the cluster-autoscaler would ignore",
    yaml: minimal(`
      workers:
        scaling: clusterAutoscaler
        cpuTarget: 60
    `),
    field: "workers.cpuTarget",
    line: 8,
    column: 14,
    message: "has no effect with workers.scaling: clusterAutoscaler",
    found: "60",
  },
  {
    name: "a server too small for k3s",
    yaml: minimal(`
      controlPlane:
        instanceType: t3.micro
    `),
    field: "controlPlane.instanceType",
    line: 7,
    message: "k3s documents 2 GB as the minimum",
  },
  {
    name: "more minimum workers than maximum",
    yaml: minimal(`
      workers:
        min: 5
        max: 3
    `),
    field: "workers.min",
    line: 7,
    column: 8,
    message: "must be ≤ workers.max (3)",
    found: "5",
  },
  {
    name: "a datastore below k3s' memory floor",
    yaml: minimal(`
      datastore:
        instanceClass: db.t4g.micro
    `),
    field: "datastore.instanceClass",
    line: 7,
    column: 18,
    message: "db.t4g.micro has 1 GiB memory; k3s documents 1 vCPU / 2 GB as the minimum",
  },
  {
    name: "a retired datastore family",
    yaml: minimal(`
      datastore:
        instanceClass: db.t2.small
    `),
    field: "datastore.instanceClass",
    line: 7,
    message: "db.t2 is retired",
  },
  {
    name: "a misspelt datastore class",
    yaml: minimal(`
      datastore:
        instanceClass: db.t4g.smal
    `),
    field: "datastore.instanceClass",
    line: 7,
    message: "unknown RDS instance class for PostgreSQL; did you mean db.t4g.small?",
  },
  {
    name: "a state region typo",
    yaml: MINIMAL.replace("{ bucket: acme-tfstate }", "{ bucket: acme-tfstate, region: us-est-1 }"),
    field: "state.region",
    line: 3,
    column: 40,
    message: "did you mean us-east-1?",
  },
  {
    name: "too many tags",
    yaml: `${MINIMAL}tags:\n${Array.from({ length: 41 }, (_, index) => `  t${index}: v\n`).join("")}`,
    field: "tags",
    line: 6,
    column: 1,
    message: "has 41 tags; at most 40",
    found: "41",
  },
  {
    name: "a name that does not match the file name",
    yaml: MINIMAL.replace("name: dev", "name: prod"),
    field: "name",
    line: 1,
    column: 7,
    message: "must match the file name clusters/dev.yaml (dev)",
  },

  // YAML itself
  {
    name: "an unclosed flow sequence",
    yaml: "name: dev\nregion: [eu-central-1\nstate: { bucket: acme-tfstate }\n",
    field: "",
    line: 2,
    column: 9,
    message: "a list opened with `[` is not closed with `]`",
  },
  {
    name: "a key indented deeper than the key above it, which has a value",
    yaml: minimal(`
      workers:
        max: 3
          spot: true
    `),
    field: "",
    line: 8,
    column: 5,
    message: "this key is indented deeper than the key above it, which already has a value",
  },
  {
    name: "a key indented one space more than its neighbours",
    yaml: `${MINIMAL}   azCount: 3\n`,
    field: "",
    line: 6,
    column: 4,
    message: "this key is not lined up with the keys above it",
  },
  {
    name: "a list item indented less than the items above it",
    yaml: inNetwork(`
      ingressCidrs:
        - 10.0.0.0/8
      - 10.1.0.0/16
    `),
    field: "",
    line: 8,
    column: 3,
    message: "this list item is indented less than the items above it",
  },
  {
    name: "no space after the colon",
    yaml: minimal(`
      storage:efs
    `),
    field: "",
    line: 6,
    column: 1,
    message: "a colon must be followed by a space",
  },
  {
    name: "a string without its closing quote",
    yaml: 'name: "dev\nregion: eu-central-1\n',
    field: "",
    line: 1,
    column: 7,
    message: 'this string\'s " has no closing "',
  },
  {
    name: "a duplicate key",
    yaml: minimal(`
      region: eu-west-1
    `),
    field: "region",
    line: 6,
    column: 1,
    message: "duplicate key `region`",
  },
  {
    name: "tab indentation",
    yaml: minimal(`
      workers:
      \tmin: 1
    `),
    field: "",
    line: 7,
    message: "tabs are not allowed for indentation",
  },
  {
    name: "an alias bomb",
    yaml: minimal(`
      tags: &a
        x: y
      aws: &b [*a, *a, *a, *a, *a, *a]
      k3s: [*b, *b, *b, *b, *b, *b]
    `),
    field: "",
    line: 8,
    message: "expands aliases (*name) more than 10 times",
  },
  {
    name: "a list used as a key",
    yaml: minimal(`
      ? [workers, min]
      : 1
    `),
    field: "",
    line: 6,
    column: 3,
    message: "keys must be plain names",
  },
  {
    name: "a mistake reached through an alias, reported at the alias",
    yaml: minimal(`
      workers: &sizes { min: 1 }
      controlPlane: *sizes
    `),
    field: "controlPlane.min",
    line: 7,
    column: 15,
    message: "unknown key `min`; `min` belongs under `workers`",
  },
  {
    name: "two documents in one file",
    yaml: `${MINIMAL}---\nname: other\n`,
    field: "",
    line: 6,
    message: "holds more than one YAML document",
  },
  {
    name: "deep flow nesting",
    yaml: `name: ${"[".repeat(40)}`,
    field: "",
    line: 1,
    column: 39,
    message: "nests deeper than 32 levels",
  },
  {
    name: "deep compact block sequences",
    yaml: `${"- ".repeat(10_000)}x\n`,
    field: "",
    line: 1,
    column: 1,
    message: "nests deeper than 32 levels",
  },
  {
    name: "an empty file",
    yaml: "# nothing yet\n",
    field: "",
    line: 1,
    column: 1,
    message: "is empty",
  },
  {
    name: "a list at the top",
    yaml: "- name: dev\n",
    field: "",
    line: 1,
    column: 1,
    message: "expected a mapping of cluster settings",
  },
  {
    name: "a file over 32 KiB",
    yaml: `${MINIMAL}# ${"x".repeat(32 * 1024)}\n`,
    field: "",
    line: 1,
    column: 1,
    message: "a definition may be at most 32 KiB",
  },
];
