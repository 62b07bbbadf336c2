import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Emulator,
  EmulatorNotInstalledError,
  MOTO_INSTALL_COMMAND,
  startEmulator,
} from "../../app/local/emulator.js";

function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("emulator harness", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
  });

  it("answers on a loopback port", async () => {
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
    const response = await fetch(`${emulator.url}/`);
    expect(response.status).toBe(200);
  });

  it("loads the AWS-managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES)", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    const response = await fetch(
      `${emulator.url}/?Action=GetPolicy&Version=2010-05-08&PolicyArn=${encodeURIComponent(arn)}`,
      {
        headers: {
          Authorization: "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/iam/aws4_request",
        },
      },
    );
    expect(await response.text()).toContain("AmazonSSMManagedInstanceCore");
  });

  it("reset forgets what was created", async () => {
    const create = await fetch(`${emulator.url}/reset-probe-bucket`, { method: "PUT" });
    expect(create.status).toBe(200);
    expect(await (await fetch(`${emulator.url}/`)).text()).toContain("reset-probe-bucket");
    await emulator.reset();
    expect(await (await fetch(`${emulator.url}/`)).text()).not.toContain("reset-probe-bucket");
  });

  it("stop ends moto and its process group, and can be called twice", async () => {
    const second = await startEmulator();
    expect(processGroupAlive(second.processGroup)).toBe(true);
    await second.stop();
    await second.stop();
    expect(processGroupAlive(second.processGroup)).toBe(false);
    await expect(fetch(`${second.url}/`)).rejects.toThrow();
  }, 60_000);
});

describe("emulator harness without moto", () => {
  it("fails with the command that installs it", async () => {
    const missing = "/nonexistent/.venv-moto/bin/moto_server";
    const attempt = startEmulator({ motoServer: missing });
    await expect(attempt).rejects.toBeInstanceOf(EmulatorNotInstalledError);
    await expect(attempt).rejects.toThrow(missing);
    await expect(attempt).rejects.toThrow(MOTO_INSTALL_COMMAND);
  });
});
