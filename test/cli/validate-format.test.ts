/**
 * `k3s-bot validate` output: text with the source line for a terminal, GitHub workflow
 * commands (annotations on the PR) with --format github or inside GitHub Actions, escaped so
 * that nothing in a definition or its path can end the command and start another one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from "../../app/cli/main";
import { githubAnnotation } from "../../app/cli/validate-report";

const root = mkdtempSync(join(tmpdir(), "k3s-bot-validate-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
}

const BAD =
  "name: dev\nregion: eu-central-1\nnetwork:\n  adminCidrs: [203.0.113.7/32]\nworkers:\n  min: three\nstate: { bucket: acme-tfstate }\n";

describe("k3s-bot validate --format", () => {
  const file = join(root, "bad.yaml");
  writeFileSync(file, BAD);

  it("prints text with the source line and a caret on a terminal", async () => {
    const { code, out } = await cli({}, "validate", file);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toBe(
      `${file}:6:8 workers.min: expected a number; found three\n  6 |   min: three\n    |        ^\n`,
    );
  });

  it("prints one ::error annotation per problem with --format github", async () => {
    const { code, out } = await cli({}, "validate", "--format", "github", file);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toBe(
      `::error file=${file.replaceAll(":", "%3A")},line=6,col=8,title=k3s-bot%3A workers.min::expected a number; found three\n`,
    );
  });

  it("uses the github format by default inside GitHub Actions, text when told", async () => {
    const env = { GITHUB_ACTIONS: "true" };
    expect((await cli(env, "validate", file)).out).toMatch(/^::error file=/);
    expect((await cli(env, "validate", "--format", "text", file)).out).toMatch(/^\//);
  });

  it("refuses an unknown format as bad usage", async () => {
    const { code, err } = await cli({}, "validate", "--format", "xml", file);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain("Allowed choices are text, github");
  });

  it("prints valid files as before in either format", async () => {
    const { code, out } = await cli(
      { GITHUB_ACTIONS: "true" },
      "validate",
      "examples/clusters/dev.yaml",
    );
    expect(code).toBe(EXIT_OK);
    expect(out).toBe("examples/clusters/dev.yaml: valid (cluster dev in eu-central-1)\n");
  });

  it("escapes a path with , and : so it cannot add properties", async () => {
    const dir = join(root, "a,line=1:b");
    mkdirSync(dir);
    const odd = join(dir, "bad.yaml");
    writeFileSync(odd, BAD);
    const { out } = await cli({}, "validate", "--format", "github", odd);
    expect(out).toContain(`file=${root.replaceAll(":", "%3A")}/a%2Cline=1%3Ab/bad.yaml,line=6,`);
  });
});

describe("githubAnnotation", () => {
  it("keeps the whole annotation on one line, so a message cannot start another command", () => {
    const annotation = githubAnnotation({
      file: "clusters/dev.yaml",
      line: 3,
      column: 1,
      field: "tags.x",
      message: "bad\r\n::add-mask::secret 100%",
      found: "%0A",
    });
    expect(annotation.split("\n")).toHaveLength(1);
    expect(annotation).toBe(
      "::error file=clusters/dev.yaml,line=3,col=1,title=k3s-bot%3A tags.x::bad%0D%0A::add-mask::secret 100%25; found %250A",
    );
  });
});
