/**
 * AWS regions a cluster can be defined in, with the availability-zone letters that every
 * account sees there. Plan must not call AWS, so the zones come from the definition; when it
 * names none, the first `azCount` of these are used (as kops asks for zones up front).
 *
 * `zones: null` marks a region whose zone names differ between accounts (us-west-1 maps
 * accounts to two of a/b/c): there the definition must list `network.availabilityZones`.
 * Checked against the AWS regions and zones pages, 2026-11.
 */
export interface RegionInfo {
  partition: "aws" | "aws-cn" | "aws-us-gov";
  zones: readonly string[] | null;
}

const abc = ["a", "b", "c"] as const;

export const REGIONS: Readonly<Record<string, RegionInfo>> = {
  "us-east-1": { partition: "aws", zones: ["a", "b", "c", "d", "e", "f"] },
  "us-east-2": { partition: "aws", zones: abc },
  "us-west-1": { partition: "aws", zones: null },
  "us-west-2": { partition: "aws", zones: ["a", "b", "c", "d"] },
  "af-south-1": { partition: "aws", zones: abc },
  "ap-east-1": { partition: "aws", zones: abc },
  "ap-east-2": { partition: "aws", zones: abc },
  "ap-south-1": { partition: "aws", zones: abc },
  "ap-south-2": { partition: "aws", zones: abc },
  "ap-southeast-1": { partition: "aws", zones: abc },
  "ap-southeast-2": { partition: "aws", zones: abc },
  "ap-southeast-3": { partition: "aws", zones: abc },
  "ap-southeast-4": { partition: "aws", zones: abc },
  "ap-southeast-5": { partition: "aws", zones: abc },
  "ap-southeast-7": { partition: "aws", zones: abc },
  "ap-northeast-1": { partition: "aws", zones: ["a", "c", "d"] },
  "ap-northeast-2": { partition: "aws", zones: ["a", "b", "c", "d"] },
  "ap-northeast-3": { partition: "aws", zones: abc },
  "ca-central-1": { partition: "aws", zones: ["a", "b", "d"] },
  "ca-west-1": { partition: "aws", zones: abc },
  "eu-central-1": { partition: "aws", zones: abc },
  "eu-central-2": { partition: "aws", zones: abc },
  "eu-west-1": { partition: "aws", zones: abc },
  "eu-west-2": { partition: "aws", zones: abc },
  "eu-west-3": { partition: "aws", zones: abc },
  "eu-south-1": { partition: "aws", zones: abc },
  "eu-south-2": { partition: "aws", zones: abc },
  "eu-north-1": { partition: "aws", zones: abc },
  "il-central-1": { partition: "aws", zones: abc },
  "me-south-1": { partition: "aws", zones: abc },
  "me-central-1": { partition: "aws", zones: abc },
  "mx-central-1": { partition: "aws", zones: abc },
  "sa-east-1": { partition: "aws", zones: abc },
  "us-gov-west-1": { partition: "aws-us-gov", zones: abc },
  "us-gov-east-1": { partition: "aws-us-gov", zones: abc },
  "cn-north-1": { partition: "aws-cn", zones: ["a", "b", "d"] },
  "cn-northwest-1": { partition: "aws-cn", zones: abc },
};

export const REGION_NAMES: readonly string[] = Object.keys(REGIONS);
