/**
 * `npm start` as an operator runs it (the script from package.json): Probot's server with the real entry (app/index.ts) in a
 * child process. It answers /ping, logs its start-up checks (Terraform found; AWS credentials
 * refused, named with the fix), and stops cleanly on SIGTERM through the signal wiring.
 * AWS is a closed loopback port, and instance metadata is off: no request leaves the machine.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

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

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 200));
  }
}

let child: ChildProcess | undefined;
const work = mkdtempSync(join(tmpdir(), "k3s-bot-start-"));
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

describe("npm start", () => {
  it("serves /ping, logs its start-up checks, and stops on SIGTERM", async () => {
    const port = await freePort();
    const closed = await freePort(); // nothing listens here: AWS calls are refused at once
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    let output = "";
    // The start script itself, exec'd by the shell so the signal below reaches the server (npm
    // would die of the signal itself and hide how the server stops).
    const start = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"))
      .scripts.start as string;
    child = spawn("sh", ["-c", `exec ${start}`], {
      cwd: new URL("../../", import.meta.url),
      env: {
        PATH: process.env.PATH ?? "", // node_modules/.bin first under npm test: Node 24
        HOME: process.env.HOME ?? work,
        APP_ID: "1",
        PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        WEBHOOK_SECRET: "secret",
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_FORMAT: "json",
        K3S_BOT_WORK_DIR: join(work, "work"),
        K3S_BOT_CACHE_DIR: join(work, "cache"),
        AWS_REGION: "eu-central-1",
        AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
        AWS_SECRET_ACCESS_KEY: "not-a-secret",
        AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_MAX_ATTEMPTS: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });

    await until(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/ping`)).ok;
      } catch {
        return false;
      }
    }, 60_000);
    await until(() => output.includes("start-up check, aws credentials"), 60_000);
    expect(output).toMatch(/start-up check, terraform: Terraform 1\.1\d/);
    expect(output).toMatch(/start-up check, aws credentials: no usable AWS credentials/);
    expect(output).toMatch(/cannot plan or apply until aws credentials is fixed/);
    expect(output).not.toContain("not-a-secret");

    const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("SIGTERM: k3s-bot takes no new work and stops within 30 s");
  }, 120_000);
});
