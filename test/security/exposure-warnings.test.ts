/**
 * A definition that opens the Kubernetes API to the whole internet (`adminCidrs: [0.0.0.0/0]`)
 * is allowed (someone may mean it) but never passes without a word: the plan comment the real
 * app posts and `k3s-bot validate` both say so, naming file, line and field, and why.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT_OK, runCli } from "../../app/cli/main";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { pullRequestEvent } from "../support/payloads";

const open = (cidrs: string, extra = "") =>
  smallCluster("dev", { extra }).replace("adminCidrs: [203.0.113.7/32]", `adminCidrs: ${cidrs}`);
/** smallCluster's lines: adminCidrs is on line 6, the list starting at column 16. */
const ADMIN_LINE = 6;

let bot: BotHarness;
const dir = mkdtempSync(join(tmpdir(), "k3s-bot-exposure-"));

const { emulator } = useEmulatorWithFakeTerraform();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  bot = startBot(emulator.url);
});
afterEach(() => bot.close());

async function planComment(definition: string): Promise<string> {
  const head = sha("e");
  bot.github.setFile(head, "clusters/dev.yaml", definition);
  bot.github.addPull({
    number: 6,
    headSha: head,
    files: [{ filename: "clusters/dev.yaml", status: "modified" }],
  });
  await bot.receive(
    "pull_request",
    pullRequestEvent({ repo: REPO, pullRequest: 6, action: "opened" }),
  );
  expect(bot.github.latestCheck("k3s plan · dev")?.conclusion).toBe("success");
  return bot.github.markedComment(6, "k3s-bot:plan:dev")?.body ?? "";
}

describe("the Kubernetes API open to the internet", () => {
  it("plans, with a warning above the plan naming file, line, field and the reason", async () => {
    const body = await planComment(open("[10.0.0.0/8, 0.0.0.0/0]"));
    expect(body).toContain("> [!WARNING]");
    expect(body).toContain(`\`clusters/dev.yaml:${ADMIN_LINE}:28\` \`network.adminCidrs[1]\``);
    expect(body).toContain("lets the whole internet reach the Kubernetes API (TCP 6443)");
    expect(body.indexOf("[!WARNING]")).toBeLessThan(body.indexOf("Plan:"));
  });

  it("warns for each half when the internet is written as 0.0.0.0/1 and 128.0.0.0/1", async () => {
    const body = await planComment(open("[0.0.0.0/1, 128.0.0.0/1]"));
    expect(body).toContain(
      "`network.adminCidrs[0]`: 0.0.0.0/1 lets 2,147,483,648 internet addresses reach",
    );
    expect(body).toContain("`network.adminCidrs[1]`: 128.0.0.0/1 lets");
  });

  it("says nothing for a narrow list, or for a private API endpoint", async () => {
    expect(await planComment(smallCluster("dev"))).not.toContain("[!WARNING]");
    bot.close();
    bot = startBot(emulator.url);
    const privateApi = open("[0.0.0.0/0]").replace(
      "azCount: 2",
      "azCount: 2\n  apiEndpoint: private",
    );
    expect(await planComment(privateApi)).not.toContain("[!WARNING]");
  });

  it("k3s-bot validate: valid, exit 0, and a warning line with file:line:column", async () => {
    const file = join(dir, "dev.yaml");
    writeFileSync(file, open("[0.0.0.0/0]"));
    let out = "";
    const code = await runCli(["validate", file], { out: (t) => (out += t), err: () => {} });
    expect(code).toBe(EXIT_OK);
    expect(out).toContain(`${file}: valid`);
    expect(out).toContain(
      `warning: ${file}:${ADMIN_LINE}:16 network.adminCidrs[0]: 0.0.0.0/0 lets`,
    );
  });
});
