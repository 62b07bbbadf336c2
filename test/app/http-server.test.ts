/**
 * The app as it runs in production: Probot's HTTP server, an App id and private key, and
 * webhooks signed with the webhook secret. A correctly signed delivery is processed; a forged
 * one is rejected before the app sees it.
 */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import nock from "nock";
import { Probot, Server } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createK3sBot } from "../../app/bot/app";
import { type Emulator, startEmulator } from "../../app/local/emulator";
import { type BotHarness, REPO, sha, startBot } from "../support/bot-harness";
import { TestOctokit } from "../support/octokit";
import { issueCommentCreated } from "../support/payloads";

const SECRET = "webhook-secret-for-tests";
let emulator: Emulator;
let bot: BotHarness;
let server: Server;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

async function deliver(body: string, signature: string, id: string) {
  return fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issue_comment",
      "x-github-delivery": id,
      "x-hub-signature-256": signature,
    },
    body,
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  emulator = await startEmulator();
  bot = startBot(emulator.url);
  bot.github.addPull({ number: 5, headSha: sha("a") });
  // The App authenticates as the installation: GitHub hands out a token for it.
  nock("https://api.github.com").persist().post("/app/installations/1/access_tokens").reply(201, {
    token: "ghs_installationtokenfortests000000000000",
    expires_at: "2099-01-01T00:00:00Z",
  });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  port = await freePort();
  server = new Server({
    host: "127.0.0.1",
    port,
    // Rejected deliveries are logged with their whole payload: keep the test output readable.
    log: new Probot({ githubToken: "unused", logLevel: "fatal" }).log,
    Probot: Probot.defaults({
      appId: 1,
      privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      secret: SECRET,
      logLevel: "warn",
      Octokit: TestOctokit,
    }),
  });
  await server.load(createK3sBot({ runs: bot.runs }));
  await server.start();
});

afterAll(async () => {
  await server?.stop();
  bot?.close();
  await emulator?.stop();
});

describe("webhook signatures", () => {
  const body = JSON.stringify(
    issueCommentCreated({ repo: REPO, pullRequest: 5, body: "/k3s help", user: "alice" }),
  );

  it("processes a correctly signed delivery", async () => {
    const response = await deliver(body, sign(body), "good-1");
    expect(response.status).toBeLessThan(300);
    await until(() => bot.github.commentsOn(5).some((c) => c.body.includes("k3s-bot commands")));
  });

  it.each([
    ["signed with another secret", (b: string) => sign(b, "not-the-secret")],
    ["signature of another body", (b: string) => sign(`${b} `)],
    ["no sha256= prefix", (b: string) => sign(b).slice("sha256=".length)],
    ["empty signature", () => ""],
  ])("rejects a delivery %s and runs nothing", async (_name, signature) => {
    const before = bot.github.calls.length;
    const response = await deliver(body, signature(body), `forged-${Math.random()}`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.github.calls.length).toBe(before);
  });
});
