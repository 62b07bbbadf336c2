/**
 * Injection: nasty strings as `/k3s plan|apply|unlock` arguments and as definition file names
 * in a PR. The bot answers with a comment naming the problem (or ignores what is not a command,
 * as designed) and never hands any of them to a child process: terraform is replaced by a fake
 * (test/support/fake-terraform-bin.mjs) that records the argv and environment of every process the
 * bot starts, and shell payloads would touch a canary file if any shell ever ran them.
 */

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the corpus holds these strings literally
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { TerraformRunner } from "../../app/engine/terraform/runner";
import { type BotHarness, REPO, sha, smallCluster, startBot } from "../support/bot-harness";
import { useEmulatorWithFakeTerraform } from "../support/emulator-with-fake-terraform";
import { issueCommentCreated, pullRequestEvent } from "../support/payloads";

const CANARY = join(tmpdir(), `k3s-bot-injection-canary-${process.pid}`);

/** Nasty strings: shell, Terraform templates, quotes, lines, paths, NUL, unicode, length. */
const NASTY: readonly string[] = [
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `;touch ${CANARY}`,
  `|touch ${CANARY}`,
  `&&touch ${CANARY}`,
  `dev;touch ${CANARY}`,
  `dev$(touch ${CANARY})`,
  `dev\`touch ${CANARY}\``,
  "$(id)",
  "`id`",
  "${HOME}",
  "$HOME",
  "$IFS",
  "${var.x}",
  '${file("/etc/passwd")}',
  "%{if true}x%{endif}",
  "%{for x in y}z%{endfor}",
  "<(id)",
  ">(id)",
  ">/tmp/k3s-bot-out",
  "dev>x",
  "dev<x",
  "dev|x",
  "dev&x",
  "dev*",
  "dev?",
  "[a-z]*",
  "~root",
  "!!",
  "'dev'",
  '"dev"',
  "dev'",
  'dev"',
  "dev\\",
  "dev\nrm -rf /",
  "x\r\n$(id)",
  "../x",
  "../../etc/passwd",
  "dev/../prod",
  "..",
  "./dev",
  "/etc/passwd",
  "%2e%2e%2fdev",
  "dev\0",
  "\0$(id)",
  "dev%00",
  "dev\u202Eved",
  "\u202Edev",
  "dev\u200B",
  "\u2066dev\u2069",
  "\uFEFFdev",
  "ｄｅｖ",
  "dеv", // Cyrillic е
  "dev😀",
  "DEV",
  "dev.yaml",
  "clusters/dev",
  "dev#x",
  "dev=1",
  "-destroy",
  "--auto-approve",
  "-var=x=1",
  "-chdir=/",
  "-target=aws_vpc.main",
  "@everyone",
  "x`![](https://evil.example/p.png)",
  "<img src=x onerror=alert(1)>",
  "-->",
  "<!-- k3s-bot:plan:dev -->",
  "a",
  "a".repeat(21),
  "d".repeat(10_000),
  `${"$(id)".repeat(2_000)}`,
];

/** The cluster-name rule as the README states it (restated here, not imported). */
const NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const REPLY =
  /is not a cluster name|are not cluster names|is not an option of|is not a command|did you mean/;
/** Code spans removed: what is left is Markdown GitHub renders. */
const outsideCode = (body: string) => body.replace(/`[^`\n]*`/g, "");
const UNSEEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

let bot: BotHarness;
const head = sha("a");

const { emulator, terraform } = useEmulatorWithFakeTerraform();
afterAll(async () => {
  rmSync(CANARY, { force: true });
});
beforeEach(async () => {
  bot = startBot(emulator.url);
  bot.github.setFile(head, "clusters/dev.yaml", smallCluster("dev"));
  bot.github.addPull({ number: 5, headSha: head, files: [] });
  bot.github.permissions.set("alice", "admin");
});
afterEach(() => bot.close());

/** Every corpus string (long enough to be told apart from ordinary text) absent from every process. */
function expectNoCorpusInProcesses() {
  const runs = terraform.runs();
  const needles = NASTY.filter((s) => s.length >= 4 && !NAME.test(s));
  for (const run of runs) {
    for (const needle of needles) {
      for (const arg of run.args) expect(arg.includes(needle), `${needle} in ${arg}`).toBe(false);
      for (const [name, value] of Object.entries(run.env))
        expect(value.includes(needle) || name.includes(needle), `${needle} in $${name}`).toBe(
          false,
        );
      expect(run.cwd.includes(needle)).toBe(false);
    }
  }
  expect(existsSync(CANARY)).toBe(false);
  return runs;
}

describe("nasty comment arguments", () => {
  it(`answers each of ${NASTY.length} strings × plan/apply/unlock with a reply naming it, and starts no process with any`, async () => {
    let replies = 0;
    let ran = 0;
    let commentId = 100;
    for (const verb of ["plan", "apply", "unlock"]) {
      for (const nasty of NASTY) {
        const body = `/k3s ${verb} ${nasty}`;
        const before = bot.github.commentsOn(5).length;
        const checksBefore = bot.github.checkRuns.length;
        commentId += 1;
        await bot.receive(
          "issue_comment",
          issueCommentCreated({ repo: REPO, pullRequest: 5, body, user: "alice", commentId }),
        );
        const words = (body.split(/\r?\n/)[0] ?? "").trim().split(/\s+/).slice(2);
        const fresh = bot.github.commentsOn(5).slice(before);
        if (words.every((w) => NAME.test(w))) {
          // Only the first line is a command: `dev\nrm -rf /` is `/k3s plan dev` and a remark.
          ran += 1;
          continue;
        }
        replies += 1;
        expect(fresh, body).toHaveLength(1);
        const reply = fresh[0]?.body ?? "";
        expect(reply, body).toMatch(REPLY);
        expect(reply.length, body).toBeLessThan(2_000);
        expect(UNSEEN.test(reply), `raw invisible character in the reply to ${body}`).toBe(false);
        const rendered = outsideCode(reply);
        for (const markup of ["evil.example", "<img", "@everyone", "<!--", "$(", "${"])
          expect(rendered.includes(markup), `${markup} rendered in the reply to ${body}`).toBe(
            false,
          );
        expect(bot.github.checkRuns.length, body).toBe(checksBefore);
        expect(bot.github.reactions.at(-1)).toEqual({ commentId, content: "eyes" });
      }
    }
    expect(replies).toBeGreaterThanOrEqual(3 * (NASTY.length - 2));
    // The commands that were valid after all did run, through the fake terraform.
    expect(ran).toBeGreaterThan(0);
    const runs = expectNoCorpusInProcesses();
    expect(runs.some((r) => r.args[0] === "plan")).toBe(true);
  });

  it("spells out invisible characters and cuts long names in its reply", async () => {
    await bot.receive(
      "issue_comment",
      issueCommentCreated({
        repo: REPO,
        pullRequest: 5,
        body: `/k3s plan dev\u202Eved ${"x".repeat(500)}`,
        user: "alice",
      }),
    );
    const reply = bot.github.commentsOn(5).at(-1)?.body ?? "";
    expect(reply).toContain("`dev<U+202E>ved`");
    expect(reply).not.toContain("x".repeat(61));
    expect(reply).toContain("are not cluster names");
  });

  it("lists at most five rejected names, counting the rest, so a flood stays one short comment", async () => {
    const names = Array.from({ length: 5_000 }, (_, i) => `$(id)${i}`).join(" ");
    await bot.receive(
      "issue_comment",
      issueCommentCreated({
        repo: REPO,
        pullRequest: 5,
        body: `/k3s plan ${names}`,
        user: "alice",
      }),
    );
    const reply = bot.github.commentsOn(5).at(-1)?.body ?? "";
    expect(reply).toContain("and 4995 more are not cluster names");
    expect(reply.length).toBeLessThan(1_000);
    expect(terraform.runs()).toEqual([]);
  });

  it("keeps a comment's Markdown out of its 'not a command' reply", async () => {
    await bot.receive(
      "issue_comment",
      issueCommentCreated({
        repo: REPO,
        pullRequest: 5,
        body: "/k3s x`![](https://evil.example/p.png)",
        user: "alice",
      }),
    );
    const reply = bot.github.commentsOn(5).at(-1)?.body ?? "";
    expect(reply).toContain("is not a command");
    expect(outsideCode(reply)).not.toContain("evil.example");
  });
});

describe("nasty definition file names in a PR", () => {
  /** File names GitHub could list (git allows any byte but NUL and /; `/` makes a subfolder). */
  const FILE_NAMES = NASTY.filter((s) => !s.includes("/") && !s.includes("\0") && s !== "..");

  it(`names each of ${FILE_NAMES.length} misnamed definition files on autoplan and on /k3s plan, planning none`, async () => {
    let number = 100;
    for (const nasty of FILE_NAMES) {
      number += 1;
      const file = `clusters/${nasty}.yaml`;
      const commit = sha((number % 10).toString());
      // Its content is a valid definition, so only the name can stop it.
      bot.github.setFile(commit, file, smallCluster("dev"));
      bot.github.addPull({ number, headSha: commit, files: [{ filename: file, status: "added" }] });
      await bot.receive(
        "pull_request",
        pullRequestEvent({ repo: REPO, pullRequest: number, action: "opened" }),
      );
      await bot.receive(
        "issue_comment",
        issueCommentCreated({ repo: REPO, pullRequest: number, body: "/k3s plan", user: "alice" }),
      );
      const bodies = bot.github.commentsOn(number).map((c) => c.body);
      expect(bodies, file).toHaveLength(2);
      for (const body of bodies) {
        expect(body, file).toContain("### k3s plan · definition file names");
        expect(body, file).toContain("2-20 lowercase letters");
        expect(UNSEEN.test(body.replaceAll("\n", "")), file).toBe(false);
        for (const markup of ["evil.example", "<img", "@everyone", "<!--"])
          expect(outsideCode(body).includes(markup), `${markup} rendered for ${file}`).toBe(false);
      }
      expect(bodies[0]).toContain("`clusters/");
    }
    expect(bot.github.checkRuns).toEqual([]);
    expect(terraform.runs()).toEqual([]);
    expectNoCorpusInProcesses();
  });

  it("plans the well-named definition of a PR and names the misnamed one beside it", async () => {
    const commit = sha("e");
    bot.github.setFile(commit, "clusters/dev.yaml", smallCluster("dev"));
    bot.github.setFile(commit, "clusters/$(id)`id`.yaml", smallCluster("dev"));
    bot.github.addPull({
      number: 7,
      headSha: commit,
      files: [
        { filename: "clusters/dev.yaml", status: "modified" },
        { filename: "clusters/$(id)`id`.yaml", status: "added" },
      ],
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 7, action: "opened" }),
    );
    expect(bot.github.checkRuns.map((c) => [c.name, c.conclusion])).toEqual([
      ["k3s plan · dev", "success"],
    ]);
    expect(bot.github.commentsOn(7).map((c) => c.body.split("\n")[0])).toEqual([
      "### k3s plan · definition file names",
      expect.stringContaining("dev"),
    ]);
    const runs = expectNoCorpusInProcesses();
    expect(runs.map((r) => r.args[0])).toContain("plan");
  });

  it.each([
    ["a path out of the folder", "clusters/../x.yaml"],
    ["a subfolder", "clusters/sub/dev.yaml"],
    ["another folder", "../clusters/dev.yaml"],
  ])("ignores %s (%s): not a definition, nothing planned", async (_what, file) => {
    const commit = sha("f");
    bot.github.setFile(commit, file, smallCluster("dev"));
    bot.github.addPull({
      number: 8,
      headSha: commit,
      files: [{ filename: file, status: "added" }],
    });
    await bot.receive(
      "pull_request",
      pullRequestEvent({ repo: REPO, pullRequest: 8, action: "opened" }),
    );
    expect(bot.github.commentsOn(8)).toEqual([]);
    await bot.receive(
      "issue_comment",
      issueCommentCreated({ repo: REPO, pullRequest: 8, body: "/k3s plan", user: "alice" }),
    );
    expect(bot.github.commentsOn(8).at(-1)?.body).toContain(
      "This PR changes no cluster definitions",
    );
    expect(bot.github.checkRuns).toEqual([]);
    expect(terraform.runs()).toEqual([]);
  });
});

describe("the check itself", () => {
  it("sees a nasty string that does reach terraform, and zx's quoting delivers it as one inert argument", async () => {
    // Everything but NUL, which no process argument can hold.
    const payloads = NASTY.filter((s) => !s.includes("\0") && s.length < 1_000);
    await new TerraformRunner(terraform.dir).run(["plan", ...payloads], [2]);
    const [run] = terraform.runs();
    expect(run?.args).toEqual(["plan", ...payloads]);
    expect(existsSync(CANARY)).toBe(false);
    expect(() => expectNoCorpusInProcesses()).toThrow();
  });
});
