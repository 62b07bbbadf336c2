import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDefinition } from "../../../app/engine/definitions/load";
import { imagesMarkdown, pinImages } from "../../../app/engine/plan/images";
import { exampleConfig } from "../../stack/helpers";

const AMD64 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id";
const ARM64 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id";

/** A parameter store holding Canonical's two parameters; records what was asked. */
function store(values: Record<string, string>) {
  const asked: string[] = [];
  const lookup = async (name: string, region: string) => {
    asked.push(`${region} ${name}`);
    const value = values[name];
    if (value === undefined) throw new Error(`ParameterNotFound: ${name}`);
    return value;
  };
  return { asked, lookup };
}

describe("node images at plan time", () => {
  it("resolve each group's image from Canonical's parameter for its architecture", async () => {
    const config = exampleConfig("dev", (c) => {
      c.workers.instanceType = "m7g.large";
    });
    const { asked, lookup } = store({
      [AMD64]: "ami-0aaaaaaaaaaaaaaaa",
      [ARM64]: "ami-0bbbbbbbbbbbbbbbb",
    });
    const { config: pinned, images } = await pinImages(config, lookup);
    expect(pinned.controlPlane.ami).toBe("ami-0aaaaaaaaaaaaaaaa");
    expect(pinned.workers.ami).toBe("ami-0bbbbbbbbbbbbbbbb");
    expect(asked).toEqual([`${config.region} ${AMD64}`, `${config.region} ${ARM64}`]);
    expect(images.map((image) => image.source)).toEqual(["resolved", "resolved"]);
    // The input is left as it was.
    expect(config.controlPlane.ami).toBeUndefined();
  });

  it("ask once when both groups share an architecture, and never for a pinned group", async () => {
    const { asked, lookup } = store({ [AMD64]: "ami-0aaaaaaaaaaaaaaaa" });
    const both = await pinImages(exampleConfig("dev"), lookup);
    expect(both.config.workers.ami).toBe("ami-0aaaaaaaaaaaaaaaa");
    expect(asked).toHaveLength(1);

    const pinned = store({});
    const result = await pinImages(
      exampleConfig("dev", (c) => {
        c.controlPlane.ami = "ami-12345678";
        c.workers.ami = "ami-0123456789abcdef0";
      }),
      pinned.lookup,
    );
    expect(pinned.asked).toEqual([]);
    expect(result.images).toEqual([
      { group: "controlPlane", ami: "ami-12345678", source: "pinned" },
      { group: "workers", ami: "ami-0123456789abcdef0", source: "pinned" },
    ]);
  });

  it("refuse a parameter value that is not an AMI id (it would reach the launch template)", async () => {
    const { lookup } = store({ [AMD64]: 'ami-0aaa", "user_data": "x' });
    await expect(pinImages(exampleConfig("dev"), lookup)).rejects.toThrow(
      /holds .* not an AMI id; pin the image with `controlPlane.ami`/,
    );
  });

  it("say how to get past a failed lookup", async () => {
    const { lookup } = store({});
    await expect(pinImages(exampleConfig("dev"), lookup)).rejects.toThrow(
      /could not read the Ubuntu image parameter .*ParameterNotFound.*pin the image with `controlPlane.ami`/,
    );
  });

  it("show which AMI each group gets and whether it was pinned, with a hint to pin", async () => {
    const { lookup } = store({ [AMD64]: "ami-0aaaaaaaaaaaaaaaa" });
    const { images } = await pinImages(
      exampleConfig("dev", (c) => {
        c.controlPlane.ami = "ami-0123456789abcdef0";
      }),
      lookup,
    );
    const markdown = imagesMarkdown(images);
    expect(markdown).toContain(
      "| servers | `ami-0123456789abcdef0` | pinned (`controlPlane.ami`) |",
    );
    expect(markdown).toContain(
      `| workers | \`ami-0aaaaaaaaaaaaaaaa\` | resolved now from \`${AMD64}\` |`,
    );
    expect(markdown).toContain("pin them: `workers.ami: ami-0aaaaaaaaaaaaaaaa`");
    expect(markdown).not.toContain("`controlPlane.ami: ");
  });
});

describe("the definition's AMI fields", () => {
  const example = readFileSync(
    join(import.meta.dirname, "..", "..", "..", "examples", "clusters", "dev.yaml"),
    "utf8",
  );
  /** The dev example with `ami:` as line 13, under `controlPlane`. */
  const definition = (ami: string) =>
    example.replace(
      "  instanceType: t3.medium\n",
      `  instanceType: t3.medium\n  ami: ${JSON.stringify(ami)}\n`,
    );

  it("take an 8- or 17-digit AMI id", () => {
    for (const ami of ["ami-12345678", "ami-0123456789abcdef0"]) {
      const loaded = loadDefinition(definition(ami), "clusters/dev.yaml");
      expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
      if (loaded.ok) expect(loaded.config.controlPlane.ami).toBe(ami);
    }
  });

  it("name the field and line of anything else", () => {
    for (const ami of [
      "ami-123",
      "ami-0123456789ABCDEF0",
      "resolve:ssm:/aws/service/x",
      "ami-0123456789abcdef01",
    ]) {
      const loaded = loadDefinition(definition(ami), "clusters/dev.yaml");
      expect(loaded.ok).toBe(false);
      if (!loaded.ok) {
        expect(loaded.problems[0]).toMatchObject({ field: "controlPlane.ami", line: 13 });
        expect(loaded.problems[0]?.message).toContain("expected an AMI id");
      }
    }
  });
});
