/**
 * Node images, decided at plan time. A group's AMI is either pinned in the definition
 * (`controlPlane.ami`, `workers.ami`) or resolved here from Canonical's public SSM parameter
 * (infra/images.ts) and written into the resolved configuration: the launch template then
 * carries a literal `ami-…`, the plan shows it, and the saved plan applies exactly that image.
 * A new Ubuntu image therefore reaches nodes only through a reviewed plan, and an instance
 * refresh can roll back (AWS refuses an automatic rollback when the launch template's image is
 * an SSM parameter: Amazon EC2 Auto Scaling API Reference, RollbackInstanceRefresh, "A rollback
 * is not supported in the following situations").
 */
import type { ClusterConfig } from "../../../infra/definition/config";
import { AMI_ID_PATTERN } from "../../../infra/definition/schema";
import { ubuntuImageParameterName } from "../../../infra/images";

/** Reads one SSM parameter's value (production: GetParameter; the emulator: its own). */
export type ImageLookup = (parameterName: string, region: string) => Promise<string>;

export type NodeGroup = "controlPlane" | "workers";

export interface GroupImage {
  group: NodeGroup;
  ami: string;
  /** Pinned in the definition, or resolved from `parameter` by this plan. */
  source: "pinned" | "resolved";
  parameter?: string;
}

export class ImageLookupError extends Error {}

/** The configuration with an AMI id in each group, and where each came from. */
export async function pinImages(
  config: ClusterConfig,
  lookup: ImageLookup,
): Promise<{ config: ClusterConfig; images: GroupImage[] }> {
  const images: GroupImage[] = [];
  const resolved = new Map<string, Promise<string>>();
  for (const group of ["controlPlane", "workers"] as const) {
    const spec = config[group];
    if (spec.ami) {
      images.push({ group, ami: spec.ami, source: "pinned" });
      continue;
    }
    const parameter = ubuntuImageParameterName(spec.instanceType);
    let value = resolved.get(parameter);
    if (!value) {
      value = lookup(parameter, config.region);
      resolved.set(parameter, value);
    }
    let ami: string;
    try {
      ami = (await value).trim();
    } catch (error) {
      throw new ImageLookupError(
        `could not read the Ubuntu image parameter ${parameter} in ${config.region} (${(error as Error).message}); pin the image with \`${group}.ami\` in the definition, or check the bot's ssm:GetParameter permission`,
      );
    }
    // The value comes from outside: it must be an AMI id before it reaches the stack.
    if (!AMI_ID_PATTERN.test(ami)) {
      throw new ImageLookupError(
        `the Ubuntu image parameter ${parameter} in ${config.region} holds ${JSON.stringify(ami.slice(0, 40))}, not an AMI id; pin the image with \`${group}.ami\``,
      );
    }
    images.push({ group, ami, source: "resolved", parameter });
  }
  const ami = (group: NodeGroup) => images.find((image) => image.group === group)?.ami;
  return {
    config: {
      ...config,
      controlPlane: { ...config.controlPlane, ami: ami("controlPlane") },
      workers: { ...config.workers, ami: ami("workers") },
    },
    images,
  };
}

const GROUP_LABEL: Record<NodeGroup, string> = { controlPlane: "servers", workers: "workers" };

/** The plan comment's "Node images" section. */
export function imagesMarkdown(images: readonly GroupImage[]): string {
  if (images.length === 0) return "";
  const rows = images.map((image) =>
    image.source === "pinned"
      ? `| ${GROUP_LABEL[image.group]} | \`${image.ami}\` | pinned (\`${image.group}.ami\`) |`
      : `| ${GROUP_LABEL[image.group]} | \`${image.ami}\` | resolved now from \`${image.parameter}\` |`,
  );
  const unpinned = images.filter((image) => image.source === "resolved");
  const hint =
    unpinned.length > 0
      ? `\n\n_Resolved images change when Canonical publishes a new one, and the next plan shows it. To change images only through a reviewed edit, pin them: ${unpinned.map((image) => `\`${image.group}.ami: ${image.ami}\``).join(", ")}._`
      : "";
  return `#### Node images\n\n| group | AMI | source |\n|---|---|---|\n${rows.join("\n")}${hint}`;
}
