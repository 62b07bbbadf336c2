#!/usr/bin/env node
// The `k3s-bot` command: loads the TypeScript sources through tsx (no build step to forget).
import { register } from "tsx/esm/api";

register();
// The AWS SDK's notice that its releases after January 2027 need Node 22 concerns future
// versions only (package-lock.json pins ones that support this Node); it would interleave with
// the command's own output. Only this CLI process is affected.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runCli } = await import("../app/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
