/**
 * `npm run test:fast` stays the set of test files that need nothing but Node: test/tiers.ts
 * lists every file that needs Terraform, the emulator, shellcheck, checkov or the network, each
 * with why, and vitest.fast.config.ts leaves exactly those out. A new file is in the fast set
 * unless listed; if it reaches for one of those tools there, it fails (the tools are blocked).
 * This test also catches, before any run, a file that visibly starts one and is not listed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LongestKnownFirst } from "../../vitest.config";
import { OWN_PROCESS_FILES, SLOW_TEST_FILES } from "../tiers";

const root = fileURLToPath(new URL("../../", import.meta.url));

function testFiles(dir = "test"): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The file's text and that of the test helpers it imports from test/ (one level deep). */
function textWithLocalImports(file: string): string {
  const text = readFileSync(join(root, file), "utf8");
  const imported = [...text.matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)]
    .map((m) => join(dirname(file), m[1] as string))
    .filter((path) => relative("test", path).startsWith("..") === false)
    .map((path) => (path.endsWith(".ts") ? path : `${path}.ts`))
    .filter((path) => existsSync(join(root, path)));
  return [text, ...imported.map((path) => readFileSync(join(root, path), "utf8"))].join("\n");
}

/** What, written in a test or its helpers, shows that it needs more than Node. */
const SIGNS: Record<string, RegExp> = {
  emulator: /\bstartEmulator\b/,
  terraform: /\brequireTerraform\(/,
  shellcheck: /\.venv-moto\/bin\/shellcheck|(spawn|exec)\w*\(\s*["']shellcheck["']/,
  checkov: /(spawn|exec)\w*\(\s*["']checkov["']/,
};

describe("test tiers (test/tiers.ts)", () => {
  const files = testFiles();

  it("list only test files that exist, each with what it needs and why", () => {
    for (const [file, entry] of Object.entries(SLOW_TEST_FILES)) {
      expect(files, `${file} is listed in test/tiers.ts but does not exist`).toContain(file);
      expect(entry.needs.length, file).toBeGreaterThan(0);
      expect(entry.why.length, `${file}: say why`).toBeGreaterThan(15);
    }
  });

  it("list every test file that starts the emulator, Terraform, shellcheck or checkov", () => {
    const unlisted = files
      .filter((file) => !(file in SLOW_TEST_FILES))
      .flatMap((file) => {
        const text = textWithLocalImports(file);
        return Object.entries(SIGNS)
          .filter(([, sign]) => sign.test(text))
          .map(([need]) => `${file} needs ${need}`);
      });
    expect(unlisted, "add these to test/tiers.ts").toEqual([]);
  });

  it("leave out of the fast set exactly the listed files", async () => {
    const { default: fast } = await import("../../vitest.fast.config");
    const exclude = (fast.test?.exclude ?? []) as string[];
    expect(exclude.filter((pattern) => pattern.startsWith("test/")).sort()).toEqual(
      Object.keys(SLOW_TEST_FILES).sort(),
    );
  });

  it("share worker processes only among files of the fast set that mock no module", async () => {
    const { default: base } = await import("../../vitest.config");
    const projects = (base.test?.projects ?? []) as {
      test: {
        name: string;
        include: string[];
        exclude?: string[];
        isolate: boolean;
        setupFiles?: string[];
        env?: Record<string, string>;
      };
    }[];
    const byName = new Map(projects.map((project) => [project.test.name, project.test]));
    const own = [...Object.keys(SLOW_TEST_FILES), ...Object.keys(OWN_PROCESS_FILES)].sort();
    expect(byName.get("own-process")?.isolate).toBe(true);
    expect([...(byName.get("own-process")?.include ?? [])].sort()).toEqual(own);
    const shared = byName.get("shared");
    expect(shared?.isolate).toBe(false);
    // The fast set's stand-ins for the tools in npm test too, so a fast file cannot start one.
    expect(shared?.setupFiles).toEqual(["test/support/fast-tier/setup.ts"]);
    expect(shared?.env?.PATH?.split(":")[0]).toBe(join(root, "test/support/fast-tier"));
    expect(shared?.env?.K3S_BOT_TERRAFORM).toBe(join(root, "test/support/fast-tier/terraform"));
    expect(shared?.include).toEqual(["test/**/*.test.ts"]);
    expect(shared?.exclude?.filter((pattern) => pattern.startsWith("test/")).sort()).toEqual(own);
    for (const [file, why] of Object.entries(OWN_PROCESS_FILES)) {
      expect(existsSync(join(root, file)), file).toBe(true);
      expect(why.length, file).toBeGreaterThan(20);
    }
    const mocking = testFiles()
      .filter((file) => !(file in SLOW_TEST_FILES))
      .filter((file) => /\bvi\.(do)?mock\(/.test(readFileSync(join(root, file), "utf8")));
    expect(mocking.filter((file) => !(file in OWN_PROCESS_FILES))).toEqual([]);
    expect(mocking.length).toBeGreaterThan(0);
  });

  it("block the tools in the fast set, with a message that says where to declare the file", () => {
    for (const tool of ["terraform", "shellcheck", "checkov", "moto_server"]) {
      const result = spawnSync(join(root, "test/support/fast-tier", tool), ["version"], {
        encoding: "utf8",
      });
      expect(result.status, tool).toBe(97);
      expect(result.stderr).toContain("test/tiers.ts");
    }
  });
  const spec = (file: string, size: number) => ({
    moduleId: join(root, file),
    size,
    project: { name: "", config: { sequence: { groupOrder: 0 }, isolate: true } },
  });
  /** The order LongestKnownFirst gives `files` with `maxWorkers`, on a fresh clone. */
  const order = async (files: ReturnType<typeof spec>[], maxWorkers: number) => {
    // A fresh clone: vitest has no durations, only file sizes (larger first).
    const context = {
      config: { root, maxWorkers },
      cache: {
        getFileTestResults: () => undefined,
        getFileStats: (key: string) => files.find((f) => key.endsWith(relative(root, f.moduleId))),
      },
    };
    const sorted = await new LongestKnownFirst(context as never).sort(files as never);
    return sorted.map((f) => relative(root, f.moduleId));
  };

  it("start the files known to take minutes first, longest first, the rest in vitest's order", async () => {
    const files = [
      spec("test/unit/a.test.ts", 9_000),
      spec("test/app/plan-apply.test.ts", 1_000),
      spec("test/unit/b.test.ts", 5_000),
      spec("test/emulator/cluster-ha.test.ts", 100),
    ];
    expect(await order(files, 3)).toEqual([
      "test/emulator/cluster-ha.test.ts",
      "test/app/plan-apply.test.ts",
      "test/unit/a.test.ts",
      "test/unit/b.test.ts",
    ]);
    const longest = Object.entries(SLOW_TEST_FILES).filter(([, entry]) => entry.seconds);
    expect(longest.length).toBeGreaterThan(0);
  });

  it("never start only files that wait on the emulator: one worker is left to the others", async () => {
    const files = [
      spec("test/unit/a.test.ts", 9_000),
      spec("test/emulator/moved-addresses.test.ts", 100),
      spec("test/emulator/cluster-dev.test.ts", 100),
      spec("test/security/faults.test.ts", 100),
      spec("test/emulator/cluster-ha.test.ts", 100),
      spec("test/app/plan-apply.test.ts", 100),
    ];
    const waiting = Object.values(SLOW_TEST_FILES).filter((entry) => entry.waits);
    expect(waiting.length).toBeGreaterThanOrEqual(4);
    // Four workers: three waiting files start with the longest file that uses the CPU; the
    // fourth waiting file follows the other long files, before the short ones.
    expect(await order(files, 4)).toEqual([
      "test/emulator/cluster-ha.test.ts",
      "test/app/plan-apply.test.ts",
      "test/emulator/cluster-dev.test.ts",
      "test/security/faults.test.ts",
      "test/emulator/moved-addresses.test.ts",
      "test/unit/a.test.ts",
    ]);
    // One worker: it still starts with the longest.
    expect((await order(files, 1))[0]).toBe("test/emulator/cluster-ha.test.ts");
  });
});
